"""Completion, formatting, code actions, code lenses, semantic tokens and folding ranges."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from lsp_session import change_document, open_document, position, span, wait_for_diagnostics
from lsp_policies import COMMON, SHOP

from bsm_rules.cli import main

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNFORMATTED = '''policy  "x"
rule a-b error{ message "m"
 forbid text  contains  "x" }



rule c-d warning {
forbid   body matches /a/
}
'''


async def completion_labels(client, uri, line, character) -> list[str]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(line, character)))
    return [item.label for item in result.items]


async def test_completion_knows_the_message_model_after_a_dot(client, tmp_path):
    uri = open_document(client, tmp_path / "c.bsm", "rule r error {\n  forbid recipient.\n}\n")
    assert await completion_labels(client, uri, 1, 19) == ["role", "address", "language", "opted_out"]
    change_document(client, uri, 2, (1, 2), (1, 19), "forbid any(a in attachments: a.")
    assert await completion_labels(client, uri, 1, 33) == ["name", "size", "content_type", "extension"]


async def test_completion_offers_names_defined_in_included_files(client, tmp_path):
    open_document(client, tmp_path / "common.bsm", COMMON)
    uri = open_document(client, tmp_path / "shop.bsm", SHOP.replace("forbid text contains gifts", "forbid te"))
    labels = await completion_labels(client, uri, 6, 11)
    for expected in ("text", "subject", "review_ask", "gifts", "promo", "coupon", "sale", "links", "sent_today"):
        assert expected in labels
    assert "rule" not in labels


async def test_completion_in_context(client, tmp_path):
    open_document(client, tmp_path / "common.bsm", COMMON)
    text = 'include "common.bsm"\n\noverride \nrule x \n'
    uri = open_document(client, tmp_path / "shop.bsm", text)
    assert await completion_labels(client, uri, 2, 9) == ["no-review"]
    assert await completion_labels(client, uri, 3, 7) == ["error", "warning", "info"]
    assert "category" in await completion_labels(client, uri, 1, 0)
    change_document(client, uri, 2, (3, 7), (3, 7), "error {\n  forbid sum(attachments.size) > 10 ")
    labels = await completion_labels(client, uri, 4, 37)
    assert {"MiB", "KB", "h", "min"} <= set(labels)
    change_document(client, uri, 3, (4, 0), (4, 37), "  ")
    labels = await completion_labels(client, uri, 4, 2)
    assert {"message", "when", "require", "forbid", "severity", "note"} <= set(labels)


RANKING = '''pattern review_ask = /review/
pattern refund_ask = /refund/
list gifts = ["gift card"]
domains carriers = ["ups.com"]
category promo {
  reasons coupon, sale
}

rule r error {
  forbid text matches 
}
'''


async def ranked_labels(client, uri, line, character) -> list[str]:
    """The labels in the order the editor shows them: by sort text."""
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(line, character)))
    return [item.label for item in sorted(result.items, key=lambda item: item.sort_text)]


async def test_completion_offers_patterns_first_after_matches(client, tmp_path):
    uri = open_document(client, tmp_path / "rank.bsm", RANKING)
    labels = await ranked_labels(client, uri, 9, 22)
    assert labels[:2] == ["refund_ask", "review_ask"]
    assert {"text", "subject", "gifts", "promo", "lower"} <= set(labels[2:])
    assert "not" not in labels  # `matches` takes a pattern, never a condition


async def test_completion_offers_lists_first_after_in_and_categories_in_the_list(client, tmp_path):
    uri = open_document(client, tmp_path / "rank.bsm", RANKING)
    change_document(client, uri, 2, (9, 9), (9, 22), "subject not in ")
    labels = await ranked_labels(client, uri, 9, 24)
    assert labels[:2] == ["carriers", "gifts"]  # word lists and domain lists: what `in` looks in
    assert {"text", "review_ask", "promo"} <= set(labels[2:])
    # `category in [promo, …]`: the list holds category names or contact reasons
    change_document(client, uri, 3, (9, 9), (9, 24), "category in [")
    labels = await ranked_labels(client, uri, 9, 22)
    assert set(labels[:3]) == {"promo", "coupon", "sale"}
    # what a quantifier goes over: the fields and built-ins that hold lists
    change_document(client, uri, 4, (9, 9), (9, 22), "any(a in ")
    labels = await ranked_labels(client, uri, 9, 18)
    assert max(labels.index(name) for name in ("attachments", "links", "emails")) < labels.index("text")


async def test_completion_inside_an_example_and_after_severity(client, tmp_path):
    text = ('rule no-gift error {\n  forbid text contains "gift"\n}\n\nrule other warning {\n  severity \n}\n\n'
            'example "gift" {\n  \n}\n\noverride no-gift {\n  severity \n}\n')
    uri = open_document(client, tmp_path / "example.bsm", text)
    assert await completion_labels(client, uri, 5, 11) == ["error", "warning", "info"]
    assert await completion_labels(client, uri, 13, 11) == ["error", "warning", "info"]
    entries = ["context", "expect", "fires", "for each row in", "message", "not fires"]
    assert await completion_labels(client, uri, 9, 2) == entries
    change_document(client, uri, 2, (9, 2), (9, 2), "expect ")
    assert await completion_labels(client, uri, 9, 9) == ["allow", "warn", "block"]
    change_document(client, uri, 3, (9, 2), (9, 9), "not fires ")
    assert await completion_labels(client, uri, 9, 12) == ["no-gift"]
    change_document(client, uri, 4, (9, 2), (9, 12), 'message { body: "a gift" }\n  ')
    assert await completion_labels(client, uri, 10, 2) == entries
    change_document(client, uri, 5, (9, 19), (9, 19), "# more ")  # inside a string: nothing
    assert await completion_labels(client, uri, 9, 23) == []


async def test_formatting_matches_bsm_fmt(client, tmp_path):
    path = tmp_path / "unformatted.bsm"
    path.write_text(UNFORMATTED, encoding="utf-8")
    uri = open_document(client, path, UNFORMATTED)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert main(["fmt", str(path)]) == 0
    assert [(e.range, e.new_text) for e in edits] == [(span(0, 0, 9, 0), path.read_text(encoding="utf-8"))]


async def test_range_formatting_changes_only_the_selected_statement(client, tmp_path):
    uri = open_document(client, tmp_path / "unformatted.bsm", UNFORMATTED)
    edits = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=span(6, 0, 8, 1),
        options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert [(e.range, e.new_text) for e in edits] == [
        (span(6, 0, 8, 1), "rule c-d warning {\n  forbid body matches /a/\n}")]


async def test_formatting_a_policy_with_syntax_errors_gives_nothing(client, tmp_path):
    uri = open_document(client, tmp_path / "broken.bsm", "rule r error {\n  forbid ==\n}\n")
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert edits is None


async def test_code_action_applies_the_did_you_mean_fix(client, tmp_path):
    text = 'rule r error {\n  message "m"\n  forbid txet contains "x"\n}\n'
    uri = open_document(client, tmp_path / "fix.bsm", text)
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=diagnostics)))
    assert [(a.title, a.kind, a.edit.changes[uri]) for a in actions] == [
        ("change to `text`", types.CodeActionKind.QuickFix, (types.TextEdit(range=span(2, 9, 2, 13), new_text="text"),)),
    ]
    assert actions[0].diagnostics[0].code == "BSM201"


async def test_code_action_silences_a_lint_for_one_line(client, tmp_path):
    text = 'rule r error {\n  message "m"\n  forbid text contains "x"\n}\n\nlist spare = ["a"]\n'
    uri = open_document(client, tmp_path / "lint.bsm", text)
    diagnostics = await wait_for_diagnostics(client, uri, version=1)
    assert [(d.code, d.range, list(d.tags)) for d in diagnostics] == [
        ("BSM501", span(5, 5, 5, 10), [types.DiagnosticTag.Unnecessary])]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=span(5, 6, 5, 6),
        context=types.CodeActionContext(diagnostics=diagnostics)))
    assert [(a.title, list(a.edit.changes[uri])) for a in actions] == [
        ("Silence BSM501 on this line", [types.TextEdit(range=span(5, 0, 5, 0), new_text="# bsm-allow: BSM501\n")])]
    change_document(client, uri, 2, (5, 0), (5, 0), "# bsm-allow: BSM501\n")
    assert await wait_for_diagnostics(client, uri, version=2) == []


async def test_code_lens_counts_the_samples_each_rule_flags(client, tmp_path):
    open_document(client, tmp_path / "common.bsm", COMMON)
    uri = open_document(client, tmp_path / "shop.bsm", SHOP)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [(lens.range, lens.command.title, lens.command.command) for lens in lenses] == [
        (span(0, 7, 0, 13), "3 samples: 1 allow, 2 warn, 0 block, 0 invalid", "bsm.evaluateSamples"),
        (span(3, 5, 3, 13), "0 examples · 1 of 3 samples flagged · evaluate on samples", "bsm.evaluateSamples"),
    ]
    shown = len(client.messages)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="bsm.evaluateSamples", arguments=[uri, "no-gifts"]))
    assert result == {"total": 3, "verdicts": {"allow": 1, "warn": 2}, "problem": None,
                      "rule": "no-gifts", "flagged": ["gift"]}
    # The server shows the message before it answers, on the same stream: it has arrived.
    assert [(m.type, m.message) for m in client.messages[shown:]] == [
        (types.MessageType.Info, "no-gifts: 1 of 3 samples flagged (gift)")]
    # Each lens runs its own command, the policy's with the document alone.
    header, rule = (lens.command for lens in lenses)
    for command in header, rule:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=command.command, arguments=command.arguments))
    assert [m.message for m in client.messages[shown + 1:]] == [
        "3 samples: 1 allow, 2 warn, 0 block, 0 invalid", "no-gifts: 1 of 3 samples flagged (gift)"]


async def test_code_lens_without_a_valid_policy_explains_why(client, tmp_path):
    uri = open_document(client, tmp_path / "bad.bsm", 'policy "p"\nrule r error {\n  forbid nope\n}\n')
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [lens.command.title for lens in lenses] == [
        "the policy has errors; fix them to evaluate it on the samples", "0 examples · evaluate on samples"]


LENS_POLICY = """policy "lens"

