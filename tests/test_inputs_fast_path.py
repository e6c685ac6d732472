"""The quick way `bsm check` reads JSON Lines (bytes split into lines, plain messages decoded by
`read_plain_message`) gives exactly what the careful way gives (a text-mode reader, `json.loads`
and `parse_message`): the same items, line numbers, messages and errors, whatever the bytes."""

from __future__ import annotations

import datetime
import io
import json
import math
from pathlib import Path

import pytest
from hypothesis import example, given, strategies as st

from bsm_rules.engine.batch import read_message
from bsm_rules.core.errors import MessageError
from bsm_rules.messages.inputs import _read_text_stream, read_inputs
from bsm_rules.messages.model import Message, parse_message, read_plain_message

# -- generated messages ---------------------------------------------------------------------------

TIMESTAMPS = ["2026-11-02T01:15:00Z", "2026-11-02T01:15:00+01:00", "2026-11-02T01:15:00.250-05:30",
              "2026-11-02T01:15:00z", " 2026-11-02T01:15:00Z", "2026-11-02T23:59:60Z", "2026-11-02t01:15:00Z",
              "2026-11-02T01:15:00", "2026-11-02", "20261102T011500Z", "2026-11-02 01:15:00Z",
              "2026-11-02T01:15:00.1234567+01:00", "2026-11-02T01:15:00+25:00", "yesterday", ""]
# Values of the wrong type (or at the edge of the right one) sprinkled over otherwise good messages.
ODD_VALUES = [None, True, False, 0, -1, 7, 1.5, 3.0, -0.0, 1e300, 2 ** 63, 2 ** 64, 2 ** 70, -(2 ** 63) - 1,
              "", "x", "seller", "buyer", "Seller", "\ud800", "a\udfffb", [], ["x"], {}, {"role": "seller"},
              math.nan, math.inf]
ROLES = ["seller", "buyer"]
texts = st.text(max_size=12) | st.sampled_from(["", "Your order", "caf\u00e9 \u2028 \x00 \U0001f600"])
optional_texts = st.none() | texts


@st.composite
def messages(draw, sprinkle: bool = True) -> dict:
    message: dict = {}

    def maybe(key, strategy):
        if draw(st.booleans()):
            message[key] = draw(strategy)

    maybe("id", st.none() | texts | st.integers(-10 ** 6, 10 ** 6))
    maybe("sender", st.none() | st.fixed_dictionaries({}, optional={"role": st.sampled_from(ROLES),
                                                                    "id": optional_texts}))
    maybe("recipient", st.none() | st.fixed_dictionaries({}, optional={
        "role": st.sampled_from(ROLES), "address": optional_texts, "language": optional_texts,
        "opted_out": st.none() | st.booleans()}))
    for key in ("contact_reason", "category", "subject", "body", "html", "language", "order_id"):
        maybe(key, optional_texts)
    maybe("attachments", st.none() | st.lists(st.fixed_dictionaries(
        {"name": texts, "size": st.integers(0, 10 ** 9)}, optional={"content_type": optional_texts}), max_size=3))
    maybe("sent_at", st.none() | st.sampled_from(TIMESTAMPS))
    maybe("in_reply_to", st.none() | st.fixed_dictionaries({"received_at": st.sampled_from(TIMESTAMPS)},
                                                            optional={"id": optional_texts}))
    maybe("context", st.none() | st.fixed_dictionaries({}, optional={
        "avg_daily_orders": st.none() | st.integers(0, 10 ** 6) | st.floats(0, 1e6),
        "sent_today": st.none() | st.integers(0, 10 ** 6)}))
    plain_unknown = st.none() | texts | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    maybe("unknown", plain_unknown | st.sampled_from(ODD_VALUES) if sprinkle else plain_unknown)
    if sprinkle:
        for _ in range(draw(st.integers(0, 2))):
            _set(message, draw(st.sampled_from(_paths(message))), draw(st.sampled_from(ODD_VALUES)))
    return message


def _paths(message: dict) -> list[tuple]:
    paths: list[tuple] = [(key,) for key in ("id", "sender", "recipient", "contact_reason", "category", "subject",
                                             "body", "html", "language", "order_id", "attachments", "sent_at",
                                             "in_reply_to", "context")]
    for key in ("sender", "recipient", "in_reply_to", "context"):
        if isinstance(message.get(key), dict):
            paths += [(key, field) for field in ("role", "id", "address", "language", "opted_out", "received_at",
                                                 "avg_daily_orders", "sent_today")]
    attachments = message.get("attachments")
    for index, attachment in enumerate(attachments if isinstance(attachments, list) else []):
        paths.append(("attachments", index))
        if isinstance(attachment, dict):
            paths += [("attachments", index, field) for field in ("name", "size", "content_type")]
    return paths


