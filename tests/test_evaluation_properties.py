"""Properties of evaluation and loading: any message that fits the model is evaluated without an
exception and with consistent locations; planted contact details are found exactly where they were
planted; bad fields are reported by their JSON path; arbitrary policy text only ever raises
`PolicyError`."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import assume, given, strategies as st

from bsm_rules import MessageError, PolicyError, Verdict, load_policy, parse
from bsm_rules.library.finders import find_emails, find_links, is_amazon_domain
from bsm_rules.library.normalize import normalize

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
POLICIES = Path(__file__).resolve().parent.parent / "policies"
AMAZON = load_policy()
SP_API = load_policy("bundled:amazon-sp-api")
TEN_MIB = 10 * 1024 * 1024

# -- a strategy for messages that fit the model ---------------------------------------------------

# Pieces that exercise the finders, mixed into arbitrary unicode text.
FRAGMENTS = [
    "[Important]", "(Important)", "【Important】", "jane@example.com", "john＠gmail.com", "mailto:a@b.de",
    "john at gmail dot com", "https://shop-example.com/x?y=1", "www.amazon.co.uk/gp", "e.g.", "U.S.",
    "amazon.com.returns-help.net", "112-3456789-0123456", "112-345678-0123456", "+1 206-555-0100",
    "2026-11-22", "1Z999AA10123456784", "😊", "👩\u200d💻", "\u200b", "\u00ad", "\ufeff", "ｃａｆｅ", "ﬁ",
    "20% off", "leave a 5-star review", "gift card", "update your review", "request a cancellation",
    "<a href='https://x.example/'>x</a>", "<img src=p.gif width=1 height=1>", "&amp;", "&#x1F600;", "<",
    "\n", "\r\n", "\t", " ", "ǅ", "İ", "ß", "Straße", "ﬃ", "\u0301", "\ud800",
]
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12).map("".join)
LANGUAGE_TAGS = st.one_of(st.sampled_from(["en", "en-GB", "de", "de_AT", "FR", "ja-JP", "", "x"]), st.text(max_size=6))
TIMESTAMPS = st.sampled_from(["2016-12-31T23:59:60Z", "2026-11-22T10:00:00.123456789+01:00"]) | st.datetimes(
    min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30),
    timezones=st.sampled_from([datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
                               datetime.timezone(datetime.timedelta(hours=-8))]),
).map(lambda moment: moment.isoformat().replace("+00:00", "Z"))


def known_reasons(policy) -> list[str]:
    return policy.compiled.known_reasons


def optional_fields(**strategies) -> st.SearchStrategy[dict]:
    """Objects with any subset of the given fields (a field may also be null)."""
    return st.fixed_dictionaries({}, optional={name: st.none() | strategy for name, strategy in strategies.items()})


ATTACHMENT = st.fixed_dictionaries(
    {"name": TEXT, "size": st.one_of(st.integers(0, 2 * TEN_MIB), st.integers(0, 2**53))},
    optional={"content_type": st.one_of(st.none(), st.sampled_from(["application/pdf", "image/png"]), TEXT)},
)


def messages(policy=AMAZON) -> st.SearchStrategy[dict]:
    return optional_fields(
        id=st.one_of(st.text(max_size=8), st.integers()),
        sender=optional_fields(role=st.sampled_from(["seller", "buyer"]), id=st.text(max_size=8)),
        recipient=optional_fields(role=st.sampled_from(["seller", "buyer"]), address=TEXT,
                                  language=LANGUAGE_TAGS, opted_out=st.booleans()),
        contact_reason=st.sampled_from(known_reasons(policy)).flatmap(
            lambda reason: st.sampled_from([reason, reason.upper(), reason.lower()])),
        category=st.sampled_from(sorted(policy.compiled.categories)),
        subject=TEXT, body=TEXT, html=TEXT, language=LANGUAGE_TAGS, order_id=TEXT,
        attachments=st.lists(ATTACHMENT, max_size=7),
        sent_at=TIMESTAMPS,
        in_reply_to=st.fixed_dictionaries({"received_at": TIMESTAMPS},
                                          optional={"id": st.one_of(st.none(), st.text(max_size=8))}),
        context=optional_fields(avg_daily_orders=st.one_of(st.integers(0, 10**6), st.floats(0, 1e9)),
                                sent_today=st.integers(0, 10**7)),
        unknown_extension_field=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                                             lambda inner: st.lists(inner, max_size=3)
                                             | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                                             max_leaves=6),
    )


def assert_consistent(message: dict, verdict: Verdict) -> None:
    """Locations point into the message as given; the verdict follows the severities; JSON round-trips."""
    for violation in verdict.violations:
        assert violation.severity in ("error", "warning", "info")
        assert violation.message and "is broken" not in violation.message
        if violation.field in ("subject", "body", "html"):
            raw = message.get(violation.field) or ""
            assert violation.start is not None and 0 <= violation.start <= violation.end <= len(raw)
            assert raw[violation.start:violation.end] == violation.excerpt
        elif violation.field is not None:
            assert violation.field.startswith("attachments[")
            index = int(violation.field[len("attachments["):-1])
            assert violation.excerpt == message["attachments"][index]["name"]
        else:
            assert violation.start is None and violation.excerpt is None
    severities = {v.severity for v in verdict.violations}
    assert verdict.verdict == ("block" if "error" in severities else "warn" if "warning" in severities else "allow")
    result = verdict.to_json()
    assert json.loads(json.dumps(result)) == result


@given(messages())
def test_any_valid_message_evaluates(message):
    verdict = AMAZON.evaluate(message, now=NOW)
    assert_consistent(message, verdict)
    for violation in verdict.violations:
        # The reported place, normalised again, holds what the rule found there.
        if violation.field in ("subject", "body") and violation.rule == "no-email-address":
            assert find_emails(normalize(violation.excerpt).text), violation
        if violation.field in ("subject", "body") and violation.rule == "no-external-links":
            assert find_links(normalize(violation.excerpt).text), violation


@given(messages(SP_API), st.one_of(st.none(), optional_fields(avg_daily_orders=st.floats(0, 1e6),
                                                               sent_today=st.integers(0, 10**6))))
def test_any_valid_message_evaluates_under_the_sp_api_policy(message, context):
    assert_consistent(message, SP_API.evaluate(message, context=context, now=NOW))


# Every text operator, on literals whose case folding changes their length (ß → ss, ﬃ → ffi, İ → i̇).
OPERATORS = load_policy("""
include "bundled:amazon"

