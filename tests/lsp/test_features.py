"""The features are plain functions of a document's analysis and the request's parameters: they
answer without a running server."""

from __future__ import annotations

from lsprotocol import types
from lsp_policies import COMMON
from lsp_session import position, span
from pygls.workspace import PositionCodec

from bsm_lsp import features
from bsm_lsp.analysis import analyze

URI = "untitled:common"


def document(uri: str = URI) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def test_navigation_hover_and_completion_answer_from_the_analysis_alone():
    analysis = analyze(URI, 1, COMMON, {}, PositionCodec())
    use = position(15, 29)  # `review_ask` in `forbid text matches review_ask`
    [found] = features.definition(analysis, types.DefinitionParams(text_document=document(), position=use))
    assert (found.uri, found.range) == (URI, span(3, 8, 3, 18))
    hover = features.hover(analysis, types.HoverParams(text_document=document(), position=use))
    assert hover.contents.value.startswith("```bsm\npattern review_ask")
    completion = features.completion(analysis, types.CompletionParams(text_document=document(), position=use))
    assert "review_ask" in [item.label for item in completion.items]
    assert features.prepare_rename(analysis, types.PrepareRenameParams(text_document=document(),
                                                                        position=use)) == span(15, 22, 15, 32)


def test_hover_over_an_attribute_that_does_not_exist_answers_nothing_instead_of_failing():
    text = 'rule r error {\n  forbid body.nope\n}\n'
    analysis = analyze(URI, 1, text, {}, PositionCodec())
    hover = features.hover(analysis, types.HoverParams(text_document=document(), position=position(1, 15)))
    assert hover is None or isinstance(hover.contents.value, str)
