"""The server keeps answering whatever the documents hold and whatever the edits are; an internal
error in one request is answered as an LSP error and the server goes on."""

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


async def test_an_internal_error_is_answered_as_an_lsp_error_and_the_server_goes_on(client, tmp_path):
    missing = (tmp_path / "never-opened.bsm").as_uri()
    with pytest.raises(Exception, match="hover failed"):
        await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=missing), position=position(0, 0)))
    uri = open_document(client, tmp_path / "common.bsm", COMMON)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(3, 10)))
    assert result.contents.value.startswith("```bsm\npattern review_ask")