rule no-gift error {
  forbid text contains "gift"
}

rule no-coupon error {
  forbid text contains "coupon"
}

example "a gift" {
  message { body: "a gift for you" }
  fires no-gift
}
"""

LENS_TESTS = """include "lens.bsm"

examples "{word}" {
  message { body: "{word}" }
  for each row in [
    { word: "gift card", fires: ["no-gift"] },
    { word: "coupon", fires: ["no-coupon"], not_fires: ["no-gift"] },
  ]
}
"""


async def test_code_lens_counts_the_examples_of_each_rule_in_the_policy_and_its_test_file(client, tmp_path):
    (tmp_path / "lens.test.bsm").write_text(LENS_TESTS, encoding="utf-8")
    uri = open_document(client, tmp_path / "lens.bsm", LENS_POLICY)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [lens.command.title.split(" · ")[0] for lens in lenses[1:]] == ["3 examples", "1 example"]
    # an unsaved edit of the test file counts, as open in the editor, with the policy unchanged
    open_document(client, tmp_path / "lens.test.bsm", LENS_TESTS.replace(', not_fires: ["no-gift"]', ""))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [lens.command.title.split(" · ")[0] for lens in lenses[1:]] == ["2 examples", "1 example"]



async def wait_for_code_lens_refresh(client, after: int, timeout: float = 15.0) -> None:
    async def refreshed():
        while client.code_lens_refreshes <= after:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(refreshed(), timeout)


async def example_counts(client, uri) -> list[str]:
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    return [lens.command.title.split(" · ")[0] for lens in lenses[1:]]


async def test_a_change_of_the_test_file_alone_refreshes_the_policys_code_lenses(client, tmp_path):
    tests = tmp_path / "fresh.test.bsm"
    tests.write_text(LENS_TESTS.replace('"lens.bsm"', '"fresh.bsm"'), encoding="utf-8")
    uri = open_document(client, tmp_path / "fresh.bsm", LENS_POLICY)
    assert await example_counts(client, uri) == ["3 examples", "1 example"]

    # saved by another program: the editor reports it through the file watcher
    mark = client.code_lens_refreshes
    tests.write_text(tests.read_text(encoding="utf-8").replace(', not_fires: ["no-gift"]', ""), encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=tests.as_uri(), type=types.FileChangeType.Changed)]))
    await wait_for_code_lens_refresh(client, mark)
    assert await example_counts(client, uri) == ["2 examples", "1 example"]

    # typed in the editor, unsaved
    mark = client.code_lens_refreshes
    saved = tests.read_text(encoding="utf-8")
    test_uri = open_document(client, tests, saved)
    await wait_for_code_lens_refresh(client, mark)
    mark = client.code_lens_refreshes
    end = (saved.count("\n"), 0)
    change_document(client, test_uri, 2, end, end, 'example "another" {\n  message { body: "coupon" }\n'
                    '  fires no-coupon\n}\n')
    await wait_for_code_lens_refresh(client, mark)
    assert await example_counts(client, uri) == ["2 examples", "2 examples"]

    # closed unsaved: the saved text counts again
    mark = client.code_lens_refreshes
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=test_uri)))
    await wait_for_code_lens_refresh(client, mark)
    assert await example_counts(client, uri) == ["2 examples", "1 example"]


def decode(data: list[int], legend: list[str]) -> list[tuple[int, int, int, str, int]]:
    tokens, line, start = [], 0, 0
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, kind, modifiers = data[index:index + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        tokens.append((line, start, length, legend[kind], modifiers))
    return tokens


async def test_semantic_tokens_classify_every_token(client, tmp_path):
    text = ('# 🎁 gifts\npattern p = /x/i\nrule r-1 error {\n'
            '  forbid any(a in attachments: a.size > 1 MiB) and subject matches p\n}\n')
    uri = open_document(client, tmp_path / "tokens.bsm", text)
    result = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    from bsm_lsp.tokens import TOKEN_TYPES
    assert decode(list(result.data), TOKEN_TYPES) == [
        (0, 0, 10, "comment", 0),            # the emoji is two UTF-16 units
        (1, 0, 7, "keyword", 0), (1, 8, 1, "variable", 0b011), (1, 12, 4, "regexp", 0),
        (2, 0, 4, "keyword", 0), (2, 5, 3, "namespace", 0b001), (2, 9, 5, "keyword", 0),
        (3, 2, 6, "keyword", 0), (3, 9, 3, "keyword", 0), (3, 13, 1, "variable", 0b001),
        (3, 15, 2, "keyword", 0), (3, 18, 11, "property", 0), (3, 31, 1, "variable", 0),
        (3, 33, 4, "property", 0), (3, 40, 5, "number", 0), (3, 47, 3, "keyword", 0),
        (3, 51, 7, "property", 0), (3, 59, 7, "keyword", 0), (3, 67, 1, "variable", 0b010),
    ]


async def test_semantic_tokens_mark_every_word_of_the_grammar_as_a_keyword(client, tmp_path):
    """The words of example blocks too: `message from`, `context`, `for each row in`, `fires`,
    `expect`."""
    text = ('rule r error {\n  forbid sent_today > 3\n}\n'
            'examples "e" {\n  message from "m.json"\n  context { sent_today: 4 }\n'
            '  for each row in [{}]\n  not fires r\n  expect block\n}\n')
    uri = open_document(client, tmp_path / "words.bsm", text)
    result = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    from bsm_lsp.tokens import TOKEN_TYPES
    lines = text.splitlines()
    keywords = [lines[line][start:start + length] for line, start, length, kind, _ in
                decode(list(result.data), TOKEN_TYPES) if kind == "keyword"]
    assert keywords == ["rule", "error", "forbid", "examples", "message", "from", "context", "for", "each", "row",
                        "in", "not", "fires", "expect"]


async def test_folding_ranges_cover_statements_and_comment_blocks(client, tmp_path):
    text = '# one\n# two\npolicy "p"\n\n@doc("d")\nrule r error {\n  message "m"\n  forbid text contains "x"\n}\n'
    uri = open_document(client, tmp_path / "fold.bsm", text)
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [(r.start_line, r.end_line, r.kind) for r in ranges] == [
        (4, 8, types.FoldingRangeKind.Region), (0, 1, types.FoldingRangeKind.Comment)]


async def test_code_lens_follows_the_samples_setting(client, tmp_path):
    uri = open_document(client, tmp_path / "setting.bsm", 'policy "p"\nrule r error {\n  forbid text contains "gift"\n}\n')
    refreshes = client.code_lens_refreshes
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"bsm": {"samples": "nothing/*.jsonl"}}))
    try:
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert lenses[0].command.title == "no sample messages: set bsm.samples to a glob of JSON / JSONL files"
        assert client.code_lens_refreshes > refreshes
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"bsm": {"samples": "samples/*.jsonl"}}))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert [lens.command.title for lens in lenses] == [
        "3 samples: 2 allow, 0 warn, 1 block, 0 invalid", "0 examples · 1 of 3 samples flagged · evaluate on samples"]
