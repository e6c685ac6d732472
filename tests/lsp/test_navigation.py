"""Hover, go to definition, references, rename and symbols, across included files."""

from __future__ import annotations

import pytest
from lsprotocol import types
from lsp_session import open_document, position, span, wait_for_diagnostics
from lsp_policies import COMMON, SHOP

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def open_both(client, folder) -> tuple[str, str]:
    common = open_document(client, folder / "common.bsm", COMMON)
    shop = open_document(client, folder / "shop.bsm", SHOP)
    assert await wait_for_diagnostics(client, shop, version=1) == []
    return common, shop


async def hover_text(client, uri, line, character) -> tuple[str, types.Range]:
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(line, character)))
    return result.contents.value, result.range


async def test_hover_on_a_pattern_shows_definition_doc_and_a_sample(client, tmp_path):
    _, shop = await open_both(client, tmp_path)
    text, where = await hover_text(client, shop, 5, 24)
    assert where == span(5, 20, 5, 30)
    assert text == ('```bsm\npattern review_ask = /\\bleave a review\\b/i\n```\n\nAsking for a review.\n\n'
                    'Matches, for example: “leave a review”')


async def test_hover_on_a_rule_id_shows_effective_severity_doc_and_source(client, tmp_path):
    _, shop = await open_both(client, tmp_path)
    text, where = await hover_text(client, shop, 9, 12)
    assert where == span(9, 9, 9, 18)
    assert text == ("**rule** `no-review` — severity **warning**\n\nNo review requests.\n\n"
                    "Source: the shop's guide\n\nMessage: “no review requests”")


async def test_hover_on_fields_builtins_lists_and_categories(client, tmp_path):
    _, shop = await open_both(client, tmp_path)
    text, where = await hover_text(client, shop, 5, 8)
    assert where == span(5, 7, 5, 11)
    assert text.startswith("**field** `text`: text\n\nall visible text: subject, body and the HTML's visible text")
    text, where = await hover_text(client, shop, 5, 50)
    assert where == span(5, 47, 5, 52)
    assert text.endswith("Contact reasons: `coupon`, `sale`")
    text, where = await hover_text(client, shop, 6, 24)
    assert where == span(6, 23, 6, 28)
    assert text.endswith("Matches, for example: “gift card”")

    uri = open_document(client, tmp_path / "links.bsm",
                        'rule no-links error {\n  forbid any(l in links(text): l.domain != "x.com")\n}\n')
    text, where = await hover_text(client, uri, 1, 19)
    assert where == span(1, 18, 1, 23)
    assert text.startswith("```\nlinks(text | string) -> list of link\n```\n\nweb addresses in the text")
    text, where = await hover_text(client, uri, 1, 35)
    assert where == span(1, 33, 1, 39)
    assert text.startswith("**field** `link.domain`: string\n\nthe registrable domain")


async def test_nothing_to_hover_on_whitespace(client, tmp_path):
    _, shop = await open_both(client, tmp_path)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=shop), position=position(2, 0)))
    assert result is None


async def test_definition_of_a_list_is_in_the_included_file(client, tmp_path):
    common, shop = await open_both(client, tmp_path)
    result = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=shop), position=position(6, 25)))
    assert result == [types.Location(uri=common, range=span(5, 5, 5, 10))]


async def test_references_include_files_that_include_this_one(client, tmp_path):
    common, shop = await open_both(client, tmp_path)
    result = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=common), position=position(3, 10),
        context=types.ReferenceContext(include_declaration=True)))
    assert sorted((r.uri, r.range.start.line, r.range.start.character, r.range.end.character) for r in result) == sorted([
        (common, 3, 8, 18), (common, 15, 22, 32), (shop, 5, 20, 30)])
    without = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=common), position=position(3, 10),
        context=types.ReferenceContext(include_declaration=False)))
    assert sorted((r.uri, r.range) for r in without) == sorted([
        (common, span(15, 22, 15, 32)), (shop, span(5, 20, 5, 30))])


async def test_rename_a_list_edits_every_file(client, tmp_path):
    common, shop = await open_both(client, tmp_path)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=types.TextDocumentIdentifier(uri=shop), position=position(6, 25)))
    assert prepared == span(6, 23, 6, 28)
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=shop), position=position(6, 25), new_name="presents"))
    assert {uri: list(edits) for uri, edits in edit.changes.items()} == {
        common: [types.TextEdit(range=span(5, 5, 5, 10), new_text="presents")],
        shop: [types.TextEdit(range=span(6, 23, 6, 28), new_text="presents")],
    }


async def test_rename_a_rule_id_edits_its_override(client, tmp_path):
    common, shop = await open_both(client, tmp_path)
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=common), position=position(13, 6), new_name="no-review-ask"))
    assert {uri: list(edits) for uri, edits in edit.changes.items()} == {
        common: [types.TextEdit(range=span(13, 5, 13, 14), new_text="no-review-ask")],
        shop: [types.TextEdit(range=span(9, 9, 9, 18), new_text="no-review-ask")],
    }


async def test_rename_refuses_an_invalid_name_and_non_symbols(client, tmp_path):
    _, shop = await open_both(client, tmp_path)
    with pytest.raises(Exception, match="is not a rule id"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=shop), position=position(9, 12), new_name="Bad Name"))
    with pytest.raises(Exception, match="`review_ask` is already defined"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=shop), position=position(6, 25), new_name="review_ask"))
    with pytest.raises(Exception, match="is a keyword"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=shop), position=position(6, 25), new_name="matches"))
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=types.TextDocumentIdentifier(uri=shop), position=position(5, 8)))
    assert prepared is None  # `text` is a message field, not something the policy defines


async def test_document_symbols_outline_the_policy(client, tmp_path):
    common, _ = await open_both(client, tmp_path)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=common)))
    assert [(s.name, s.kind, s.range, s.selection_range) for s in symbols] == [
        ("common", types.SymbolKind.Package, span(0, 0, 0, 15), span(0, 7, 0, 15)),
        ("review_ask", types.SymbolKind.Constant, span(2, 0, 3, 42), span(3, 8, 3, 18)),
        ("gifts", types.SymbolKind.Array, span(5, 0, 5, 41), span(5, 5, 5, 10)),
        ("promo", types.SymbolKind.Enum, span(7, 0, 9, 1), span(7, 9, 7, 14)),
        ("no-review", types.SymbolKind.Function, span(11, 0, 16, 1), span(13, 5, 13, 14)),
    ]
    assert [(c.name, c.selection_range) for c in symbols[3].children] == [
        ("coupon", span(8, 10, 8, 16)), ("sale", span(8, 18, 8, 22))]


async def test_workspace_symbols_search_every_open_policy(client, tmp_path):
    common, shop = await open_both(client, tmp_path)
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="REVIEW"))
    mine = sorted((s.name, s.location.uri, s.location.range) for s in found if s.location.uri in (common, shop))
    assert mine == [("no-review", common, span(13, 5, 13, 14)), ("review_ask", common, span(3, 8, 3, 18))]


async def test_workspace_symbols_include_policy_files_not_open(client, workspace):
    extra = workspace / "rules" / "extra.bsm"
    extra.parent.mkdir(exist_ok=True)
    extra.write_text('policy "extra"\n\npattern extra_review = /x/\n', encoding="utf-8")
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="extra_rev"))
    assert [(s.name, s.kind, s.location.uri, s.location.range) for s in found] == [
        ("extra_review", types.SymbolKind.Constant, extra.as_uri(), span(2, 8, 2, 20))]
