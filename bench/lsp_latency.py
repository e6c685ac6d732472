"""Latency of the language server: time from `textDocument/didChange` to the
`textDocument/publishDiagnostics` of that version, over stdio with the real `bsm lsp`, on the
bundled policy and on a generated 5,000-line policy.

    python bench/lsp_latency.py [--runs 30] [--lines 5000]

Each document gets two kinds of edit, alternately applied and undone in its middle: a word in a
message string (no new finding) and a reference renamed to an unknown name (a new error with a
did-you-mean). The server's default debounce is included in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from bsm_rules.core.resources import bundled_policy_path

SERVER = [sys.executable, "-m", "bsm_rules.cli", "lsp"]


def generated_policy(lines: int) -> str:
    """A policy of about `lines` lines: word lists, patterns and rules using them."""
    parts = ['policy "generated" version "1"\n', "\n"]
    count, index = 2, 0
    while count < lines:
        block = (
            f'@doc("Phrases of group {index}.")\n'
            f'list words_{index} = ["offer {index}", "deal {index}", "promo {index}"]\n'
            f"\n"
            f"pattern code_{index} = /\\bcode-{index}-[0-9]{{4}}\\b/i\n"
            f"\n"
            f'@doc("Rule {index}.")\n'
            f"rule generated-{index} warning {{\n"
            f'  message "group {index}: \\"{{match}}\\""\n'
            f"  when recipient.language is present and sent_today < 100\n"
            f"  forbid text contains words_{index} or subject matches code_{index}\n"
            f'  forbid any(l in links(text): l.domain == "example-{index}.com")\n'
            f"}}\n"
            f"\n")
        parts.append(block)
        count += block.count("\n")
        index += 1
    return "".join(parts)


def _edits(text: str, needle: str, replacement: str) -> tuple[types.Range, types.Range]:
    """The range of `needle` nearest the middle of `text`, before and after the replacement."""
    middle = len(text) // 2
    offset = text.find(needle, middle)
    offset = offset if offset != -1 else text.rfind(needle)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    line_text = text[text.rfind("\n", 0, offset) + 1:offset + len(needle)]
    assert offset >= 0 and line_text.isascii(), "code-point columns equal UTF-16 units only on ASCII lines"
    before = types.Range(start=types.Position(line=line, character=column),
                         end=types.Position(line=line, character=column + len(needle)))
    after = types.Range(start=before.start, end=types.Position(line=line, character=column + len(replacement)))
    return before, after


class Session:
    def __init__(self) -> None:
        self.client = LanguageClient("bsm-latency", "1")
        self.published: dict[tuple[str, int], float] = {}
        self.arrived = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.published[(params.uri, params.version)] = time.perf_counter()
            self.arrived.set()

    async def start(self, root: Path) -> None:
        await self.client.start_io(*SERVER)
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri()))
        self.client.initialized(types.InitializedParams())

    async def wait(self, uri: str, version: int, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for version {version} of {uri}")
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.published[(uri, version)]

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def measure(session: Session, path: Path, text: str, needle: str, replacement: str, runs: int) -> list[float]:
    uri = path.as_uri()
    session.published = {key: at for key, at in session.published.items() if key[0] != uri}
    session.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="bsm", version=1, text=text)))
    await session.wait(uri, 1)
    before, after = _edits(text, needle, replacement)
    version, timings = 1, []
    for run in range(runs + 3):  # the first three warm the caches
        for where, new_text in ((before, replacement), (after, needle)):
            version += 1
            sent = time.perf_counter()
            session.client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=where, text=new_text)]))
            published = await session.wait(uri, version)
            if run >= 3:
                timings.append((published - sent) * 1000)
            await asyncio.sleep(0.05)
    session.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    return timings


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return (f"median {statistics.median(ordered):6.1f} ms   p90 {p90:6.1f} ms   "
            f"min {ordered[0]:6.1f} ms   max {ordered[-1]:6.1f} ms   (n={len(ordered)})")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="edit/undo pairs per measurement (default 30)")
    parser.add_argument("--lines", type=int, default=5000, help="size of the generated policy (default 5000)")
    args = parser.parse_args()
    bundled = bundled_policy_path("amazon").read_text(encoding="utf-8")
    generated = generated_policy(args.lines)
    cases = [
        ("bundled policy", "amazon.bsm", bundled, [("string edit", "cancel the order yourself", "cancel it yourself"),
                                                   ("new error", "ask_to_cancel\n", "ask_to_cancl\n")]),
        ("generated policy", "generated.bsm", generated, [("string edit", "offer ", "offers "),
                                                           ("new error", "contains words_", "contains wordz_")]),
    ]
    print(f"bsm lsp latency, didChange -> publishDiagnostics; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        session = Session()
        await session.start(root)
        try:
            for title, name, text, edits in cases:
                print(f"{title} ({text.count(chr(10))} lines):")
                for label, needle, replacement in edits:
                    timings = await measure(session, root / name, text, needle, replacement, args.runs)
                    print(f"  {label:<12} {summary(timings)}")
        finally:
            await session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
