"""Text operators of the compiled evaluator, where letter case, normalisation and positions meet:
what matches and where the match is reported in the field as written."""

from __future__ import annotations

import pytest

from bsm_rules import load_policy

POLICY = load_policy("""
rule starts info {
  message "{match}"
  forbid subject starts with "strasse"
}

rule ends info {
  message "{match}"
  forbid subject ends with "ffi"
}

rule contains info {
  message "{match}"
  forbid body contains "refund"
}

rule at-start info {
  message "{match}"
  forbid body matches /re:/i at start
}

rule in-middle info {
  message "{match}"
  forbid body matches /\\bx\\b/ in middle
}

list gifts = ["ｇｉｆｔ ｃａｒｄ", "voucher"]

rule gifts info {
  message "{match}"
  forbid body contains gifts
}

rule names-the-order info {
  message "{match}"
  forbid body contains order_id
}

rule relay-address info {
  message "{recipient.address}"
  forbid recipient.address ends with "＠marketplace.amazon.com" and subject starts with "ＲＥ:"
}

rule equals info {
  message "{match}"
  forbid order_id == "ABC-1"
}
""")


@pytest.mark.parametrize(("field", "value", "rule", "excerpt"), [
    ("subject", "Straße 1", "starts", "Straße"),      # ß folds to ss: the match is 6 characters, not 7
    ("subject", "  Straße", "starts", "Straße"),
    ("subject", "STRASSE nord", "starts", "STRASSE"),
    ("subject", "Kaffee ﬃ", "ends", "ﬃ"),            # ﬃ is NFKC "ffi"
    ("subject", "Kaffee FFI  ", "ends", "FFI"),
    ("body", "A Refund! For you", "contains", "Refund"),
    ("body", "  RE: your kettle", "at-start", "RE:"),
    ("body", "a x b", "in-middle", "x"),
])
def test_operator_matches_and_locates(field, value, rule, excerpt):
    message = {"subject": "s", "body": "b", field: value}
    verdict = POLICY.evaluate(message)
    (violation,) = [v for v in verdict.violations if v.rule == rule]
    assert (violation.field, violation.excerpt, violation.message) == (field, excerpt, excerpt)
    assert value[violation.start:violation.end] == excerpt


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("subject", "Straße", "ends"),
    ("subject", "Strass", "starts"),
    ("subject", "ß", "starts"),
    ("body", "refunds and prerefund", "contains"),
    ("body", "x RE: x", "at-start"),
    ("body", "x a", "in-middle"),
    ("body", "a x", "in-middle"),
])
def test_operator_does_not_match(field, value, rule):
    assert rule not in POLICY.evaluate({"subject": "s", "body": "b", field: value}).fired


def test_equality_is_case_insensitive_and_unknown_for_an_absent_field():
    assert POLICY.evaluate({"order_id": "abc-1"}).fired == ["equals"]
    assert POLICY.evaluate({"order_id": "ABC-2"}).fired == []
    assert POLICY.evaluate({}).fired == []


@pytest.mark.parametrize(("message", "rule", "excerpt"), [
    ({"body": "A Gift Card for you"}, "gifts", "Gift Card"),          # the phrase is normalised like the text
    ({"body": "A ｇｉｆｔ ｃａｒｄ for you"}, "gifts", "ｇｉｆｔ ｃａｒｄ"),
    ({"order_id": "ＡＢＣ-1", "body": "about abc-1 today"}, "names-the-order", "abc-1"),
    ({"order_id": "\ud800", "body": "x \ud800 y"}, "names-the-order", "\ud800"),
])
def test_phrases_are_normalised_like_the_text(message, rule, excerpt):
    (violation,) = [v for v in POLICY.evaluate(message).violations if v.rule == rule]
    assert violation.excerpt == excerpt


def test_starts_and_ends_with_compare_normalised_text():
    message = {"recipient": {"address": "x@Marketplace.Amazon.com"}, "subject": "re: kettle"}
    (violation,) = [v for v in POLICY.evaluate(message).violations if v.rule == "relay-address"]
    assert (violation.field, violation.excerpt) == ("subject", "re:")
    message = {"recipient": {"address": "x@marketplace.amazon.com.example"}, "subject": "re: kettle"}
    assert "relay-address" not in POLICY.evaluate(message).fired
