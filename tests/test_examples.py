"""Examples in policies: the syntax parses and formats back, the checker reports mistakes in
examples as located BSM6xx diagnostics with suggestions, table rows expand into cases, messages
load from JSON and EML files, and running a case compares verdict and rules with a trace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from bsm_rules.language import ast
from bsm_rules.language.examples import collect_cases, message_to_json
from bsm_rules.messages import parse_message
from bsm_rules.testing.examples import run_case
from bsm_rules.language.formatter import format_policy
from bsm_rules.language.parser import parse
from bsm_rules.engine.policy import Policy, check_policy

ROOT = Path(__file__).resolve().parent.parent

HEADER = 'include "bundled:amazon"\n\n'

CRITICAL = '''
example "critical without tag" {
  message { contact_reason: "product_customization", subject: "Engraving for 171-2345678-9012345", body: "Which name?" }
  context { avg_daily_orders: 10, sent_today: 3 }
  expect block
  fires important-tag-missing
  not fires order-id-missing
}
'''


def _checked(text: str, tmp_path: Path | None = None, name: str = "policy.test.bsm"):
    if tmp_path is None:
        return check_policy(text)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_policy(path)


def _codes(checked) -> list[str]:
    return [d.code for d in checked.diagnostics if d.is_error]


def test_an_example_parses_into_its_parts():
    policy, syntax = parse(CRITICAL)
    assert syntax == []
    (example,) = policy.statements
    assert isinstance(example, ast.ExampleDef) and not example.table
    assert example.name.value == "critical without tag"
    kinds = [type(entry).__name__ for entry in example.entries]
    assert kinds == ["ExampleMessage", "ExampleContext", "ExampleExpect", "ExampleFires", "ExampleFires"]
    assert [r.name for r in example.entries[4].rules] == ["order-id-missing"] and example.entries[4].negated


def test_sizes_with_units_and_negative_numbers_are_values():
    policy, _ = parse('example "x" { message { attachments: [{ name: "a.pdf", size: 2 MiB }], n: -1.5 } expect allow }')
    fields = policy.statements[0].entries[0].fields.entries
    size = fields[0].value.items[0].entries[1].value
    assert size.value == 2 * 1024 * 1024 and size.unit == "MiB"
    assert fields[1].value.value == -1.5


def test_examples_format_canonically_and_idempotently():
    text = HEADER + CRITICAL + '''
examples "rows" {
  message { contact_reason: "return_refund", "subject": "{s}" }
  expect allow
  for each row in [{ s: "Refund for the lamp" }, { s: "Refund for the sofa", expect: "allow" }]
}
'''
    policy, syntax = parse(text)
    assert syntax == []
    formatted = format_policy(policy)
    again, syntax = parse(formatted)
    assert syntax == [] and again == policy
    assert format_policy(again) == formatted
    assert "  for each row in [\n    { s: \"Refund for the lamp\" },\n" in formatted
    assert "\n  message {\n    contact_reason: \"product_customization\",\n" in formatted


_plain_words = st.text("abcdefgh xyz", min_size=0, max_size=20)


@given(subject=_plain_words, sent=st.integers(0, 10_000), rules=st.lists(
    st.sampled_from(["no-emoji", "generic-subject", "daily-limit"]), min_size=1, max_size=3))
def test_generated_examples_round_trip_through_the_formatter(subject, sent, rules):
    text = (f'example "e" {{\n  message {{ subject: {json.dumps(subject)} }}\n  context {{ sent_today: {sent} }}\n'
            f'  not fires {", ".join(rules)}\n}}\n')
    policy, syntax = parse(text)
    assert syntax == []
    formatted = format_policy(policy)
    assert parse(formatted)[0] == policy
    assert format_policy(parse(formatted)[0]) == formatted


def test_the_bundled_test_files_are_formatted():
    for name in ("amazon.test.bsm", "amazon-sp-api.test.bsm"):
        text = (ROOT / "policies" / name).read_text(encoding="utf-8")
        assert format_policy(parse(text)[0]) == text


# -- the checker ---------------------------------------------------------------------------------

def test_unknown_rule_in_fires_gets_a_located_error_with_a_suggestion():
    text = HEADER + CRITICAL.replace("fires important-tag-missing", "fires important-tag-missng")
    checked = _checked(text)
    (diagnostic,) = [d for d in checked.diagnostics if d.code == "BSM601"]
    assert diagnostic.span.text == "important-tag-missng"
    assert diagnostic.fixes[0].replacement == "important-tag-missing"
    assert "did you mean" in diagnostic.fixes[0].title


def test_a_disabled_rule_cannot_be_expected():
    text = HEADER + "disable order-id-missing\n" + CRITICAL
    checked = _checked(text)
    (diagnostic,) = [d for d in checked.diagnostics if d.code == "BSM601"]
    assert "disabled" in diagnostic.message and diagnostic.span.text == "order-id-missing"


@pytest.mark.parametrize("change, code, located", [
    (("subject:", "subjet:"), "BSM602", "subjet"),
    (("sent_today: 3", "sent_todya: 3"), "BSM602", "sent_todya"),
    (("sent_today: 3", "sent_today: -3"), "BSM603", "-3"),
    (('"product_customization"', '"product_customisation"'), "BSM603", '"product_customisation"'),
    (("expect block", "expect blocked"), "BSM604", "blocked"),
])
def test_mistakes_in_an_example_are_located(change, code, located):
    checked = _checked(HEADER + CRITICAL.replace(*change))
    found = [d for d in checked.diagnostics if d.code == code]
    assert found, _codes(checked)
    assert found[0].span.text == located
    assert found[0].span.line > 2


def test_bad_values_point_into_nested_objects():
    text = HEADER + '''example "a" {
  message { subject: "x", attachments: [{ name: "a.pdf", size: 1 }, { name: "b.pdf", size: "big" }] }
  expect allow
}
'''
    (diagnostic,) = [d for d in _checked(text).diagnostics if d.code == "BSM603"]
    assert diagnostic.span.text == '"big"'
    assert "$.attachments[1].size" in diagnostic.message


@pytest.mark.parametrize("text, fragment", [
    ('example "a" { expect allow }', "has no message"),
    ('example "a" { message { subject: "x" } }', "expects nothing"),
    ('examples "a" { message { subject: "x" } expect allow }', "has no rows"),
    ('example "a" { message { subject: "x" } expect allow for each row in [{ a: "b" }] }', "belongs to a table"),
    ('example "a" { message { subject: "x" } expect allow expect block }', "at most one"),
])
def test_incomplete_examples(text, fragment):
    diagnostics = [d for d in _checked(HEADER + text).diagnostics if d.code == "BSM606"]
    assert any(fragment in d.message for d in diagnostics), [d.message for d in diagnostics]


def test_table_columns_are_checked():
    text = HEADER + '''examples "a" {
  message { subject: "{subjet}" }
  expect allow
  for each row in [{ subject: "x" }, { subject: "y" }]
}
'''
    (unknown,) = [d for d in _checked(text).diagnostics if d.code == "BSM607"]
    assert unknown.message == "unknown column `subjet`" and unknown.fixes[0].replacement == "subject"
    assert unknown.span.text == unknown.fixes[0].span.text == "subjet"  # the fix keeps the quotes and braces
    missing = [d for d in _checked(text.replace('{ subject: "y" }', '{ other: "y" }')).diagnostics
               if d.code == "BSM607"]
    assert any(d.message == "this row has no value for other" and d.span.text == '{ subject: "x" }' for d in missing)


def test_examples_with_errors_do_not_stop_the_policy_from_checking_other_things():
    checked = _checked(HEADER + CRITICAL.replace("fires important-tag-missing", "fires nope")
                       + 'rule r error { message "m" forbid subject contains unknown_list }\n')
    assert {"BSM601", "BSM201"} <= set(_codes(checked))


# -- expansion and files ---------------------------------------------------------------------------

def test_table_rows_expand_with_typed_placeholders_and_row_expectations():
    text = HEADER + '''examples "quota at {sent}" {
  message { contact_reason: "return_refund", subject: "Your refund", body: "Refunded." }
  context { avg_daily_orders: 10, sent_today: "{sent}" }
  for each row in [
    { sent: 649, expect: "allow", not_fires: ["daily-limit"] },
    { sent: 650, expect: "block", fires: ["daily-limit"] },
  ]
}
'''
    checked = _checked(text)
    assert checked.ok, _codes(checked)
    cases = collect_cases(checked)
    assert [c.name for c in cases] == ["quota at 649", "quota at 650"]
    assert [c.context for c in cases] == [{"avg_daily_orders": 10, "sent_today": 649},
                                         {"avg_daily_orders": 10, "sent_today": 650}]
    assert cases[0].expect == "allow" and cases[0].not_fires == ("daily-limit",)
    assert cases[1].expect == "block" and cases[1].fires == ("daily-limit",)
    policy = Policy(checked)
    assert all(run_case(policy, case).passed for case in cases)


def test_literal_braces_in_table_strings():
    text = HEADER + '''examples "braces" {
  message { contact_reason: "return_refund", subject: "{{literal}} {word}" }
  expect allow
  for each row in [{ word: "lamp" }]
}
'''
    (case,) = collect_cases(_checked(text))
    assert case.message["subject"] == "{literal} lamp"


def test_message_from_a_json_file_with_overrides(tmp_path):
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "refund.json").write_text(json.dumps(
        {"contact_reason": "return_refund", "subject": "Your refund", "body": "Write to jane@example.com"}))
    text = HEADER + '''example "from a file" {
  message from "samples/refund.json"
  fires no-email-address
}

example "from a file, with the address removed" {
  message from "samples/refund.json" { body: "We refunded the lamp." }
  expect allow
}
'''
    checked = _checked(text, tmp_path)
    assert checked.ok, _codes(checked)
    policy = Policy(checked)
    results = [run_case(policy, case) for case in collect_cases(checked)]
    assert [r.passed for r in results] == [True, True]
    assert results[1].case.message["subject"] == "Your refund"


def test_message_from_an_eml_file(tmp_path):
    (tmp_path / "mail.eml").write_text(
        "From: shop@example.com\nTo: abc@marketplace.amazon.com\nSubject: Your refund\n"
        "X-BSM-Contact-Reason: return_refund\nContent-Type: text/plain; charset=utf-8\n\n"
        "Call us on +1 206-555-0100.\n", encoding="utf-8")
    text = HEADER + 'example "an email" {\n  message from "mail.eml"\n  fires phone-number\n}\n'
    checked = _checked(text, tmp_path)
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    (case,) = collect_cases(checked)
    assert case.message["subject"] == "Your refund"
    assert run_case(Policy(checked), case).passed


@pytest.mark.parametrize("field", ["category", "contact_reason", "language", "order_id", "html", "id", "in_reply_to"])
def test_a_message_written_as_json_keeps_an_empty_field(field):
    message = parse_message({field: ""} if field != "in_reply_to" else
                            {"in_reply_to": {"id": "", "received_at": "2026-11-20T12:00:00Z"}})
    assert parse_message(message_to_json(message)) == message  # "" is not the field left out


@pytest.mark.parametrize("content, fragment", [
    (None, "No such file"),
    ("{not json", "Expecting property name"),
    ("[{}, {}]", "one message object"),
])
def test_unreadable_message_files_are_located(tmp_path, content, fragment):
    if content is not None:
        (tmp_path / "m.json").write_text(content)
    text = HEADER + 'example "file" {\n  message from "m.json"\n  expect allow\n}\n'
    (diagnostic,) = [d for d in _checked(text, tmp_path).diagnostics if d.code == "BSM605"]
    assert diagnostic.span.text == '"m.json"'
    assert fragment in diagnostic.message


def test_only_the_main_files_examples_run():
    checked = check_policy(ROOT / "policies" / "amazon-sp-api.test.bsm")
    names = {case.name for case in collect_cases(checked)}
    assert "a removed messaging action" in names
    assert not any("tag" in name and "critical" in name and "blocked" in name for name in names)


# -- running --------------------------------------------------------------------------------------

def test_a_failing_case_explains_itself_with_the_rule_trace():
    text = HEADER + '''example "wrongly expected" {
  message { contact_reason: "product_customization", subject: "[Important] Engraving", body: "Which name?" }
  expect allow
  not fires order-id-missing
}
'''
    checked = _checked(text)
    (case,) = collect_cases(checked)
    result = run_case(Policy(checked), case)
    assert not result.passed
    assert result.verdict == "block" and "order-id-missing" in result.fired
    assert "expected verdict allow, got block" in result.problems
    assert "expected order-id-missing not to fire, it fired" in result.problems
    trace = "\n".join(result.trace)
    assert "rule order-id-missing" in trace
    assert "when category == critical: true (applies)" in trace
    assert re.search(r"require order_ids\(.*\): false \(violation\)", trace)
    assert "'[Important] Engraving" in trace
    assert "decided by: require order_ids(" in trace


def test_the_trace_names_the_guard_that_kept_a_rule_silent():
    text = HEADER + '''example "expects the quota rule" {
  message { contact_reason: "return_refund", subject: "Your refund", body: "Refunded." }
  context { sent_today: 5000 }
  fires daily-limit
}
'''
    checked = _checked(text)
    (case,) = collect_cases(checked)
    result = run_case(Policy(checked), case)
    assert result.problems == ("expected daily-limit to fire, it did not",)
    trace = "\n".join(result.trace)
    assert "forbid sent_today + 1 > 5 * avg_daily_orders + 600: unknown (no violation)" in trace
    assert "avg_daily_orders = absent" in trace
