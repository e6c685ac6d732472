"""Email input: .eml and .mbox files read into messages, then checked through the CLI."""

from __future__ import annotations

import datetime
import email.message
import email.policy
import io
import json
import mailbox
from pathlib import Path

from hypothesis import given, strategies as st

from bsm_rules.cli import main
from bsm_rules.messages.email_input import is_marketplace_address, parse_email, read_email_file
from bsm_rules.core.errors import MessageError

MAIL = Path(__file__).parent / "data" / "mail"


def _items(name: str, contact_reason: str | None = None):
    path = MAIL / name
    return list(read_email_file(path, path.suffix[1:], contact_reason))


def _only_message(name: str, contact_reason: str | None = None):
    (item,) = _items(name, contact_reason)
    assert item.error is None
    return item.message


def _check_json(*args: str) -> tuple[int, list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["check", "--format", "json", "--now", "2026-11-23T12:00:00Z", *args], out, err)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_multipart_alternative_with_quoted_printable_latin1_and_base64_html():
    message = _only_message("alternative.eml")
    assert message.id == "alternative.eml"
    assert message.subject == "[Important] Lieferung Ihrer Bestellung – Rückfrage"
    assert "für die Lieferung Ihrer Bestellung 302-1234567-7654321 brauchen wir einen Termin." in message.body
    assert message.body.endswith("Mit freundlichen Grüßen\nMüller Werkzeuge\n")
    assert "\r" not in message.body
    assert message.html.startswith("<html><head><style>")
    assert '<a href="https://shop-example.com/termin">' in message.html
    assert message.recipient_role == "buyer"
    assert message.recipient_address == "x8k2m4p0q9r7s5t@marketplace.amazon.de"
    assert message.sender_id == "shop@mueller-werkzeuge.de"
    assert message.contact_reason == "delivery_scheduling"
    assert message.order_id == "302-1234567-7654321"
    assert message.recipient_language == "de" and message.language == "de"
    assert message.sent_at == datetime.datetime(2026, 11, 23, 8, 15, tzinfo=datetime.timezone.utc)
    assert message.attachments == ()


def test_html_findings_point_into_the_html_source():
    status, (result,) = _check_json(str(MAIL / "alternative.eml"))
    message = _only_message("alternative.eml")
    assert status == 1 and result["verdict"] == "block"
    by_rule: dict[str, list[dict]] = {}
    for violation in result["violations"]:
        by_rule.setdefault(violation["rule"], []).append(violation)
    links = by_rule["no-external-links"]
    assert {message.html[v["start"]:v["end"]] for v in links} == {
        "https://cdn.shop-example.com/bg.png", "https://shop-example.com/termin", "https://track.example.net/o.gif"}
    (pixel,) = by_rule["tracking-pixel"]
    assert message.html[pixel["start"]:pixel["end"]].startswith('<img src="https://track.example.net/o.gif"')
    assert all(v["field"] == "html" for v in links + [pixel])


def test_multipart_mixed_attachments_inline_image_rfc2231_and_forwarded_message():
    message = _only_message("mixed.eml")
    assert message.subject == "Your invoice – order 114-9876543-1234567"  # windows-1252 encoded word
    assert message.body == ""
    assert "your invoice for order 114-9876543-1234567 is attached." in message.html
    names = [a.name for a in message.attachments]
    assert names == ["logo123.png", "Rechnung März 2026.pdf", "invoice.pdf.exe", "forwarded-message.eml"]
    sizes = {a.name: a.size for a in message.attachments}
    assert sizes["Rechnung März 2026.pdf"] == len(b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n")
    assert sizes["invoice.pdf.exe"] == 512
    assert sizes["logo123.png"] == 70
    assert sizes["forwarded-message.eml"] > 100
    types = [a.content_type for a in message.attachments]
    assert types == ["image/png", "application/pdf", "application/octet-stream", "message/rfc822"]
    assert message.in_reply_to_id == "<CAB+buyer-4711@marketplace.amazon.com>"
    assert message.sent_at == datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.timezone.utc)  # -0000 is UTC