def _set(message: dict, path: tuple, value) -> None:
    target = message
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _json_bytes(value, ascii_only: bool) -> bytes:
    """JSON text as a program might write it; text that UTF-8 cannot hold is always escaped."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("utf-8")


def _careful(value, default_id: str):
    """What the careful path makes of a decoded value: a message, or the error text."""
    try:
        return parse_message(value, default_id)
    except MessageError as error:
        return f"error: {error}"


# -- read_plain_message agrees with parse_message -----------------------------------------------

@given(messages(), st.booleans())
@example({"id": 123456789012345678901234567890}, True)
@example({"attachments": [{"name": "a.pdf", "size": 18446744073709551616}]}, True)
@example({"context": {"avg_daily_orders": 10 ** 20, "sent_today": 3.0}}, True)
@example({"sent_at": "2026-11-02T23:59:60Z", "recipient": {"opted_out": None}}, True)
@example({"body": "\ud800 write to a@b.de"}, True)
def test_the_one_pass_reader_agrees_with_the_careful_reader(message, ascii_only):
    line = _json_bytes(message, ascii_only)
    careful = _careful(json.loads(line.decode("utf-8")), "#1")
    quick = read_plain_message(line, "#1")
    assert quick is None or quick == careful


@given(messages(sprinkle=False), st.booleans())
def test_the_one_pass_reader_reads_every_plain_message(message, ascii_only):
    """Not a path that gives up on everything: a message of plain types and well-formed RFC 3339
    timestamps is read in one pass, to the careful reader's message. (A field the model does not
    know is read the careful way, which notes misspelt field names.)"""
    message.pop("unknown", None)
    for stamp_holder in (message, message.get("in_reply_to")):
        if isinstance(stamp_holder, dict):
            if stamp_holder.get("sent_at") is not None or "received_at" in stamp_holder:
                stamp_holder["sent_at" if stamp_holder is message else "received_at"] = "2026-11-02T01:15:00+01:00"
    line = _json_bytes(message, ascii_only)
    careful = _careful(json.loads(line), "#1")
    assert isinstance(careful, Message)
    assert read_plain_message(line, "#1") == careful


@pytest.mark.parametrize("line, notices", [
    (b'{"subjet": "Your refund", "body": "Hi"}', ("unknown field `subjet` ignored; did you mean `subject`?",)),
    (b'{"x-trace": "abc", "body": "Hi"}', ()),
])
def test_an_unknown_field_is_read_the_careful_way_with_its_notice(line, notices):
    assert read_plain_message(line, "#1") is None
    assert parse_message(json.loads(line), "#1").notices == notices


def test_plain_message_fields_and_defaults():
    line = (b'{"id": 42, "sender": {"id": "s-1"}, "recipient": {"role": "buyer", "opted_out": true}, '
            b'"subject": "Hi", "attachments": [{"name": "a.pdf", "size": 10}], "sent_at": "2026-11-02T01:15:00Z", '
            b'"in_reply_to": {"received_at": "2026-11-01T01:15:00+01:00"}, "context": {"sent_today": 4}}\n')
    message = read_plain_message(line, "#1")
    assert message == parse_message(json.loads(line), "#1")
    assert (message.id, message.sender_role, message.sender_id, message.opted_out, message.body) == \
        ("42", "seller", "s-1", True, "")
    assert message.sent_at == datetime.datetime(2026, 11, 2, 1, 15, tzinfo=datetime.timezone.utc)
    assert message.attachments[0].size == 10 and message.context == {"sent_today": 4}
    assert read_plain_message(b'{"body": "x"}').context is not read_plain_message(b'{"body": "y"}').context
    assert Message().context == {} and Message().context is not Message().context
    with pytest.raises(AttributeError):
        message.body = "changed"  # a message is immutable


@pytest.mark.parametrize("line", [
    b'{"id": 1.0}', b'{"attachments": [{"name": "a", "size": 2.0}]}', b'{"sender": {"role": "robot"}}',
    b'{"sent_at": "2026-11-02T01:15:00"}', b'{"body": "\\ud800"}', b'{"body": "\xff"}', b'[1, 2]',
    b'{"context": {"avg_daily_orders": NaN}}', b'{"context": {"sent_today": -1}}', b'{"body": "x"',
    b'{"in_reply_to": {"id": "b-1"}}',
])
def test_anything_unusual_is_left_to_the_careful_reader(line):
    assert read_plain_message(line) is None


# -- reading JSON Lines files -------------------------------------------------------------------

LINE_ENDS = [b"\n", b"\r\n", b"\r"]
ODD_LINES = [b"", b"   ", b"\t", b"\xc2\xa0", b"\x1c", b"\xe2\x80\xa8", b"\x0c", b"{", b"[1, 2]", b"7", b'"text"',
             b"null", b'{"id": "nan", "context": {"avg_daily_orders": NaN}}', b'{"id": "inf", "x": Infinity}',
             b'{"id": 123456789012345678901234567890}', b'{"id": "big", "x": 1e400}', b'{"body": "\\ud800"}',
             b'{"body": "\xff\xfe"}', b'{"body": "\xe2\x82"}', b'\xef\xbb\xbf{"id": "inner mark"}',
             b'{"id": 1, "id": "last"}', b'{"id": "last", "id": true}', b'{"sender": {"role": "seller"}, '
             b'"sender": null}', b'{"body": "a"} {"body": "b"}', b'{"subject": 5}', b'{"id": "x", "body": "\x01"}',
             b'  {"id": "indented"}  ', b'{"attachments": [{"name": "a", "size": 3.0}]}',
             b'{"id": "' + b"9" * 5000 + b'"}', b"[" * 3000 + b"]" * 3000]


@st.composite
def json_lines_files(draw) -> bytes:
    lines = draw(st.lists(st.one_of(
        messages().map(lambda m: _json_bytes(m, False)),
        messages().map(lambda m: _json_bytes(m, True)),
        st.sampled_from(ODD_LINES),
        st.binary(max_size=8),
    ), max_size=8))
    ends = [draw(st.sampled_from(LINE_ENDS)) for _ in lines]
    content = b"".join(line + end for line, end in zip(lines, ends))
    if lines and draw(st.booleans()):
        content = content[:-len(ends[-1])]  # no line end after the last line
    if draw(st.booleans()):
        content = b"\xef\xbb\xbf" + content
    return content


def _quick_reading(path: Path) -> list:
    results = []
    for item in read_inputs([str(path)], decode=False):
        decoded = item.decoded()
        try:
            item, message = read_message(item)
            outcome = message if message is not None else f"error: {item.error}"
        except MessageError as error:
            outcome = f"error: {error}"
        results.append((decoded.default_id, decoded.where, _comparable(decoded.value), decoded.error, outcome))
    return results


def _careful_reading(path: Path) -> list:
    """Reading as a text-mode file and `json.loads`, the reference."""
    results = []
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as stream:
        for item in _read_text_stream(stream, str(path), "jsonl", decode=True):
            outcome = f"error: {item.error}" if item.error is not None else _careful(item.value, item.default_id)
            results.append((item.default_id, item.where, _comparable(item.value), item.error, outcome))
    return results


def _comparable(value) -> str:
    return json.dumps(value)  # NaN compares unequal to itself; its JSON text does not


@given(json_lines_files())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb")
@example(b'{"id": "a"}\r\n\r\n{"id": "b"}\r{"id": "c"}\n\r')
@example(b'{"id": "broken", "body": \n{"id": "last", "body": ')
def test_quick_and_careful_json_lines_reading_agree(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("lines") / "batch.jsonl"
    path.write_bytes(content)
    assert _quick_reading(path) == _careful_reading(path)


def test_lines_split_across_reads_and_very_long_lines(tmp_path, monkeypatch):
    """Lines are put together again across reads, `\\r\\n` included."""
    monkeypatch.setattr("bsm_rules.messages.inputs.READ_SIZE", 7)
    long_body = "x" * 100
    content = (b'\xef\xbb\xbf{"id": "a"}\r\n' + json.dumps({"id": "long", "body": long_body}).encode()
               + b'\r\r{"id": "c"}\n\n{"id": "d"}')
    path = tmp_path / "batch.jsonl"
    path.write_bytes(content)
    items = [read_message(item) for item in read_inputs([str(path)], decode=False)]
    assert [(item.where, message.id) for item, message in items] == [
        (f"{path}:1", "a"), (f"{path}:2", "long"), (f"{path}:4", "c"), (f"{path}:6", "d")]
    assert items[1][1].body == long_body
    assert _quick_reading(path) == _careful_reading(path)


def test_standard_input_as_bytes_reads_like_a_file(tmp_path, monkeypatch):
    """Standard input is read through its byte stream when it is UTF-8; the kind of input is
    still told from its first lines."""
    lines = b'\xef\xbb\xbf{"id": "a"}\r\n{"id": "b", "body": "\xff"}\n'
    stdin = io.TextIOWrapper(io.BytesIO(lines), encoding="utf-8")
    items = [read_message(item) for item in read_inputs(["-"], stdin=stdin, decode=False)]
    assert [(item.where, message.id, message.body) for item, message in items] == [
        ("<stdin>:1", "a", ""), ("<stdin>:2", "b", "\ufffd")]
    document = io.TextIOWrapper(io.BytesIO(b'{"id": "one",\r\n "body": "x"}'), encoding="utf-8")
    (item,) = read_inputs(["-"], stdin=document, decode=False)
    assert (item.where, item.value) == ("<stdin>", {"id": "one", "body": "x"})
    broken = io.TextIOWrapper(io.BytesIO(b'{"id": "one",\r\n "body": nope}'), encoding="utf-8")
    (item,) = read_inputs(["-"], stdin=broken)
    assert item.error == "<stdin>:2: not valid JSON: Expecting value at column 10"
