"""Fuzzing a real `bsm lsp` process with raw JSON-RPC: well-framed messages with fuzzed methods,
ids and parameters never stop it answering, and any bytes followed by the end of input end it
cleanly (in time, with the exit status 1 that LSP asks for when no `shutdown` came first). The inputs of tests/fuzz/corpus/jsonrpc/ are replayed as the
latter."""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from contracts import text_of
from fuzzing import fuzz_settings
from generators import json_values, mutated, policy_inputs
from hypothesis import assume, given, note
from hypothesis import strategies as st

SERVER = [sys.executable, "-c", "import sys; from bsm_rules.cli import main; sys.exit(main(['lsp']))"]
CORPUS = Path(__file__).parent / "corpus" / "jsonrpc"
ANSWER_SECONDS = 30


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(method: str, params, request_id=None) -> bytes:
    content = {"jsonrpc": "2.0", "method": method, "params": params}
    if request_id is not None:
        content["id"] = request_id
    return frame(json.dumps(content).encode())


class Server:
    """A `bsm lsp` process and a reader of what it writes; requests it sends are answered with null."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.answers: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.probes = itertools.count()
        threading.Thread(target=self._read, daemon=True).start()
        self.uri = (root / "open.bsm").as_uri()
        self.send(message("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                         "initializationOptions": {"debounceMs": 1}}, 0))
        assert self.answer(0) is not None
        self.send(message("initialized", {}))
        self.send(message("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "bsm", "version": 1,
            "text": 'rule a error {\n  forbid body contains "x"\n}\n'}}))

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.answers.put(None)
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            content = json.loads(stream.read(length))
            if "method" in content and "id" in content:
                self.send(frame(json.dumps({"jsonrpc": "2.0", "id": content["id"], "result": None}).encode()))
            elif "method" not in content:
                self.answers.put(content)

    def send(self, data: bytes) -> None:
        with self.lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def answer(self, request_id, seconds: float = ANSWER_SECONDS):
        """The answer to a request, or None when the server ended or took longer than `seconds`."""
        while True:
            try:
                content = self.answers.get(timeout=seconds)
            except queue.Empty:
                return None
            if content is None:
                return None
            if content.get("id") == request_id:
                return content

    def probe(self) -> dict | None:
        """Ask for the symbols of the open document: the server still answers requests."""
        request_id = f"probe-{next(self.probes)}"
        self.send(message("textDocument/documentSymbol", {"textDocument": {"uri": self.uri}}, request_id))
        return self.answer(request_id)

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(ANSWER_SECONDS)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("jsonrpc"))
    yield running
    running.close()


_METHODS = ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/references",
            "textDocument/rename", "textDocument/prepareRename", "textDocument/documentSymbol",
            "textDocument/formatting", "textDocument/rangeFormatting", "textDocument/semanticTokens/full",
            "textDocument/foldingRange", "textDocument/codeAction", "textDocument/codeLens", "workspace/symbol",
            "workspace/executeCommand", "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
            "textDocument/didSave", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration",
            "workspace/didChangeWorkspaceFolders", "initialize", "initialized", "no/such/method", ""]
_numbers = st.one_of(st.integers(0, 40), st.integers(-3, 2**40), json_values)
_positions = st.one_of(st.fixed_dictionaries({"line": _numbers, "character": _numbers}), json_values)
_texts = policy_inputs.map(text_of)


def _params(uri: str) -> st.SearchStrategy:
    uris = st.sampled_from([uri, uri, "untitled:fuzz", "file:///no/such/dir/x.bsm", "file:///", "bogus:", ""])
    document = st.fixed_dictionaries({"uri": uris}, optional={
        "version": _numbers, "text": _texts, "languageId": st.sampled_from(["bsm", "json"])})
    ranges = st.fixed_dictionaries({"start": _positions, "end": _positions})
    return st.one_of(json_values, st.fixed_dictionaries({"textDocument": document}, optional={
        "position": _positions, "range": ranges,
        "contentChanges": st.lists(st.fixed_dictionaries({"text": _texts}, optional={"range": ranges}), max_size=3),
        "newName": st.one_of(st.sampled_from(["b", "rule", "a-b", ""]), st.text(max_size=5)),
        "context": st.fixed_dictionaries({}, optional={"includeDeclaration": st.booleans(), "diagnostics": json_values}),
        "options": st.fixed_dictionaries({"tabSize": _numbers, "insertSpaces": st.booleans()}),
        "query": st.text(max_size=5),
        "command": st.sampled_from(["bsm.evaluateSamples", "nope"]),
        "arguments": st.lists(st.one_of(uris, json_values), max_size=3),
        "settings": st.fixed_dictionaries({}, optional={"bsm": st.fixed_dictionaries({}, optional={
            "samples": st.one_of(st.sampled_from(["**/*.jsonl", "/", "[", "../../*"]), json_values)})}),
    }))


@st.composite
def _fuzzed_messages(draw, uri: str) -> bytes:
    content = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "2.0", "1.0", None])),
               "method": draw(st.one_of(st.sampled_from(_METHODS), st.text(max_size=8))),
               "params": draw(_params(uri))}
    if draw(st.booleans()):
        content["id"] = draw(st.one_of(st.integers(1, 10**6), st.text(max_size=4), st.none(), st.floats(), json_values))
    for key in draw(st.lists(st.sampled_from(list(content)), max_size=1)):
        del content[key]
    body = json.dumps(content).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        body = draw(mutated(st.just(body), st.binary(max_size=3), max_steps=2))
    assume(b'"exit"' not in body and b'"shutdown"' not in body)
    return frame(body)


@fuzz_settings(brief=25)
@given(data=st.data())
def test_well_framed_messages_never_stop_the_server_answering(server, data):
    for sent in data.draw(st.lists(_fuzzed_messages(server.uri), min_size=1, max_size=4)):
        note(f"sent {sent!r}")
        server.send(sent)
    assert server.probe() is not None, "the server stopped answering"


def _ends_cleanly(stream: bytes, root: Path) -> None:
    """After `stream` (which holds no `shutdown` request), the end of input ends the server in
    time, with exit status 1 as for an `exit` without `shutdown`."""
    server = Server(root)
    with contextlib.suppress(BrokenPipeError):  # the server may end before reading all of it
        server.send(stream)
    try:
        status = server.close()
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise AssertionError("the server did not end after the end of its input") from None
    assert status == 1


_frames = st.builds(frame, st.binary(max_size=40))


@fuzz_settings(brief=3)
@given(st.lists(st.one_of(_frames, st.binary(max_size=30), st.sampled_from(
    [b"Content-Length: 99999\r\n\r\n", b"Content-Length: -1\r\n\r\n", b"Content-Length: x\r\n\r\n", b"\r\n\r\n",
     b"Content-Type: application/vscode-jsonrpc; charset=latin-1\r\n"])), max_size=4).map(b"".join))
def test_any_bytes_then_the_end_of_input_end_the_server_cleanly(tmp_path_factory, stream):
    assume(b"exit" not in stream and b"shutdown" not in stream)
    _ends_cleanly(stream, tmp_path_factory.mktemp("ending"))


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*")) if CORPUS.is_dir() else [], ids=lambda p: p.name)
def test_a_stream_that_once_stopped_the_server_now_ends_it_cleanly(tmp_path, path):
    _ends_cleanly(path.read_bytes(), tmp_path)
