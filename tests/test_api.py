"""The library API for tools that embed bsm-rules: `load_policy` → `Policy.evaluate` → `Verdict`,
and the project's own exceptions carrying diagnostics."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bsm_rules
from bsm_rules import (BsmError, Diagnostic, MessageError, Policy, PolicyError, Verdict, Violation, check,
                       load_policy, parse)

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
SHOP_POLICY = """policy "Shop" version "1" effective "2026-11-01"

list banned = ["risk-free", "guarantee"]

rule no-promises warning {
  message "do not promise: {match}"
  forbid text contains banned
}

rule no-emails error {
  message "no addresses: {match}"
  forbid emails(text)
}
"""


def test_public_names_are_the_documented_api():
    assert sorted(bsm_rules.__all__) == sorted([
        "BsmError", "Diagnostic", "MessageError", "Policy", "PolicyError", "Verdict", "Violation",
        "check", "load_policy", "parse",
    ])
    for name in bsm_rules.__all__:
        assert getattr(bsm_rules, name) is not None
        assert name in dir(bsm_rules)
    namespace: dict = {}
    exec("from bsm_rules import *", namespace)
    assert set(bsm_rules.__all__) <= set(namespace)
    with pytest.raises(AttributeError):
        bsm_rules.no_such_name  # noqa: B018


def test_load_evaluate_verdict_from_text():
    policy = load_policy(SHOP_POLICY)
    assert isinstance(policy, Policy)
    assert policy.name == "Shop"
    assert policy.rule_ids == ["no-promises", "no-emails"]
    body = "It is risk-free: write to jane@example.com"
    verdict = policy.evaluate({"id": "m-1", "body": body}, now=NOW)
    assert isinstance(verdict, Verdict)
    assert verdict.verdict == "block"
    assert [(v.rule, v.severity, v.field, v.excerpt) for v in verdict.violations] == [
        ("no-promises", "warning", "body", "risk-free"), ("no-emails", "error", "body", "jane@example.com")]
    assert all(isinstance(v, Violation) for v in verdict.violations)
    assert verdict.to_json() == {
        "message": "m-1", "verdict": "block",
        "violations": [
            {"rule": "no-promises", "severity": "warning", "message": "do not promise: risk-free",
             "field": "body", "start": 6, "end": 15, "excerpt": "risk-free"},
            {"rule": "no-emails", "severity": "error", "message": "no addresses: jane@example.com",
             "field": "body", "start": 26, "end": 42, "excerpt": "jane@example.com"},
        ]}
    json.dumps(verdict.to_json())
    assert policy.evaluate({"body": "A fine kettle."}).verdict == "allow"


def test_load_from_a_path_a_path_string_and_the_bundled_names(tmp_path):
    path = tmp_path / "shop.bsm"
    path.write_text(SHOP_POLICY, encoding="utf-8")
    for source in (path, str(path)):
        assert load_policy(source).rule_ids == ["no-promises", "no-emails"]
    amazon = load_policy()
    assert amazon.name == "Amazon Buyer-Seller Messaging"
    assert load_policy("bundled:amazon").rule_ids == amazon.rule_ids
    assert "sp-api-text-length" in load_policy("bundled:amazon-sp-api").rule_ids


def test_a_policy_including_the_bundled_one(tmp_path):
    path = tmp_path / "ours.bsm"
    path.write_text('include "bundled:amazon"\n\noverride phone-number {\n  severity error\n}\n'
                    "disable generic-subject\n", encoding="utf-8")
    policy = load_policy(path)
    assert "generic-subject" not in policy.rule_ids
    verdict = policy.evaluate({"contact_reason": "reply", "subject": "Hi", "body": "Call +1 206-555-0100"}, now=NOW)
    assert [(v.rule, v.severity) for v in verdict.violations] == [("phone-number", "error")]


def test_policy_errors_carry_every_diagnostic():
    text = 'rule a error {\n  message "x"\n  forbid body contains nope\n}\n\nrule b error {\n  forbid subjct == "x"\n}\n'
    with pytest.raises(PolicyError) as caught:
        load_policy(text)
    error = caught.value
    assert isinstance(error, BsmError)
    assert len(error.diagnostics) >= 2
    assert all(isinstance(d, Diagnostic) for d in error.diagnostics)
    codes = {d.code for d in error.diagnostics if d.is_error}
    assert "BSM201" in codes  # unknown names
    lines = sorted(d.span.line for d in error.diagnostics if d.is_error)
    assert lines[0] == 3 and lines[-1] == 7
    assert "subject" in str(error)  # the did-you-mean for subjct, rendered in the message


def test_a_syntax_error_is_a_policy_error():
    with pytest.raises(PolicyError) as caught:
        load_policy('rule Bad_Id error {\n  forbid body contains "x"\n}\n')
    assert caught.value.diagnostics[0].code.startswith("BSM1")


def test_a_missing_policy_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "absent.bsm")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "BSM001" and "absent.bsm" in diagnostic.message
    with pytest.raises(PolicyError):
        load_policy(str(tmp_path / "absent.bsm"))


def test_check_reports_without_raising():
    checked = check('rule a error {\n  forbid body contains nope\n}\n')
    assert not checked.ok
    assert [d.code for d in checked.diagnostics if d.is_error] == ["BSM201"]
    assert check(SHOP_POLICY).ok


def test_parse_returns_the_tree_and_the_syntax_errors():
    tree, diagnostics = parse(SHOP_POLICY)
    assert diagnostics == []
    assert len(tree.statements) == 4
    _, diagnostics = parse("rule {")
    assert diagnostics and diagnostics[0].code.startswith("BSM1")


@pytest.mark.parametrize(("message", "path"), [
    ("not a message", "$"),
    ({"body": 3}, "$.body"),
    ({"attachments": [{"name": "a.pdf"}]}, "$.attachments[0].size"),
    ({"contact_reason": "unknown_reason"}, "$.contact_reason"),
])
def test_message_errors_carry_the_json_path(message, path):
    with pytest.raises(MessageError) as caught:
        load_policy().evaluate(message)
    assert caught.value.path == path
    assert isinstance(caught.value, BsmError)


@pytest.mark.parametrize(("written", "reason"), [
    ("2026-11-22T09:30Z", "(RFC 3339 requires the second"),
    ("2026-11-22T09Z", "(minute and second are mandatory"),
    ("20261122T093000Z", "not an RFC 3339 timestamp"),  # ISO 8601 basic format
    ("2026-W47-1T09:30:00Z", "not an RFC 3339 timestamp"),  # ISO 8601 week date
    ("2026-11-22T09:30:00+0100", "separator"),
    ("2026-02-30T09:30:00Z", "day is out of range"),
    ("2026-11-22T09:30:00", "has no time zone"),
    ("2026-11-22", "has no time zone"),
    ("yesterday", "not an RFC 3339 timestamp"),
])
def test_a_timestamp_that_is_not_rfc_3339_is_a_message_error_saying_why(written, reason):
    for message, path in (({"body": "x", "sent_at": written}, "$.sent_at"),
                          ({"body": "x", "in_reply_to": {"received_at": written}}, "$.in_reply_to.received_at")):
        with pytest.raises(MessageError) as caught:
            load_policy().evaluate(message, now=NOW)
        assert caught.value.path == path
        assert f"'{written}'" in caught.value.reason and reason in caught.value.reason


@pytest.mark.parametrize(("written", "meant"), [
    ("2026-11-22T09:30:00Z", "2026-11-22T09:30:00+00:00"),
    ("2026-11-22t09:30:00z", "2026-11-22T09:30:00+00:00"),
    ("2026-11-22 09:30:00+01:00", "2026-11-22T08:30:00+00:00"),
    ("2026-11-22T09:30:00.25-00:00", "2026-11-22T09:30:00.250000+00:00"),
    (" 2026-11-22T09:30:00Z ", "2026-11-22T09:30:00+00:00"),
    ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00+00:00"),
])
def test_rfc_3339_timestamps_are_read_in_all_their_forms(written, meant):
    from bsm_rules.messages.model import parse_timestamp
    parsed = parse_timestamp(written, "$.sent_at")
    assert parsed == datetime.datetime.fromisoformat(meant)


_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: datetime.timezone(
    datetime.timedelta(minutes=minutes)))


@given(st.datetimes(timezones=_OFFSETS), st.sampled_from("Tt "))
def test_every_timestamp_written_in_rfc_3339_reads_back(moment, separator):
    from bsm_rules.messages.model import parse_timestamp
    written = moment.isoformat(sep=separator, timespec="microseconds")
    assert parse_timestamp(written, "$.sent_at") == moment


@pytest.mark.parametrize(("context", "path"), [
    ({"sent_today": -1}, "context.sent_today"),
    ({"avg_daily_orders": "ten"}, "context.avg_daily_orders"),
    ([1], "context"),
])
def test_a_bad_context_is_a_message_error(context, path):
    with pytest.raises(MessageError) as caught:
        load_policy().evaluate({"body": "x"}, context=context)
    assert caught.value.path == path


def test_context_argument_and_the_messages_own_context():
    policy = load_policy()
    message = {"contact_reason": "reply", "subject": "About your kettle", "body": "Thanks."}
    over = {"avg_daily_orders": 0, "sent_today": 600}
    assert "daily-limit" in policy.evaluate(message, context=over, now=NOW).fired
    assert "daily-limit" not in policy.evaluate({**message, "context": {"sent_today": 0}}, context=over, now=NOW).fired
    assert "daily-limit" not in policy.evaluate(message, now=NOW).fired


def test_a_naive_now_is_taken_as_utc():
    reply = {"contact_reason": "reply", "subject": "About your kettle", "body": "Thanks.",
             "in_reply_to": {"received_at": "2026-11-21T12:00:00+00:00"}}
    policy = load_policy()
    assert "late-response" not in policy.evaluate(reply, now=datetime.datetime(2026, 11, 22, 12, 0)).fired
    assert "late-response" in policy.evaluate(reply, now=datetime.datetime(2026, 11, 22, 12, 0, 1)).fired


def test_a_policy_is_reused_across_messages():
    policy = load_policy(SHOP_POLICY)
    verdicts = [policy.evaluate({"id": str(i), "body": f"message {i} is risk-free"}, now=NOW) for i in range(50)]
    assert [v.message_id for v in verdicts] == [str(i) for i in range(50)]
    assert {v.verdict for v in verdicts} == {"warn"}
