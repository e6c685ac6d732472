"""The compiled evaluator agrees with the reference interpreter (tests/reference_interpreter.py)
on generated policies and generated messages: same verdict, same violations in the same order
with the same messages and locations. Fixed seed under the `ci` profile; `HYPOTHESIS_PROFILE=dev`
runs more."""

from __future__ import annotations

import datetime
import functools

import pytest
from hypothesis import example, given, note, strategies as st

from bsm_rules.messages.model import parse_message
from bsm_rules.engine.policy import Policy, check_policy, load_policy

from reference_interpreter import reference_evaluate

NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone.utc)

VOCABULARY = '''
category critical { reasons delivery_scheduling, address_issue aliases confirmDeliveryDetails }
category non_critical { reasons return_refund, review_request, invoice }
category promotional { reasons coupon }
pattern foo_word = /\\bfoo\\b/i
pattern three_digits = /[0-9]{3}/
pattern greeting = /^hello/im
pattern bar_end = /bar$/
list phrases = ["foo bar", "gift card", "refund", "5-star"]
domains carriers = ["ups.com", "dhl.de"]
'''

TEXT_FIELDS = st.sampled_from(["subject", "body", "html", "text"])
REASONS = ["delivery_scheduling", "address_issue", "confirmDeliveryDetails", "return_refund", "review_request",
           "invoice", "coupon"]


def _leaf():
    text = TEXT_FIELDS
    return st.one_of(
        st.builds(lambda f, p, pos: f"{f} matches {p}{pos}", text,
                  st.sampled_from(["foo_word", "three_digits", "greeting", "bar_end", "phrases", "/o+/", "/[A-Z]\\w*/"]),
                  st.sampled_from(["", " at start", " at end", " in middle"])),
        st.builds(lambda f, p: f"{f} contains {p}", text,
                  st.sampled_from(['"foo"', '"gift card"', "phrases", '["bar", "baz"]'])),
        st.builds(lambda f, op, w: f'{f} {op} "{w}"', st.sampled_from(["subject", "body", "contact_reason"]),
                  st.sampled_from(["starts with", "ends with"]), st.sampled_from(["hello", "bar", "re"])),
        st.builds(lambda op, r: f"contact_reason {op} {r}", st.sampled_from(["==", "!="]), st.sampled_from(REASONS)),
        st.builds(lambda op, c: f"category {op} {c}", st.sampled_from(["==", "!="]),
                  st.sampled_from(["critical", "non_critical", "promotional"])),
        st.builds(lambda op, rs: f"contact_reason {op} [{', '.join(rs)}]", st.sampled_from(["in", "not in"]),
                  st.lists(st.sampled_from(REASONS), min_size=1, max_size=3)),
        st.builds(lambda f, p: f"{f} is {p}",
                  st.sampled_from(["order_id", "in_reply_to", "html", "language", "recipient.language",
                                   "contact_reason", "declared_category", "attachments"]),
                  st.sampled_from(["present", "absent"])),
        st.builds(lambda op, n: f"count(attachments) {op} {n}", st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
                  st.integers(0, 3)),
        st.builds(lambda op, n: f"sum(attachments.size) {op} {n} KiB", st.sampled_from([">", "<=", ">=", "<"]), st.sampled_from([0, 1, 2, 10, 64])),
        st.builds(lambda f, op, n: f"length({f}) {op} {n}", st.sampled_from(["body", "subject", "text"]),
                  st.sampled_from([">", "<", ">=", "<="]), st.integers(0, 40)),
        st.builds(lambda a, b: f"sent_today + 1 > {a} * avg_daily_orders + {b}", st.integers(0, 5), st.integers(0, 20)),
        st.builds(lambda n: f"sent_at - in_reply_to.received_at > {n} h", st.integers(0, 48)),
        st.builds(lambda f, t: f"{f}({t})",
                  st.sampled_from(["emails", "links", "phone_numbers", "order_ids", "emoji", "obfuscated_emails"]),
                  st.sampled_from(["text", "body", "subject"])),
        st.just("any(l in links(text): not is_amazon(l.domain) and l.domain not in carriers)"),
        st.just("any(a in attachments: a.extension not in [\"pdf\", \"jpg\"])"),
        st.builds(lambda n: f"all(a in attachments: a.size < {n} B)", st.integers(0, 3000)),
        st.just("any(o in order_ids(text): o.value != order_id)"),
        st.just("recipient.opted_out"),
        st.just("primary(language) == primary(recipient.language)"),
        st.builds(lambda w: f'lower(subject) == "{w}"', st.sampled_from(["hello", "foo bar"])),
        st.just("count(emails(text)) / count(attachments) > 1"),
    )


def _condition():
    return st.recursive(
        _leaf(),
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=4,
    )


@st.composite
def policies(draw) -> str:
    rules = []
    for index in range(draw(st.integers(1, 4))):
        clauses = [f'message "rule {index}: {{match}} ({{contact_reason}}, {{recipient.language}}, {{sent_today}})"']
        if draw(st.booleans()):
            clauses.append(f"when {draw(_condition())}")
        for _ in range(draw(st.integers(1, 2))):
            clauses.append(f"{draw(st.sampled_from(['forbid', 'require']))} {draw(_condition())}")
        if draw(st.booleans()):
            clauses.append(f"severity {draw(st.sampled_from(['error', 'info']))} when {draw(_condition())}")
        if draw(st.booleans()):
            clauses.append(f'note "see {{match}}" when {draw(_condition())}')
        severity = draw(st.sampled_from(["error", "warning", "info"]))
        rules.append(f"rule r{index} {severity} {{\n  " + "\n  ".join(clauses) + "\n}")
    return VOCABULARY + "\n".join(rules) + "\n"