list folded = ["strasse", "ﬃ", "İ", "ǅ"]

rule op-starts info {
  message "starts: {match}"
  forbid subject starts with "strasse" or body starts with "İ" or text starts with "ǆ"
}

rule op-ends info {
  message "ends: {match}"
  forbid subject ends with "STRASSE" or body ends with "ffi" or html ends with "ss"
}

rule op-contains info {
  message "contains: {match}"
  forbid text contains folded or body contains "[important]"
}

rule op-matches info {
  message "matches: {match} in {recipient.language} at {in_reply_to.received_at} for {order_id}"
  forbid subject matches /ss|\\w+/i at start or body matches /ss/i in middle or html matches /.$/s at end
}

rule op-dynamic info {
  message "dynamic: {match}"
  forbid body contains order_id or subject contains [recipient.address, "x"] or html starts with order_id
}

rule op-compare info {
  message "compare: {match}"
  forbid subject == "straße" or order_id in order_ids(text).value or lower(recipient.address) ends with "ss"
  forbid any(a in attachments: a.name starts with "ß" or a.name matches /ß/i or a.content_type contains "ß")
}

rule op-time info {
  message "time: {sent_at}"
  forbid sent_at + 1 d > now or in_reply_to.received_at - 30 d < sent_at or now - 1 h > sent_at + 1 h
}
""")


@given(messages(OPERATORS))
def test_every_text_operator_evaluates_on_any_valid_message(message):
    assert_consistent(message, OPERATORS.evaluate(message, now=NOW))


@given(messages(), st.text(max_size=20))
def test_only_the_policy_vocabulary_can_reject_a_valid_message(message, reason):
    """A contact reason the policy does not know is the one input error a well-typed message can have."""
    message = {**message, "contact_reason": reason}
    try:
        verdict = AMAZON.evaluate(message, now=NOW)
    except MessageError as error:
        assert error.path == "$.contact_reason"
        assert reason.casefold() not in {r.casefold() for r in known_reasons(AMAZON)}
    else:
        assert_consistent(message, verdict)


# -- planting a violation into a clean message ---------------------------------------------------

SAFE_WORDS = [
    "the", "kettle", "box", "arrives", "Monday", "blue", "handle", "lid", "we", "packed", "your", "parcel",
    "carefully", "and", "thank", "you", "for", "waiting", "spare", "filter", "is", "inside", "warm", "water",
    "cleans", "it", "with", "a", "soft", "cloth", "Käse", "Grüße", "naïve", "garçon",
]
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ". ", "\n", " - "])


@st.composite
def safe_text(draw, min_words=1):
    words = draw(st.lists(st.sampled_from(SAFE_WORDS), min_size=min_words, max_size=30))
    pieces = [words[0]]
    for word in words[1:]:
        pieces += [draw(SEPARATORS), word]
    return "".join(pieces)


@st.composite
def clean_messages(draw):
    message = {
        "id": "planted",
        "contact_reason": draw(st.sampled_from(["return_refund", "proactive_service", "shipment_delay", "reply"])),
        "subject": "About " + draw(safe_text()),
        "body": draw(safe_text()),
        "attachments": draw(st.lists(st.fixed_dictionaries({
            "name": st.tuples(st.sampled_from(SAFE_WORDS), st.sampled_from(["pdf", "JPG", "png", "txt", "docx"]))
                      .map(".".join),
            "size": st.integers(0, TEN_MIB // 8)}), max_size=4)),
    }
    if draw(st.booleans()):
        message["html"] = "<p>" + draw(safe_text()) + "</p>"
    return message


LABEL = st.from_regex(r"[a-z][a-z0-9]{0,10}(?:-[a-z0-9]{1,6})?", fullmatch=True)
SUFFIX = st.sampled_from(["com", "net", "org", "de", "co.uk", "io", "shop", "com.au", "fr"])
DOMAIN = st.tuples(st.lists(LABEL, min_size=1, max_size=3), SUFFIX).map(lambda parts: ".".join(parts[0] + [parts[1]]))
EMAILS = st.tuples(st.from_regex(r"[a-z0-9](?:[a-z0-9._+-]{0,15}[a-z0-9])?", fullmatch=True), DOMAIN).filter(
    lambda parts: ".." not in parts[0]).map("@".join)
OFF_AMAZON_LINKS = st.tuples(
    st.sampled_from(["https://", "http://", "www.", "https://www.", ""]),
    DOMAIN.filter(lambda domain: not is_amazon_domain(domain)),
    st.one_of(st.just(""), st.from_regex(r"/[a-zA-Z0-9_/-]{0,20}(?:\?[a-z]=[0-9]{1,3})?", fullmatch=True)),
).map("".join)


def plant(draw, message: dict, planted: str) -> tuple[str, int]:
    """Insert `planted` between two words of a text field; returns the field and the offset."""
    field = draw(st.sampled_from([f for f in ("subject", "body", "html") if f in message]))
    text = message[field]
    boundaries = [i for i, char in enumerate(text) if char == " "] + [len(text) - 4 if field == "html" else len(text)]
    at = draw(st.sampled_from(boundaries))
    message[field] = text[:at] + " " + planted + " " + text[at:]
    return field, at + 1


@pytest.mark.parametrize(("rule", "planted_text"), [("no-email-address", EMAILS), ("no-external-links", OFF_AMAZON_LINKS)])
@given(data=st.data())
def test_planted_contact_details_are_blocked_where_they_were_planted(rule, planted_text, data):
    message = data.draw(clean_messages())
    assert AMAZON.evaluate(message, now=NOW).violations == ()
    planted = data.draw(planted_text)
    field, start = plant(data.draw, message, planted)
    verdict = AMAZON.evaluate(message, now=NOW)
    assert verdict.verdict == "block"
    located = [(v.field, v.start, v.end, v.excerpt) for v in verdict.violations if v.rule == rule]
    assert (field, start, start + len(planted), planted) in located, verdict.violations


@given(data=st.data())
def test_a_planted_oversized_attachment_is_blocked(data):
    message = data.draw(clean_messages())
    assert AMAZON.evaluate(message, now=NOW).violations == ()
    attachments = message["attachments"]
    attachments.insert(data.draw(st.integers(0, len(attachments))), {"name": "manual.pdf", "size": TEN_MIB + 1})
    verdict = AMAZON.evaluate(message, now=NOW)
    assert verdict.fired == ["attachment-size"]
    assert verdict.verdict == "block"


# -- messages that do not fit the model ----------------------------------------------------------

NOT_A_STRING = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(),
                         st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
NOT_AN_OBJECT = st.one_of(st.integers(), st.booleans(), st.text(max_size=4), st.lists(st.integers(), max_size=2))
NOT_A_LIST = st.one_of(st.integers(), st.booleans(), st.text(max_size=4), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
NOT_A_BOOLEAN = st.one_of(st.integers(), st.text(max_size=4), st.sampled_from(["yes", "true", 0, 1]), st.lists(st.booleans(), max_size=2))
NOT_A_SIZE = st.one_of(st.text(max_size=4), st.booleans(), st.integers(max_value=-1),
                       st.floats(allow_nan=False).filter(lambda x: not float(x).is_integer() or x < 0),
                       st.lists(st.integers(), max_size=2))
NOT_A_COUNT = st.one_of(st.text(max_size=4), st.booleans(), st.integers(max_value=-1), st.sampled_from([0.5, 1.25, -3.0]))
NOT_A_TIMESTAMP = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
                            st.sampled_from(["yesterday", "2026-11-22", "2026-11-22T10:00:00", "", "22/11/2026 10:00"]))

# (path, how to put the bad value into a message, bad values)
WRONG_TYPES = [
    ("$", None, st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=3), st.integers())),
    ("$.id", lambda m, v: m.update(id=v), st.one_of(st.booleans(), st.floats(allow_nan=False), st.lists(st.text(), max_size=1))),
    ("$.sender", lambda m, v: m.update(sender=v), NOT_AN_OBJECT),
    ("$.sender.role", lambda m, v: m.update(sender={"role": v}), st.one_of(NOT_A_STRING, st.sampled_from(["admin", "Seller", ""]))),
    ("$.sender.id", lambda m, v: m.update(sender={"id": v}), NOT_A_STRING),
    ("$.recipient", lambda m, v: m.update(recipient=v), NOT_AN_OBJECT),
    ("$.recipient.role", lambda m, v: m.update(recipient={"role": v}), NOT_A_STRING),
    ("$.recipient.address", lambda m, v: m.update(recipient={"address": v}), NOT_A_STRING),
    ("$.recipient.language", lambda m, v: m.update(recipient={"language": v}), NOT_A_STRING),
    ("$.recipient.opted_out", lambda m, v: m.update(recipient={"opted_out": v}), NOT_A_BOOLEAN),
    ("$.contact_reason", lambda m, v: m.update(contact_reason=v), NOT_A_STRING),
    ("$.category", lambda m, v: m.update(category=v), st.one_of(NOT_A_STRING, st.sampled_from(["urgent", "Critical "]))),
    ("$.subject", lambda m, v: m.update(subject=v), NOT_A_STRING),
    ("$.body", lambda m, v: m.update(body=v), NOT_A_STRING),
    ("$.html", lambda m, v: m.update(html=v), NOT_A_STRING),
    ("$.language", lambda m, v: m.update(language=v), NOT_A_STRING),
    ("$.order_id", lambda m, v: m.update(order_id=v), NOT_A_STRING),
    ("$.attachments", lambda m, v: m.update(attachments=v), NOT_A_LIST),
    ("$.attachments[1]", lambda m, v: m.update(attachments=[{"name": "a.pdf", "size": 1}, v]), NOT_AN_OBJECT),
    ("$.attachments[0].name", lambda m, v: m.update(attachments=[{"name": v, "size": 1}]), NOT_A_STRING),
    ("$.attachments[0].size", lambda m, v: m.update(attachments=[{"name": "a.pdf", "size": v}]), NOT_A_SIZE),
    ("$.attachments[0].content_type", lambda m, v: m.update(attachments=[{"name": "a", "size": 1, "content_type": v}]),
     NOT_A_STRING),
    ("$.sent_at", lambda m, v: m.update(sent_at=v), NOT_A_TIMESTAMP),
    ("$.in_reply_to", lambda m, v: m.update(in_reply_to=v), NOT_AN_OBJECT),
    ("$.in_reply_to.id", lambda m, v: m.update(in_reply_to={"id": v, "received_at": "2026-11-22T10:00:00Z"}), NOT_A_STRING),
    ("$.in_reply_to.received_at", lambda m, v: m.update(in_reply_to={"received_at": v}), NOT_A_TIMESTAMP),
    ("$.context", lambda m, v: m.update(context=v), NOT_AN_OBJECT),
    ("$.context.avg_daily_orders", lambda m, v: m.update(context={"avg_daily_orders": v}),
     st.one_of(st.text(max_size=3), st.booleans(), st.floats(max_value=-0.001, allow_nan=False),
               st.sampled_from([float("nan"), float("inf")]), st.lists(st.integers(), max_size=1))),
    ("$.context.sent_today", lambda m, v: m.update(context={"sent_today": v}), NOT_A_COUNT),
]


# Valid messages the bad value is put into (the other fields stay valid).
BASES = st.sampled_from([
    {},
    {"id": "m-1", "sender": {"role": "seller", "id": "s-1"}, "recipient": {"role": "buyer", "language": "en"},
     "subject": "About your kettle", "body": "It ships on Monday.", "order_id": "112-3456789-0123456",
     "attachments": [{"name": "manual.pdf", "size": 100, "content_type": "application/pdf"}],
     "sent_at": "2026-11-22T10:00:00Z", "in_reply_to": {"id": "b-1", "received_at": "2026-11-21T10:00:00Z"},
     "context": {"avg_daily_orders": 3.5, "sent_today": 2}, "extension": {"kept": [1, None]}},
    {"html": "<p>Hello</p>", "language": "de", "recipient": {"opted_out": True}, "attachments": []},
])


@pytest.mark.parametrize(("path", "put", "bad_values"), WRONG_TYPES, ids=[case[0] for case in WRONG_TYPES])
@given(data=st.data())
def test_a_wrong_typed_field_is_reported_by_its_json_path(path, put, bad_values, data):
    message = json.loads(json.dumps(data.draw(BASES)))
    bad = data.draw(bad_values)
    if put is None:
        message = bad
    else:
        for key in ("sender", "recipient", "attachments", "in_reply_to", "context"):
            if path.startswith(f"$.{key}"):
                message.pop(key, None)
        put(message, bad)
    with pytest.raises(MessageError) as caught:
        AMAZON.evaluate(message, now=NOW)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


# -- loading policies from arbitrary text --------------------------------------------------------

POLICY_TOKENS = [
    "policy", "include", "category", "pattern", "list", "domains", "rule", "override", "disable", "reasons",
    "aliases", "message", "when", "require", "forbid", "severity", "note", "error", "warning", "info", "and", "or",
    "not", "in", "contains", "starts with", "ends with", "matches", "at start", "in middle", "is present", "is absent",
    "any", "all", "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "==", "!=", "<", ">=", "+", "-", "*", "/",
    "@source", "@doc", "@allow", '"text"', '"{match}"', '"{order_id}', '"\\u{1F600}"', "/a(b/", "/(?=x)/", "/x/i",
    "10 MiB", "24 h", "5", "1.5", "body", "subject", "text", "attachments", "a.size", "links(text)", "emails",
    "category == critical", "x", "my-rule", "no-email-address", "critical", "\n", " ", "#", "bundled:amazon",
    "sum(", "count(", "a", "l.domain", "true", "version", "effective", '"2026-13-45"', "example", "\u00e9",
]
POLICY_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(POLICY_TOKENS), max_size=60).map(" ".join),
)
AMAZON_TEXT = (POLICIES / "amazon.bsm").read_text(encoding="utf-8")


@st.composite
def damaged_amazon_policy(draw):
    """The bundled policy with a few slices deleted, duplicated or replaced by tokens."""
    text = AMAZON_TEXT
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 80)))
        action = draw(st.sampled_from(["delete", "duplicate", "replace"]))
        middle = {"delete": "", "duplicate": text[start:end] * 2,
                  "replace": draw(st.sampled_from(POLICY_TOKENS))}[action]
        text = text[:start] + middle + text[end:]
    return text


@given(POLICY_TEXT)
def test_parsing_arbitrary_text_never_raises(text):
    policy, diagnostics = parse(text)
    for diagnostic in diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.code.startswith("BSM")


def load_or_policy_error(text: str):
    try:
        return load_policy(text)
    except PolicyError as error:
        assert error.diagnostics and any(d.is_error for d in error.diagnostics)
        return None


@given(POLICY_TEXT)
def test_loading_arbitrary_text_raises_only_policy_error(text):
    assume("\n" in text or "{" in text or " " in text)  # otherwise it may be read as a file name
    load_or_policy_error(text)


@given(damaged_amazon_policy(), messages())
def test_a_damaged_policy_either_loads_and_evaluates_or_raises_policy_error(text, message):
    policy = load_or_policy_error(text)
    if policy is None:
        return
    try:
        verdict = policy.evaluate(message, now=NOW)
    except MessageError as error:
        assert error.path in ("$.contact_reason", "$.category")
    else:
        assert_consistent(message, verdict)
