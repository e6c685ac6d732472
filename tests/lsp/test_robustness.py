"""The server keeps answering whatever the documents hold, whatever the edits are and whatever
the documents are called."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from lsp_session import open_document, position, wait_for_diagnostics
from lsp_policies import COMMON

pytestmark = pytest.mark.asyncio(loop_scope="module")

_FRAGMENTS = ["rule ", "r-1 ", "error ", "{", "}", "(", ")", "[", "]", '"', "/", "\n", " ", "forbid ", "when ",
              "text ", "matches ", "contains ", "and ", "not ", "any(", "x in ", ":", ".", "recipient.",
              "pattern p = ", "/a+/i", "list l = ", '["a", "b"]', "category c { reasons a }", "override ",
              "disable ", "include ", '"common.bsm"', "@doc(", "# bsm-allow: BSM501", "10 MiB", "😀", "é", "\r\n",
              "\t", "\u200b", "\u202e", "==", "is present", "severity warning when ", "message \"{match}\""]
_text = st.lists(st.one_of(st.sampled_from(_FRAGMENTS),
                           st.text(st.characters(exclude_categories=("Cs",)), max_size=6)),
                 max_size=8).map("".join)
_position = st.tuples(st.integers(0, 25), st.integers(0, 90))
_edit = st.tuples(_position, _position, _text)
_documents = itertools.count()


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(_edit, min_size=1, max_size=6), probe=_position)
async def test_random_edit_sequences_never_stop_the_server(client, tmp_path, edits, probe):
    uri = open_document(client, tmp_path / f"random{next(_documents)}.bsm", COMMON)
    identifier = types.TextDocumentIdentifier(uri=uri)
    for version, (start, end, text) in enumerate(edits, start=2):
        start, end = sorted((start, end))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text)]))
    final = len(edits) + 1
    diagnostics = await wait_for_diagnostics(client, uri, version=final)
    where = position(*probe)
    await client.text_document_hover_async(types.HoverParams(text_document=identifier, position=where))
    await client.text_document_completion_async(types.CompletionParams(text_document=identifier, position=where))
    await client.text_document_definition_async(types.DefinitionParams(text_document=identifier, position=where))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=identifier))
    await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=identifier))
    await client.text_document_code_lens_async(types.CodeLensParams(text_document=identifier))
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=identifier))
    assert len(tokens.data) % 5 == 0
    await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=identifier, options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=identifier, range=types.Range(start=where, end=where),
        context=types.CodeActionContext(diagnostics=diagnostics)))
    for diagnostic in diagnostics:
        assert diagnostic.range.start.line <= diagnostic.range.end.line
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=identifier))


async def test_a_request_about_a_document_neither_open_nor_on_disk_has_no_result(client, tmp_path):
    missing = (tmp_path / "never-opened.bsm").as_uri()
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=missing), position=position(0, 0))) is None
    assert await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=missing), position=position(0, 0),
        context=types.ReferenceContext(include_declaration=True))) is None
    uri = open_document(client, tmp_path / "common.bsm", COMMON)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(3, 10)))
    assert result.contents.value.startswith("```bsm\npattern review_ask")


async def test_a_document_whose_uri_holds_a_nul_is_checked_and_spoils_no_other(client, tmp_path):
    odd = (tmp_path / "odd.bsm").as_uri().replace("odd", "o\0dd")
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=odd, language_id="bsm", version=1, text="rule r error {\n  forbid subjet contains \"x\"\n}\n")))
    diagnostics = await wait_for_diagnostics(client, odd, version=1)
    assert [d.code for d in diagnostics] == ["BSM201"]  # the unknown name
    uri = open_document(client, tmp_path / "common.bsm", COMMON)
    assert [d.code for d in await wait_for_diagnostics(client, uri, version=1)] == ["BSM501"]  # gifts unused
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(3, 10)))
    assert result.contents.value.startswith("```bsm\npattern review_ask")
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=odd)))