WORDS = ["foo", "bar", "Foo bar", "hello", "HELLO", "refund", "gift card", "5-star", "123", "abc",
         "jane@example.com", "https://shop.example.com/x", "www.amazon.com", "ups.com/track",
         "171-2345678-9012345", "112-345678-0123456", "+1 206-555-0100", "😀", "john at gmail dot com",
         "ｆｏｏ", "gi\u200bft card", "re", "\n"]


@st.composite
def messages(draw) -> dict:
    def text(max_size=6):
        return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=max_size)))

    message: dict = {"subject": text(4), "body": text()}
    if draw(st.booleans()):
        message["contact_reason"] = draw(st.sampled_from(REASONS))
    if draw(st.integers(0, 4)) == 0:
        message["category"] = draw(st.sampled_from(["critical", "non_critical", "promotional"]))
    if draw(st.integers(0, 3)) == 0:
        message["html"] = f"<p>{text()}</p>" + draw(st.sampled_from(
            ["", '<a href="https://evil.example/x">x</a>', '<img src="https://a.b/p.gif" width="1" height="1">']))
    if draw(st.booleans()):
        message["order_id"] = draw(st.sampled_from(["171-2345678-9012345", "999-9999999-9999999"]))
    if draw(st.booleans()):
        message["language"] = draw(st.sampled_from(["en", "de-DE", "EN-gb"]))
    recipient = {}
    if draw(st.booleans()):
        recipient["language"] = draw(st.sampled_from(["en", "de", "fr"]))
    if draw(st.booleans()):
        recipient["opted_out"] = draw(st.booleans())
    if recipient:
        message["recipient"] = recipient
    message["attachments"] = draw(st.lists(st.fixed_dictionaries({
        "name": st.sampled_from(["a.pdf", "b.JPG", "c.pdf.exe", "noext", "d.png"]),
        "size": st.one_of(st.sampled_from([0, 1024, 2048, 10240, 65536]), st.integers(0, 70000))}), max_size=3))
    if draw(st.booleans()):
        message["in_reply_to"] = {"received_at": draw(st.sampled_from(
            ["2026-11-19T10:00:00Z", "2026-11-18T09:00:00Z", "2026-11-20T11:00:00+01:00"]))}
    if draw(st.booleans()):
        message["sent_at"] = "2026-11-20T12:00:00Z"
    context = {}
    if draw(st.booleans()):
        context["avg_daily_orders"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        context["sent_today"] = draw(st.integers(0, 40))
    if context:
        message["context"] = context
    return message


def _compare(policy: Policy, message_json: dict) -> None:
    message = parse_message(message_json, "m")
    policy.compiled.validate(message)
    compiled = policy.compiled.evaluate(message, None, NOW)
    reference = reference_evaluate(policy.checked, message, None, NOW)
    assert compiled.to_json() == reference.to_json()


@given(policies(), st.lists(messages(), min_size=1, max_size=6))
@example(VOCABULARY + 'rule r0 error {\n  message "at most 1 KiB"\n  forbid not (sum(attachments.size) <= 1 KiB)\n}\n',
         [{"attachments": [{"name": "a.pdf", "size": 1024}]}, {"attachments": [{"name": "a.pdf", "size": 1025}]}])
def test_compiled_evaluator_agrees_with_the_reference_interpreter(policy_text, message_batch):
    note(policy_text)
    checked = check_policy(policy_text)
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    policy = Policy(checked)
    for message_json in message_batch:
        _compare(policy, message_json)


@functools.lru_cache(maxsize=None)
def _bundled(name: str) -> Policy:
    return load_policy(f"bundled:{name}")


@pytest.mark.parametrize("name", ["amazon", "amazon-sp-api"])
@given(message_json=messages())
def test_bundled_policies_agree_with_the_reference_interpreter(name, message_json):
    policy = _bundled(name)
    try:
        _compare(policy, message_json)
    except Exception as error:  # unknown contact reasons of the generated vocabulary
        if type(error).__name__ != "MessageError":
            raise


def test_the_reference_interpreter_is_not_vacuous():
    policy = load_policy("bundled:amazon")
    message = parse_message({"contact_reason": "return_refund", "subject": "Hello",
                             "body": "Write to jane@example.com 😀"})
    verdict = reference_evaluate(policy.checked, message, None, NOW)
    assert {"no-email-address", "no-emoji", "generic-subject"} <= set(verdict.fired)
    assert verdict.verdict == "block"


def _violations(policy: Policy, message_json: dict, run) -> list:
    message = parse_message(message_json, "m")
    policy.compiled.validate(message)
    out: list = []
    run(policy.compiled.view(message, None, NOW), out)
    return [violation.to_json() for violation in out]


@given(policies(), st.lists(messages(), min_size=1, max_size=6))
def test_the_generated_rule_runner_agrees_with_running_each_rule(policy_text, message_batch):
    """The generated runner (simple conditions written out as Python) gives exactly what running
    each compiled rule's closures one clause at a time gives."""
    note(policy_text)
    checked = check_policy(policy_text)
    assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]
    policy = Policy(checked)
    for message_json in message_batch:
        assert _violations(policy, message_json, policy.compiled.run_rules) == \
            _violations(policy, message_json, policy.compiled.run_each_rule)