def test_forwarded_and_executable_attachments_are_reported_by_name():
    status, (result,) = _check_json(str(MAIL / "mixed.eml"))
    assert status == 1
    flagged = [(v["rule"], v["excerpt"]) for v in result["violations"]]
    assert ("attachment-type", "invoice.pdf.exe") in flagged
    assert ("attachment-type", "forwarded-message.eml") in flagged
    assert not any(excerpt in ("logo123.png", "Rechnung März 2026.pdf") for _, excerpt in flagged)
    # In-Reply-To makes the message a reply; with no arrival time, late-response cannot fire
    assert "late-response" not in {rule for rule, _ in flagged}


def test_shift_jis_body_and_iso_2022_jp_subject():
    message = _only_message("shift_jis.eml")
    assert message.subject == "ご注文について"
    assert message.body.startswith("ご注文ありがとうございます。\n商品は明日発送いたします。")
    status, (result,) = _check_json(str(MAIL / "shift_jis.eml"))
    (email_finding,) = [v for v in result["violations"] if v["rule"] == "no-email-address"]
    assert message.body[email_finding["start"]:email_finding["end"]] == "info@shop-example.jp"


def test_mbox_reports_the_malformed_message_and_evaluates_the_rest_in_order():
    items = _items("box.mbox")
    assert [item.default_id for item in items] == ["box.mbox#1", "box.mbox#2", "box.mbox#3"]
    assert items[0].message.body == ("Thanks for your order! Questions? Write to help@shop-example.com.\n"
                                     "From the whole team, thank you.\n")  # >From unquoted, separator dropped
    assert items[1].error == ("box.mbox:11: malformed MIME structure: "
                              "A message claimed to be a multipart but had no boundary parameter")
    assert items[2].message.recipient_role == "seller"
    status, results = _check_json(str(MAIL / "box.mbox"))
    assert status == 2
    assert [r["message"] for r in results] == ["box.mbox#1", "box.mbox#2", "box.mbox#3"]
    assert [r["verdict"] for r in results] == ["block", "invalid", "block"]
    assert "malformed MIME structure" in results[1]["error"]
    assert [v["rule"] for v in results[2]["violations"] if v["severity"] == "error"] == ["seller-to-seller"]


def test_contact_reason_comes_from_the_header_or_the_flag():
    assert _only_message("shift_jis.eml", "coupon").contact_reason == "coupon"
    assert _only_message("alternative.eml", "coupon").contact_reason == "delivery_scheduling"
    status, (result,) = _check_json("--contact-reason", "coupon", str(MAIL / "shift_jis.eml"))
    assert "no-marketing" in {v["rule"] for v in result["violations"]}
    status, (result,) = _check_json("--contact-reason", "no_such_reason", str(MAIL / "shift_jis.eml"))
    assert result["verdict"] == "invalid" and "unknown contact reason 'no_such_reason'" in result["error"]


def test_marketplace_relay_addresses():
    for address in ("abc@marketplace.amazon.com", "x@marketplace.amazon.co.uk", "x@Marketplace.Amazon.DE",
                    "x@marketplace.amazon.com.au"):
        assert is_marketplace_address(address), address
    for address in ("abc@amazon.com", "x@marketplace.amazon.com.evil.net", "x@marketplace-amazon.com", ""):
        assert not is_marketplace_address(address), address


