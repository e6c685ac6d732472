"""What the parser accepts at a cursor (`expected_at`, which completion is built on): the token a
valid policy has there is always among it, whatever comes after the cursor is not read, and
unfinished or broken text still gets an answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_strategies import NOWHERE, messy_text, policy_asts

from bsm_rules.core import bundled_policies_dir
from bsm_rules.language import ast, expected_at, format_policy
from bsm_rules.language.parser import _lark

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _terms(text: str) -> list[tuple[int, str]]:
    """(offset, term) of every token of a valid policy that does not continue a word: its text
    when the grammar writes it literally, else its terminal's name."""
    literals = {t.name: t.pattern.value for t in _lark().terminals if t.pattern.type == "str"}
    return [(token.start_pos, literals.get(token.type, token.type))
            for token in _lark().parse_interactive(text).iter_parse()
            if token.start_pos == 0 or text[token.start_pos - 1] not in _WORD_CHARS]


def _accepts(tokens: frozenset[str], term: str) -> bool:
    return term in tokens or any(phrase.startswith(term + " ") for phrase in tokens)


def assert_every_token_is_expected(text: str) -> None:
    for offset, term in _terms(text):
        expected = expected_at(text, offset)
        assert _accepts(expected.tokens, term), (text[:offset], term, sorted(expected.tokens))


@pytest.mark.parametrize("name", ["amazon.bsm", "amazon.test.bsm"])
def test_every_token_of_the_bundled_policies_is_expected_where_it_is(name):
    text = (bundled_policies_dir() / name).read_text(encoding="utf-8")
    assert_every_token_is_expected(text)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_token_of_a_generated_policy_is_expected_where_it_is(data):
    policy = data.draw(policy_asts())
    assert_every_token_is_expected(format_policy(policy))
    assert_every_token_is_expected(data.draw(messy_text(policy)))


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from('rule r-1 error{}()[]"/#\n.:,=<>+-*@ifnotand matches 10 MiB x'), max_size=60),
       offset=st.integers(-5, 80))
def test_any_text_and_offset_get_an_answer(text, offset):
    expected = expected_at(text, offset)
    assert all(isinstance(token, str) and token for token in expected.tokens)


def test_the_text_after_the_cursor_is_not_read():
    text = 'rule r error {\n  forbid text matches \n}\n'
    cursor = text.index("matches ") + len("matches ")
    assert expected_at(text, cursor) == expected_at(text[:cursor] + "!!! broken ]]] \"", cursor)


@pytest.mark.parametrize("before, accepted, refused", [
    ("", {"policy", "rule", "example", "@", "$END"}, {"forbid", "NAME"}),
    ("override ", {"RULE_ID"}, {"NAME", "severity"}),
    ("rule r ", {"SEVERITY"}, {"{"}),
    ("rule r error {\n  ", {"message", "when", "require", "forbid", "severity", "note", "}"}, {"rule"}),
    ("rule r error {\n  forbid text ", {"matches", "contains", "starts with", "ends with", "is present", "is absent",
                                         "in", "not in", "and", "or", "COMPARE"}, {"NAME", "starts"}),
    ("rule r error {\n  forbid text matches p ", {"at start", "at end", "in middle", "and"}, {"matches"}),
    ("rule r error {\n  forbid size > 10 ", {"UNIT", "and"}, {"NUMBER"}),
    ("rule r error {\n  severity ", {"SEVERITY"}, {"NAME"}),
    ('example "e" {\n  ', {"message", "context", "expect", "fires", "not fires", "for each row in", "}"}, {"forbid"}),
    ('example "e" {\n  message ', {"{", "from"}, {"STRING"}),
    ('example "e" {\n  fires ', {"RULE_ID"}, {"NAME"}),
    ("category c {\n  reasons a, ", {"NAME", "reasons", "aliases", "}"}, {"STRING"}),
])
def test_what_each_place_accepts(before, accepted, refused):
    tokens = expected_at(before, len(before)).tokens
    assert accepted <= tokens
    assert not refused & tokens


def test_the_word_being_typed_is_left_out():
    typed = expected_at("rule r error {\n  forbid te", len("rule r error {\n  forbid te"))
    assert typed == expected_at("rule r error {\n  forbid ", len("rule r error {\n  forbid "))
    assert "UNIT" in expected_at("x\nrule r error {\n  forbid size > 10Mi", 37).tokens


@pytest.mark.parametrize("before", [
    'rule r error {\n  message "half a sent',
    "rule r error {\n  forbid text matches /a b",
    "pattern p = /",
    "rule r error {\n  forbid text # a comm",
])
def test_nothing_is_expected_inside_a_string_a_regular_expression_or_a_comment(before):
    assert expected_at(before, len(before)).tokens == frozenset()


def test_a_broken_token_before_the_cursor_is_left_out():
    tokens = expected_at('rule r error {\n  forbid text == == & x and ', 45).tokens
    assert {"NAME", "not", "any"} <= tokens


def test_an_earlier_broken_statement_does_not_matter():
    text = 'rule r error {\n  forbid ((( "\n}\n\nrule s error {\n  forbid '
    assert {"NAME", "not"} <= expected_at(text, len(text)).tokens


def test_the_operand_before_the_last_tokens_and_the_quantifier_variables_in_scope():
    text = "rule r error {\n  forbid any(a in attachments: any(l in links(a.name): l."
    expected = expected_at(text, len(text))
    assert expected.before[-2:] == ("NAME", ".")
    assert expected.operand == ast.Name("l", NOWHERE)
    [(outer, over), (inner, links)] = expected.variables
    assert (outer, inner) == ("a", "l")
    assert over == ast.Name("attachments", NOWHERE)
    assert isinstance(links, ast.Call) and links.function.name == "links"
    assert text[links.span.start:links.span.end] == "links(a.name)"
    text = "rule r error {\n  forbid l.domain not in "
    assert expected_at(text, len(text)).operand == ast.AttributeAccess(
        ast.Name("l", NOWHERE), ast.Ident("domain", NOWHERE), NOWHERE)
