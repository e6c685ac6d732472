"""Diagnostics pushed by the language server: the same findings as `bsm lint`, with exact
ranges in UTF-16 units, after incremental edits, across includes, and never stale."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from lsprotocol import types
from lsp_session import change_document, open_document, position, span, wait_for_diagnostics

from bsm_rules.cli import main
from bsm_rules.core import render
from bsm_rules.engine.policy import check_policy

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPOSITORY = Path(__file__).resolve().parents[2]

BROKEN = '''policy "shop"

rule no-links error {
  message "no links"
  forbid text matches linkz
}
'''

COMMON = '''policy "common"

@doc("Asking for a review.")
pattern review_ask = /\\bleave a review\\b/i

list gifts = ["gift card", "free sample"]
'''

SHOP = '''policy "shop"
include "common.bsm"

rule no-gifts warning {
  message "no gifts"
  when text matches review_ask
  forbid text contains gifts
}
'''


async def test_unknown_name_is_reported_at_its_range(client, tmp_path):
    uri = open_document(client, tmp_path / "shop.bsm", BROKEN)
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    assert [(d.code, d.range, d.severity, d.source, d.message) for d in diagnostics] == [
        ("BSM201", span(4, 22, 4, 27), types.DiagnosticSeverity.Error, "bsm", "unknown name `linkz`"),
    ]
    # the link opens the code's page, wherever the server is installed
    page = Path(url2pathname(urlparse(diagnostics[0].code_description.href).path))
    assert page.name == "BSM201.md"
    assert page.read_text(encoding="utf-8") == (REPOSITORY / "docs" / "diagnostics" / "BSM201.md").read_text(encoding="utf-8")


async def test_same_findings_as_lint(client, tmp_path):
    path = tmp_path / "shop.bsm"
    path.write_text(BROKEN + 'list unused_words = ["a", "a"]\n', encoding="utf-8")
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    lint = check_policy(str(path)).diagnostics
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1) for d in diagnostics] == [
        (d.code, d.span.line, d.span.column) for d in lint]
    assert {d.code for d in diagnostics} == {"BSM201", "BSM501", "BSM503"}
    # The message says what `bsm lint` prints: the header's message, then each `= ` line.
    notes = [[line.lstrip()[2:] for line in render(d).splitlines() if line.lstrip().startswith("= ")] for d in lint]
    assert [d.message for d in diagnostics] == ["\n".join([d.message, *lines]) for d, lines in zip(lint, notes, strict=True)]


MISSPELT = '''policy "p"

rule no-x error {
  forbid subjet contains "x" or lenght(body) > 3 or recipient.nmae == "a"
}

override no-y {
  severity warning
}
'''


async def test_the_did_you_mean_of_bsm_lint_is_in_the_diagnostic_and_in_the_hover(client, tmp_path):
    path = tmp_path / "misspelt.bsm"
    uri = open_document(client, path, MISSPELT)
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    assert [(d.code, d.range, d.message) for d in diagnostics] == [
        ("BSM201", span(3, 9, 3, 15), "unknown name `subjet`\nhelp: did you mean `subject`?"),
        ("BSM203", span(3, 32, 3, 38), "unknown function `lenght`\nhelp: did you mean `length`?"),
        ("BSM202", span(3, 62, 3, 66), "a recipient has no field `nmae`"),
        ("BSM206", span(6, 9, 6, 13), "unknown rule id `no-y`\nhelp: did you mean `no-x`?"),
    ]
    lint = io.StringIO()
    main(["lint", str(path)], out=lint, err=lint)
    for help_line in ("help: did you mean `subject`?", "help: did you mean `length`?", "help: did you mean `no-x`?"):
        assert f"= {help_line}" in lint.getvalue()
    hovers = [await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(line, character)))
        for line, character in [(3, 12), (3, 32), (3, 66), (6, 11)]]
    assert [(hover.range, hover.contents.value) for hover in hovers] == [
        (span(3, 9, 3, 15), "unknown name `subjet`\n\nhelp: did you mean `subject`?"),
        (span(3, 32, 3, 38), "unknown function `lenght`\n\nhelp: did you mean `length`?"),
        (span(3, 62, 3, 66), "a recipient has no field `nmae`"),
        (span(6, 9, 6, 13), "unknown rule id `no-y`\n\nhelp: did you mean `no-x`?"),
    ]


async def test_non_bmp_characters_before_the_error_count_as_two_utf16_units(client, tmp_path):
    text = BROKEN.replace("forbid text matches linkz", 'forbid subject == "😀🎁" and text matches linkz')
    uri = open_document(client, tmp_path / "emoji.bsm", text)
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    # "  forbid subject == "😀🎁" and text matches " is 42 code points but 44 UTF-16 units.
    assert [(d.code, d.range) for d in diagnostics] == [("BSM201", span(4, 44, 4, 49))]


async def test_ranges_follow_incremental_edits(client, tmp_path):
    uri = open_document(client, tmp_path / "shop.bsm", BROKEN)
    await wait_for_diagnostics(client, uri, version=1)

    # Define the missing pattern on a new line 1: the document becomes clean.
    change_document(client, uri, 2, (1, 0), (1, 0), "pattern linkz = /https?:/\n")
    assert await wait_for_diagnostics(client, uri, version=2) == []

    # Misspell a field on what is now line 5, after an emoji in a comment on the same line.
    change_document(client, uri, 3, (5, 2), (5, 13), "forbid txet")
    change_document(client, uri, 4, (4, 20), (4, 20), "  # 🚫")
    diagnostics = await wait_for_diagnostics(client, uri, version=4)
    assert [(d.code, d.range, d.message) for d in diagnostics] == [
        ("BSM201", span(5, 9, 5, 13), "unknown name `txet`\nhelp: did you mean `text`?"),
    ]


async def test_syntax_error_is_located_after_an_edit(client, tmp_path):
    uri = open_document(client, tmp_path / "shop.bsm", BROKEN)
    await wait_for_diagnostics(client, uri, version=1)
    change_document(client, uri, 2, (2, 0), (2, 4), "rul")
    diagnostics = await wait_for_diagnostics(client, uri, version=2)
    assert [(d.code, d.range.start) for d in diagnostics] == [("BSM101", types.Position(line=2, character=0))]


async def test_file_is_rediagnosed_when_an_included_file_changes(client, tmp_path):
    common_uri = open_document(client, tmp_path / "common.bsm", COMMON)
    shop_uri = open_document(client, tmp_path / "shop.bsm", SHOP)
    assert await wait_for_diagnostics(client, shop_uri, version=1) == []

    mark = len(client.published)
    # Rename the list in the (unsaved) included file: the including file now has an unknown name.
    change_document(client, common_uri, 2, (5, 5), (5, 10), "presents")
    diagnostics = await wait_for_diagnostics(client, shop_uri, version=1, after=mark)
    assert [(d.code, d.range, d.message) for d in diagnostics] == [
        ("BSM201", span(6, 23, 6, 28), "unknown name `gifts`"),
    ]


async def test_errors_in_an_included_file_show_at_the_include(client, tmp_path):
    (tmp_path / "common.bsm").write_text(COMMON.replace("/i", "/q"), encoding="utf-8")
    shop_uri = open_document(client, tmp_path / "shop.bsm", SHOP)
    diagnostics = await wait_for_diagnostics(client, shop_uri, version=1)
    assert [(d.code, d.range) for d in diagnostics] == [("BSM403", span(1, 8, 1, 20))]
    assert diagnostics[0].message.startswith("the included policy has 1 error(s); first: common.bsm:4:")
    assert diagnostics[0].related_information[0].location.uri == (tmp_path / "common.bsm").as_uri()


async def test_file_is_rediagnosed_when_an_included_file_changes_on_disk(client, tmp_path):
    common = tmp_path / "common.bsm"
    common.write_text(COMMON, encoding="utf-8")
    shop_uri = open_document(client, tmp_path / "shop.bsm", SHOP)
    assert await wait_for_diagnostics(client, shop_uri, version=1) == []

    mark = len(client.published)
    # The included file is not open: the editor reports its change through the file watcher.
    common.write_text(COMMON.replace("list gifts", "list presents"), encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=common.as_uri(), type=types.FileChangeType.Changed)]))
    diagnostics = await wait_for_diagnostics(client, shop_uri, version=1, after=mark)
    assert [(d.code, d.range, d.message) for d in diagnostics] == [
        ("BSM201", span(6, 23, 6, 28), "unknown name `gifts`"),
    ]


async def test_the_server_asks_the_editor_to_report_policy_files_changed_on_disk(client):
    """Editors without a watcher of their own for `.bsm` files (most but VS Code) then report the
    changes that the test above relies on."""
    async def registered():
        while not client.registrations:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(registered(), 15)
    [registration] = client.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert registration.register_options == {"watchers": [{"globPattern": "**/*.bsm"}]}


def set_debounce(client, milliseconds: int) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"bsm": {"debounceMs": milliseconds}}))


async def test_rapid_edits_publish_only_the_newest_version(client, tmp_path):
    uri = open_document(client, tmp_path / "shop.bsm", BROKEN)
    await wait_for_diagnostics(client, uri, version=1)
    mark = len(client.published)
    set_debounce(client, 300)  # a burst of typing: every edit lands within the quiet period
    try:
        for version in range(2, 22):
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(
                    text=BROKEN.replace("linkz", f"name{version}"))],
            ))
        diagnostics = await wait_for_diagnostics(client, uri, version=21, after=mark)
    finally:
        set_debounce(client, 10)
    assert [d.message for d in diagnostics] == ["unknown name `name21`"]
    await asyncio.sleep(0.3)  # anything still in flight would arrive now
    later = [p for p in client.published[mark:] if p.uri == uri]
    assert [p.version for p in later] == [21]


async def test_closing_a_document_clears_its_diagnostics(client, tmp_path):
    uri = open_document(client, tmp_path / "shop.bsm", BROKEN)
    assert len(await wait_for_diagnostics(client, uri, version=1)) == 1
    mark = len(client.published)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await wait_for_diagnostics(client, uri, after=mark) == []


async def test_a_result_overtaken_by_a_newer_edit_is_not_published(client, tmp_path):
    block = 'rule r-{0} warning {{\n  message "m"\n  forbid text contains "offer {0}" and subject matches /x{0}/\n}}\n\n'
    text = "".join(block.format(index) for index in range(1200))  # long enough to take a while to check
    uri = open_document(client, tmp_path / "long.bsm", text)
    await wait_for_diagnostics(client, uri, version=1, timeout=60)
    mark = len(client.published)
    set_debounce(client, 0)
    try:
        change_document(client, uri, 2, (0, 0), (0, 0), "rule broken")
        await asyncio.sleep(0.05)  # the check of version 2 is under way
        change_document(client, uri, 3, (0, 0), (0, 11), "")
        assert await wait_for_diagnostics(client, uri, version=3, after=mark, timeout=60) == []
        await asyncio.sleep(0.3)
    finally:
        set_debounce(client, 10)
    assert [p.version for p in client.published[mark:] if p.uri == uri] == [3]