def _mail(**headers: str) -> bytes:
    lines = [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode()


def test_malformed_messages_get_a_clear_reason():
    cases = {
        b"just some text without any header\n": "no header fields",
        _mail(From="a@b.example", Date="the day after tomorrow"): "Date: 'the day after tomorrow' is not an RFC 5322 date",
        _mail(From="a@b.example", To="undisclosed recipients"): "To: no email address in '\"undisclosed recipients\"'",
        _mail(From="a@b.example", X_BSM_Opted_Out="maybe"): "X-BSM-Opted-Out: expected true or false, found 'maybe'",
    }
    for raw, reason in cases.items():
        try:
            parse_email(raw, "m")
        except MessageError as error:
            assert reason in str(error), (raw, str(error))
        else:
            raise AssertionError(f"{raw!r} was accepted")


def test_opted_out_and_reply_arrival_headers():
    raw = _mail(From="a@b.example", To="q@marketplace.amazon.com", X_BSM_Opted_Out="yes",
                In_Reply_To="<x@y>", X_BSM_Reply_Received_At="2026-11-20T08:00:00Z",
                Date="Mon, 23 Nov 2026 09:00:00 +0000")
    message = parse_email(raw, "m")
    assert message.opted_out is True
    assert message.in_reply_to_received_at == datetime.datetime(2026, 11, 20, 8, tzinfo=datetime.timezone.utc)
    from bsm_rules import load_policy

    verdict = load_policy().compiled.evaluate(message)
    assert "late-response" in verdict.fired and "buyer-opted-out" not in verdict.fired


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


@given(subject=_TEXT, body=_TEXT, charset=st.sampled_from(["utf-8", "iso-8859-1", "shift_jis", "koi8-r", "windows-1252"]),
       html=st.booleans())
def test_round_trip_through_the_standard_library_writer(subject, body, charset, html):
    mail = email.message.EmailMessage(policy=email.policy.default)
    mail["From"] = "seller@shop-example.com"
    mail["To"] = "q@marketplace.amazon.com"
    mail["Subject"] = subject
    try:
        body.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    mail.set_content(body, subtype="html" if html else "plain", charset=charset)
    message = parse_email(mail.as_bytes(), "m")
    assert " ".join(message.subject.split()) == " ".join(subject.split())  # folding may change white space
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    got = (message.html if html else message.body).replace("\r", "\n")
    assert got.rstrip("\n") == expected.rstrip("\n")


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_anything_but_a_message_error(raw):
    try:
        parse_email(b"From: a@b.example\r\n" + raw, "m")
    except MessageError:
        pass


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60), min_size=1, max_size=6))
def test_mbox_splitter_agrees_with_the_mailbox_module(tmp_path_factory, bodies):
    path = tmp_path_factory.mktemp("mbox") / "out.mbox"
    box = mailbox.mbox(str(path))
    for number, text in enumerate(bodies):
        mail = email.message.EmailMessage()
        mail["From"] = "seller@shop-example.com"
        mail["Subject"] = f"message {number}"
        mail.set_content("From here on\n" + text)
        box.add(mail)
    box.flush()
    box.close()
    items = list(read_email_file(path, "mbox"))
    assert [item.message.subject for item in items] == [f"message {n}" for n in range(len(bodies))]
    for item, text in zip(items, bodies):
        assert item.message.body.startswith("From here on\n")
        assert item.message.body.rstrip("\n").replace("\r", "\n") == ("From here on\n" + text).rstrip("\n").replace("\r", "\n")


# -- size limit

def _peak_bytes_of(function) -> tuple[object, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_message_larger_than_the_limit_is_invalid_and_the_mbox_goes_on(tmp_path):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    small = _mail(Subject="Your order", To="b@marketplace.amazon.com")
    large_body = (b"x" * 999 + b"\n") * (2 * MAX_MESSAGE_BYTES // 1000)  # twice the limit, in lines
    box = tmp_path / "box.mbox"
    with open(box, "wb") as stream:
        stream.write(b"From a@b Sat Nov 21 10:00:00 2026\n" + small + b"\n")
        stream.write(b"From a@b Sat Nov 21 11:00:00 2026\n" + small + large_body + b"\n")
        stream.write(b"From a@b Sat Nov 21 12:00:00 2026\n" + small.replace(b"order", b"parcel") + b"\n")
    second = small.count(b"\n") + 3  # the line of its `From `
    items, peak = _peak_bytes_of(lambda: [(item.error, item.message and item.message.subject)
                                          for item in read_email_file(box, "mbox")])
    assert items == [(None, "Your order"),
                     (f"box.mbox:{second}: larger than 25 MiB, the most one message may be; not read",
                      None),
                     (None, "Your parcel")]
    assert peak < MAX_MESSAGE_BYTES + (4 << 20)  # the large message was never held whole
    status, results = _check_json(str(box))
    assert status == 2 and [r["verdict"] for r in results] == ["allow", "invalid", "allow"]


def test_an_eml_file_larger_than_the_limit_is_invalid(tmp_path):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    path = tmp_path / "big.eml"
    path.write_bytes(_mail(Subject="Hi") + b"y" * MAX_MESSAGE_BYTES)
    status, results = _check_json(str(path))
    assert status == 2
    assert results == [{"message": "big.eml", "verdict": "invalid",
                        "error": "big.eml: larger than 25 MiB, the most one message may be; not read"}]
