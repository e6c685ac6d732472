"""The rule catalogue of the bundled Amazon policy (docs/amazon-policy.md), rule by rule:
messages that fire each rule, located where the rule has a location, and near misses that must not."""

from __future__ import annotations

import datetime

import attrs
import pytest

from bsm_rules import MessageError, load_policy

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
ORDER = "112-3456789-0123456"

# A non-critical and a critical message that break no rule; each case changes a few fields.
CLEAN = {
    "id": "clean",
    "contact_reason": "return_refund",
    "subject": "Your return of the blue kettle",
    "body": "We received the kettle you sent back, and your money is on its way.",
}
CLEAN_CRITICAL = {
    "id": "clean-critical",
    "contact_reason": "delivery_scheduling",
    "subject": f"[Important] Delivery of order {ORDER}",
    "body": "Which weekday suits you for the delivery of the wardrobe?",
}


@pytest.fixture(scope="module")
def amazon():
    return load_policy()


def evaluate(policy, message, context=None):
    return policy.evaluate(message, context=context, now=NOW)


def message(base=CLEAN, **fields):
    return {**base, **fields}


def critical(**fields):
    return message(CLEAN_CRITICAL, **fields)


@attrs.frozen
class Fires:
    """A message that fires `rule` with `severity`, located at `excerpt` in `field` (when given)."""

    rule: str
    severity: str
    message: dict
    field: str | None = None
    excerpt: str | None = None
    start: int | None = None  # default: where `excerpt` first occurs in the field
    says: str | None = None  # a phrase the violation's message must contain
    context: dict | None = None
    verdict: str | None = None  # default: from the severity

    @property
    def expected_verdict(self) -> str:
        return self.verdict or {"error": "block", "warning": "warn", "info": "allow"}[self.severity]

    def __str__(self) -> str:
        return f"{self.rule}:{self.excerpt or self.says or ''}"


def field_text(message: dict, field: str) -> str:
    if field.startswith("attachments["):
        return message["attachments"][int(field[len("attachments["):-1])]["name"]
    return message[field]


FIRES = [
    # -- the subject tag
    Fires("important-tag-missing", "error", critical(subject=f"Delivery of order {ORDER}")),
    Fires("important-tag-missing", "error", critical(subject=f"(Important) Delivery of order {ORDER}"),
          "subject", "(Important)", says='"(Important)" does not count as the tag'),
    Fires("important-tag-missing", "error", critical(subject=f"IMPORTANT: Delivery of order {ORDER}"),
          "subject", "IMPORTANT:", says='"IMPORTANT:" does not count as the tag'),
    Fires("important-tag-missing", "error", critical(subject=f"[ Important ] Delivery of order {ORDER}"),
          "subject", "[ Important ]", says='"[ Important ]" does not count as the tag'),
    Fires("important-tag-missing", "error", critical(subject=f"【Important】 Delivery of order {ORDER}"),
          "subject", "【Important】", says='"【Important】" does not count as the tag'),
    Fires("important-tag-missing", "error", message(category="critical", subject=f"Order {ORDER}")),
    Fires("important-tag-position", "warning", critical(subject=f"Delivery [Important] of order {ORDER}"),
          "subject", "[Important]"),
    Fires("important-tag-misuse", "error", message(subject="[Important] Your return of the blue kettle"),
          "subject", "[Important]", says="this one is non_critical"),
    Fires("important-tag-misuse", "error", message(subject="Your return of the blue kettle [IMPORTANT]"),
          "subject", "[IMPORTANT]"),
    # -- order and language
    Fires("order-id-missing", "error", critical(subject="[Important] Delivery of your wardrobe")),
    Fires("order-id-missing", "error", critical(subject="[Important] Delivery of order 112-345678-0123456"),
          "subject", "112-345678-0123456", says='"112-345678-0123456" is not a complete order ID'),
    Fires("order-id-missing", "error", critical(subject="[Important] Delivery", body="",
                                                html="<p>Order 1123-4567890-123456</p>"),
          "html", "1123-4567890-123456", says='"1123-4567890-123456" is not a complete order ID'),
    Fires("order-id-mismatch", "warning", message(order_id=ORDER, body="About order 112-9999999-0000000: sorry."),
          "body", "112-9999999-0000000", says=f"the message is about order {ORDER}"),
    Fires("buyer-language", "warning", message(language="de", recipient={"language": "en-GB"}),
          says="the message is in de, but the buyer's language is en-GB"),
    Fires("buyer-language", "error", critical(language="fr", recipient={"language": "en"})),
    Fires("buyer-language", "warning", message(
        body="Wir haben den Wasserkocher erhalten und das Geld ist unterwegs zu Ihnen.",
        recipient={"language": "en"}), says="the message is in de"),
    # -- what a message is for
    Fires("buyer-opted-out", "error", message(recipient={"opted_out": True})),
    Fires("buyer-opted-out", "error", message(contact_reason="warranty", recipient={"opted_out": True})),
    Fires("no-marketing", "error", message(category="promotional")),
    Fires("no-marketing", "error", message(contact_reason="coupon")),
    Fires("no-marketing", "error", message(body="Use code SAVE10 on your next order."), "body", "Use code"),
    Fires("no-marketing", "error", message(body="All kettles are 20% off this week."), "body", "20% off"),
    Fires("no-marketing", "error", message(body="Check out our new kettles!"), "body", "Check out our new"),
    Fires("no-marketing", "error", message(body="Sign up for our Newsletter."), "body", "Newsletter"),
    Fires("no-marketing", "error", message(subject="Follow us for updates"), "subject", "Follow us"),
    Fires("critical-misuse", "error", critical(body="Please leave a review once the wardrobe arrives."),
          "body", "leave a review"),
    Fires("critical-misuse", "error", critical(body="Choose a day and get 20% off."), "body", "20% off"),
    Fires("no-order-confirmation", "error", message(contact_reason="order_confirmation"),
          says="do not send order_confirmation messages"),
    Fires("no-order-confirmation", "error", message(contact_reason="shipment_confirmation")),
    Fires("no-order-confirmation", "error", message(contact_reason="delivery_confirmation")),
    Fires("out-of-stock", "warning", message(contact_reason="out_of_stock")),
    Fires("ask-buyer-to-cancel", "error", message(body="Please request a cancellation from your account."),
          "body", "request a cancellation"),
    Fires("ask-buyer-to-cancel", "error", message(body="Could you cancel the order, please?"),
          "body", "Could you cancel the order"),
    Fires("seller-to-seller", "error", message(recipient={"role": "seller"})),
    # -- contact details and links
    Fires("no-email-address", "error", message(body="Write to jane.doe@example.com today."),
          "body", "jane.doe@example.com", says='"jane.doe@example.com"'),
    Fires("no-email-address", "error", message(subject="Reply to help@shop-example.com"),
          "subject", "help@shop-example.com"),
    Fires("no-email-address", "error", message(body="Write to john＠gmail.com today."), "body", "john＠gmail.com"),
    Fires("no-email-address", "error", message(body="Write to jo\u200bhn@gmail.com today."),
          "body", "jo\u200bhn@gmail.com", start=9),
    Fires("no-email-address", "error", message(html='<p>Write <a href="mailto:help@shop-example.com">to us</a></p>'),
          "html", "mailto:help@shop-example.com"),
    Fires("obfuscated-email", "error", message(body="Write to john at gmail dot com."), "body", "john at gmail dot com"),
    Fires("obfuscated-email", "error", message(body="Write to jsmith[at]outlook[dot]com."),
          "body", "jsmith[at]outlook[dot]com"),
    Fires("obfuscated-email", "error", message(body="", html="<p>Write to <b>john at gmail dot com</b></p>"),
          "html", "john at gmail dot com"),
    Fires("obfuscated-email", "error", message(body="Write to jane @ gmail . com. Thanks"), "body", "jane @ gmail . com"),
    Fires("obfuscated-email", "error", message(body="Write to john at gmail dot com dot Thanks"),
          "body", "john at gmail dot com"),
    Fires("no-external-links", "error", message(body="Set it up at https://shop-example.com/setup today."),
          "body", "https://shop-example.com/setup"),
    Fires("no-external-links", "error", message(body="See http://shop-example.com."), "body", "http://shop-example.com"),
    Fires("no-external-links", "error", message(body="See www.shop-example.com for help."), "body", "www.shop-example.com"),
    Fires("no-external-links", "error", message(body="See shop-example.com/setup for help."),
          "body", "shop-example.com/setup"),
    Fires("no-external-links", "error", message(body="Short link: bit.ly/3xYz"), "body", "bit.ly/3xYz"),
    Fires("no-external-links", "error", message(body="Returns: https://amazon.com.returns-help.net/start"),
          "body", "https://amazon.com.returns-help.net/start"),
    Fires("no-external-links", "error", message(body="Returns: amazon.com.returns-help.net"),
          "body", "amazon.com.returns-help.net"),
    Fires("no-external-links", "error", message(body="Sign in: https://amazon.com@evil.example/x"),
          "body", "https://amazon.com@evil.example/x"),
    Fires("no-external-links", "error", message(body="Sign in: https://evil.example\\@amazon.com/x"),
          "body", "https://evil.example"),  # browsers read the backslash as a slash
    Fires("no-external-links", "error", message(body="Sign in: https://аmazon.com/x"),  # Cyrillic а
          "body", "https://аmazon.com/x"),
    Fires("no-external-links", "error", message(body="Sign in: https://www.amazon.com.\u200bevil.com/x"),
          "body", "https://www.amazon.com.\u200bevil.com/x"),
    Fires("no-external-links", "error", message(html='<p>Our <a href="https://shop-example.com/x">guide</a></p>'),
          "html", "https://shop-example.com/x"),
    Fires("no-external-links", "error", message(html='<p>Logo <img src="https://cdn.shop-example.com/l.png"></p>'),
          "html", "https://cdn.shop-example.com/l.png"),
    Fires("no-external-links", "error", message(body="Track it at https://www.ups.com/track?n=1"),
          "body", "https://www.ups.com/track?n=1"),
    Fires("no-external-links", "error", critical(body="Track it at http://www.ups.com/track?n=1"),
          "body", "http://www.ups.com/track?n=1"),
    Fires("no-external-links", "error", critical(body="Track it at https://www.shop-example.com/track"),
          "body", "https://www.shop-example.com/track"),
    Fires("tracking-pixel", "error", message(html='<p>Hi</p><img src="https://www.amazon.com/p.gif" width="1" height="1">'),
          "html", '<img src="https://www.amazon.com/p.gif" width="1" height="1">'),
    Fires("tracking-pixel", "error", message(html='<p>Hi</p><img src="https://www.amazon.com/p.gif" style="display:none">'),
          "html", '<img src="https://www.amazon.com/p.gif" style="display:none">'),
    Fires("phone-number", "warning", message(body="Call us on +1 206-555-0100 any time."), "body", "+1 206-555-0100"),
    Fires("phone-number", "warning", message(body="Ring 0151 496 0123 for help."), "body", "0151 496 0123"),
    # -- reviews
    Fires("review-incentive", "error", message(body="Leave a review and get a gift card."), "body", "gift card"),
    Fires("review-incentive", "error", message(body="Write a review and we refund the postage."), "body", "refund"),
    Fires("review-bias", "error", message(body="Please leave a 5-star review."), "body", "5-star"),
    Fires("review-bias", "error", message(body="If you are happy, please leave feedback."),
          "body", "If you are happy, please leave feedback"),
    Fires("review-bias", "error", message(body="Contact us before leaving a negative review."),
          "body", "before leaving a negative review"),
    Fires("review-change-request", "error", message(body="Could you update your review?"), "body", "update your review"),
    Fires("review-change-request", "error", message(body="Please remove the feedback."), "body", "remove the feedback"),
    # -- limits
    Fires("daily-limit", "error", CLEAN, context={"avg_daily_orders": 10, "sent_today": 650},
          says="5 × 10 + 600 messages (650 already sent today)"),
    Fires("daily-limit", "error", message(context={"avg_daily_orders": 0, "sent_today": 600}),
          context={"avg_daily_orders": 100, "sent_today": 0}),
    Fires("attachment-size", "error", message(attachments=[{"name": "manual.pdf", "size": 10 * 1024 * 1024 + 1}])),
    Fires("attachment-size", "error", message(attachments=[
        {"name": "a.pdf", "size": 5 * 1024 * 1024}, {"name": "b.pdf", "size": 5 * 1024 * 1024 + 1}])),
    Fires("attachment-type", "error", message(attachments=[{"name": "invoice.pdf.exe", "size": 10}]),
          "attachments[0]", "invoice.pdf.exe", says='"invoice.pdf.exe" is not an allowed attachment type'),
    Fires("attachment-type", "error", message(attachments=[{"name": "a.pdf", "size": 1}, {"name": "setup.ZIP", "size": 1}]),
          "attachments[1]", "setup.ZIP"),
    Fires("attachment-type", "error", message(attachments=[{"name": "README", "size": 1}]), "attachments[0]", "README"),
    Fires("late-response", "warning", message(in_reply_to={"received_at": "2026-11-20T12:00:00Z"},
                                              sent_at="2026-11-21T12:00:01Z")),
    Fires("late-response", "warning", message(in_reply_to={"received_at": "2026-11-21T11:59:59Z"})),
    # -- style
    Fires("no-emoji", "warning", message(body="Enjoy the kettle 😊"), "body", "😊"),
    Fires("no-emoji", "warning", message(subject="Your return 👍🏽 of the kettle"), "subject", "👍🏽"),
    Fires("no-emoji", "warning", message(body="Our team 👩‍💻 is on it."), "body", "👩‍💻"),
    Fires("no-emoji", "warning", message(body="", html="<p>Enjoy &#x1F60A;</p>"), "html", "&#x1F60A;"),
    Fires("generic-subject", "info", message(subject="Hello"), "subject", "Hello"),
    Fires("generic-subject", "info", message(subject=""), "subject", ""),
    Fires("generic-subject", "info", message(subject=" Your order "), "subject", " Your order "),
    Fires("generic-subject", "info", message(subject="message!"), "subject", "message!"),
    Fires("category-assumed", "info", {"subject": "Your return of the blue kettle", "body": CLEAN["body"]},
          says="checked as non_critical"),
]


@pytest.mark.parametrize("case", FIRES, ids=str)
def test_rule_fires(amazon, case: Fires):
    verdict = evaluate(amazon, case.message, case.context)
    found = [v for v in verdict.violations if v.rule == case.rule]
    assert found, f"{case.rule} did not fire; got {verdict.fired}"
    violation = found[0]
    assert violation.severity == case.severity
    assert verdict.verdict == case.expected_verdict
    assert violation.field == case.field
    if case.excerpt is None:
        assert violation.start is violation.end is violation.excerpt is None
    else:
        raw = field_text(case.message, case.field)
        if case.field.startswith("attachments["):
            assert (violation.start, violation.end) == (None, None)
        else:
            start = raw.index(case.excerpt) if case.start is None else case.start
            assert (violation.start, violation.end) == (start, start + len(case.excerpt))
            assert raw[violation.start:violation.end] == case.excerpt
        assert violation.excerpt == case.excerpt
    if case.says is not None:
        assert case.says in violation.message


def test_clean_messages_are_clean(amazon):
    assert evaluate(amazon, CLEAN).violations == ()
    assert evaluate(amazon, CLEAN_CRITICAL).violations == ()


@attrs.frozen
class Silent:
    """A message close to firing `rule` that must not fire it."""

    rule: str
    why: str
    message: dict
    context: dict | None = None

    def __str__(self) -> str:
        return f"{self.rule}:{self.why}"


SILENT = [
    Silent("important-tag-missing", "lower-case tag", critical(subject=f"[important] Delivery of order {ORDER}")),
    Silent("important-tag-missing", "tag at the end", critical(subject=f"Delivery of order {ORDER} [IMPORTANT]")),
    Silent("important-tag-missing", "category wins over contact reason",
           message(CLEAN_CRITICAL, category="non_critical", subject=f"Delivery of order {ORDER}")),
    Silent("important-tag-missing", "not critical", message(subject="Your return")),
    Silent("important-tag-position", "tag at the start", critical(subject=f"  [Important] Delivery of order {ORDER}")),
    Silent("important-tag-position", "tag at the end", critical(subject=f"Delivery of order {ORDER} [Important]  ")),
    Silent("important-tag-misuse", "(Important) is not the tag", message(subject="(Important) Your return")),
    Silent("important-tag-misuse", "critical", CLEAN_CRITICAL),
    Silent("order-id-missing", "order ID in the body only",
           critical(subject="[Important] Delivery of your wardrobe", body=f"It is order {ORDER}.")),
    Silent("order-id-missing", "not critical", message(subject="Your return")),
    Silent("order-id-missing", "order ID in the HTML body", critical(
        subject="[Important] Delivery of your wardrobe", body="", html=f"<p>It is order <b>{ORDER}</b>.</p>")),
    Silent("order-id-mismatch", "the same order", message(order_id=ORDER, body=f"About order {ORDER}: sorry.")),
    Silent("order-id-mismatch", "no order_id field", message(body="About order 112-9999999-0000000: sorry.")),
    Silent("buyer-language", "en-GB equals en", message(language="en-GB", recipient={"language": "en"})),
    Silent("buyer-language", "en equals EN-us", message(language="en", recipient={"language": "EN-us"})),
    Silent("buyer-language", "underscore tag", message(language="de_AT", recipient={"language": "de-DE"})),
    Silent("buyer-language", "buyer language unknown", message(language="de")),
    Silent("buyer-language", "too little text to detect", message(subject="Ok", body="Danke", recipient={"language": "en"})),
    Silent("buyer-opted-out", "reply to an opted-out buyer",
           message(recipient={"opted_out": True}, in_reply_to={"received_at": "2026-11-22T10:00:00Z"})),
    Silent("buyer-opted-out", "critical to an opted-out buyer", critical(recipient={"opted_out": True})),
    Silent("buyer-opted-out", "not opted out", message(recipient={"opted_out": False})),
    Silent("no-marketing", "100% official is not a discount", message(body="This is the 100% official part.")),
    Silent("no-marketing", "follow-up", message(body="We will follow up tomorrow.")),
    Silent("no-marketing", "check out the return", message(body="We will check out the returned kettle.")),
    Silent("critical-misuse", "review your address", critical(body="We will review your address and call back.")),
    Silent("critical-misuse", "review request that is not critical", message(contact_reason="review_request",
                                                                              body="Please leave a review.")),
    Silent("no-order-confirmation", "shipment delay", message(contact_reason="shipment_delay")),
    Silent("out-of-stock", "shipment delay", message(contact_reason="shipment_delay")),
    Silent("ask-buyer-to-cancel", "we cancelled", message(body="We have cancelled your order and refunded you.")),
    Silent("ask-buyer-to-cancel", "we will cancel", message(body="We will cancel the order for you.")),
    Silent("seller-to-seller", "a buyer", message(recipient={"role": "buyer"})),
    Silent("no-email-address", "no top-level domain", message(body="Our team is john@gmail on the forum.")),
    Silent("no-email-address", "a handle", message(body="Ask @kettle_team for details.")),
    Silent("no-email-address", "user name in a link", message(body="Open https://user@www.amazon.com/x please.")),
    Silent("obfuscated-email", "prose with at", message(body="The parcel arrived at the depot. Look at amazon.com now.")),
    Silent("obfuscated-email", "prose with a spaced full stop", message(body="Sam at home . it was great")),
    Silent("obfuscated-email", "a plain address is the other rule's", message(body="Write to jane@gmail.com . Thanks")),
    Silent("no-external-links", "e.g. is not a link", message(body="Use a soft cloth, e.g. a microfibre one.")),
    Silent("no-external-links", "U.S. is not a link", message(body="Shipped from the U.S. warehouse.")),
    Silent("no-external-links", "file.txt is not a link", message(body="The manual is in file.txt and notes.md.")),
    Silent("no-external-links", "amazon.co.uk", message(body="See https://www.amazon.co.uk/gp/help/customer.")),
    Silent("no-external-links", "amazon.de bare", message(body="Your orders are on amazon.de/orders.")),
    Silent("no-external-links", "an Amazon subdomain", message(body="See https://sellercentral.amazon.com/help.")),
    Silent("no-external-links", "a user name on an Amazon link", message(body="See https://a:b@www.amazon.com/x.")),
    Silent("no-external-links", "no space after a full stop", message(body="It arrived.So we are glad.")),
    Silent("no-external-links", "carrier https link in delivery_scheduling",
           critical(body="Track it at https://www.ups.com/track?n=1 today.")),
    Silent("no-external-links", "carrier link under the SP-API alias",
           message(CLEAN_CRITICAL, contact_reason="confirmDeliveryDetails", body="Track: https://www.fedex.com/t/1")),
    Silent("no-external-links", "amazon link in HTML",
           message(html='<p>See <a href="https://www.amazon.com/orders">your orders</a></p>')),
    Silent("tracking-pixel", "a visible image",
           message(html='<p>Hi</p><img src="https://www.amazon.com/logo.png" width="120" height="40">')),
    Silent("phone-number", "an order ID", message(body=f"Your order {ORDER} is packed.")),
    Silent("phone-number", "an ISO date", message(body="It ships on 2026-11-22.")),
    Silent("phone-number", "a written date", message(body="It ships on 22/11/2026.")),
    Silent("phone-number", "a UPS tracking number", message(body="Tracking: 1Z999AA10123456784")),
    Silent("phone-number", "a USPS tracking number", message(body="Tracking: 9400 1000 0000 0000 0000 00")),
    Silent("phone-number", "a long tracking number", message(body="Tracking: 9405511899223197428490")),
    Silent("phone-number", "a price", message(body="The refund is $1,234.56 in total.")),
    Silent("phone-number", "a time", message(body="It arrives at 10:30 tomorrow.")),
    Silent("phone-number", "an invoice number", message(body="Attached is invoice INV-2026-000123.")),
    Silent("phone-number", "a model number", message(body="The spare lid fits model KT-2000/B and KT-2100/B.")),
    Silent("phone-number", "a US street address", message(body="Our office: 123 Main St, Springfield, IL 62704.")),
    Silent("review-incentive", "a neutral review request", message(contact_reason="review_request",
                                                                   body="Please leave an honest review.")),
    Silent("review-incentive", "a refund without a review", CLEAN),
    Silent("review-bias", "an honest review", message(contact_reason="review_request", body="Please leave an honest review.")),
    Silent("review-change-request", "we updated the order", message(body="We have updated your order.")),
    Silent("daily-limit", "at the limit", CLEAN, {"avg_daily_orders": 10, "sent_today": 649}),
    Silent("daily-limit", "order volume unknown", CLEAN, {"sent_today": 10_000}),
    Silent("daily-limit", "the message's own context wins", message(context={"sent_today": 0}),
           {"avg_daily_orders": 0, "sent_today": 10_000}),
    Silent("attachment-size", "exactly 10 MiB", message(attachments=[{"name": "manual.pdf", "size": 10 * 1024 * 1024}])),
    Silent("attachment-size", "exactly 10 MiB in two files", message(attachments=[
        {"name": "a.pdf", "size": 5 * 1024 * 1024}, {"name": "b.pdf", "size": 5 * 1024 * 1024}])),
    Silent("attachment-type", "upper-case extension", message(attachments=[{"name": "INVOICE.PDF", "size": 1}])),
    Silent("attachment-type", "every allowed type", message(attachments=[
        {"name": f"file.{extension}", "size": 1}
        for extension in "txt pdf doc docx jpg jpeg gif tif tiff bmp png".split()])),
    Silent("attachment-type", "a dotted name", message(attachments=[{"name": "scan.2026.11.Jpeg", "size": 1}])),
    Silent("late-response", "exactly 24 hours", message(in_reply_to={"received_at": "2026-11-20T12:00:00Z"},
                                                       sent_at="2026-11-21T12:00:00Z")),
    Silent("late-response", "24 hours in another time zone", message(
        in_reply_to={"received_at": "2026-11-20T13:00:00+01:00"}, sent_at="2026-11-21T12:00:00Z")),
    Silent("late-response", "not a reply", message(sent_at="2026-11-21T12:00:00Z")),
    Silent("no-emoji", "copyright and trade mark signs", message(body="Kettle© and Kettle™ and Kettle®.")),
    Silent("no-emoji", "a text smiley", message(body="Thanks :-)")),
    Silent("generic-subject", "a subject that says something", CLEAN),
    Silent("generic-subject", "order with details", message(subject="Order 112-3456789-0123456 is delayed")),
    Silent("category-assumed", "contact reason given", CLEAN),
    Silent("category-assumed", "category given", {"category": "non_critical", "subject": "Your return", "body": "x"}),
]


@pytest.mark.parametrize("case", SILENT, ids=str)
def test_rule_stays_silent(amazon, case: Silent):
    verdict = evaluate(amazon, case.message, case.context)
    assert case.rule not in verdict.fired, [v for v in verdict.violations if v.rule == case.rule]


def test_every_rule_of_the_catalogue_is_tested(amazon):
    assert set(amazon.rule_ids) == {case.rule for case in FIRES} == {case.rule for case in SILENT}


# -- boundaries, each on both sides

@pytest.mark.parametrize(("sent_today", "avg_daily_orders", "fires"), [
    (649, 10, False),   # 649 + 1 > 5 * 10 + 600 is false
    (650, 10, True),    # 651 > 650
    (599, 0, False),
    (600, 0, True),
    (601, 0.5, False),  # 602 > 602.5 is false
    (602, 0.5, True),
])
def test_daily_limit_boundary(amazon, sent_today, avg_daily_orders, fires):
    context = {"avg_daily_orders": avg_daily_orders, "sent_today": sent_today}
    verdict = evaluate(amazon, CLEAN, context)
    assert ("daily-limit" in verdict.fired) == fires
    assert verdict.verdict == ("block" if fires else "allow")


@pytest.mark.parametrize(("size", "fires"), [(10_485_760, False), (10_485_761, True), (0, False)])
def test_attachment_size_boundary(amazon, size, fires):
    verdict = evaluate(amazon, message(attachments=[{"name": "manual.pdf", "size": size}]))
    assert ("attachment-size" in verdict.fired) == fires
    assert verdict.verdict == ("block" if fires else "allow")


@pytest.mark.parametrize(("sent_at", "fires"), [
    ("2026-11-21T12:00:00Z", False),
    ("2026-11-21T12:00:01Z", True),
    ("2026-11-21T11:59:59Z", False),
])
def test_late_response_boundary(amazon, sent_at, fires):
    reply = message(in_reply_to={"id": "b-1", "received_at": "2026-11-20T12:00:00Z"}, sent_at=sent_at)
    verdict = evaluate(amazon, reply)
    assert ("late-response" in verdict.fired) == fires
    assert verdict.verdict == ("warn" if fires else "allow")


def test_late_response_across_a_leap_second(amazon):
    """RFC 3339 allows second 60; it is read as the first second of the next minute."""
    reply = message(in_reply_to={"received_at": "2016-12-31T23:59:60Z"}, sent_at="2017-01-02T00:00:00Z")
    assert "late-response" not in evaluate(amazon, reply).fired
    reply = message(in_reply_to={"received_at": "2016-12-31T23:59:60Z"}, sent_at="2017-01-02T00:00:01Z")
    assert "late-response" in evaluate(amazon, reply).fired


def test_late_response_without_sent_at_uses_the_time_of_the_check(amazon):
    reply = message(in_reply_to={"received_at": "2026-11-21T12:00:00Z"})
    assert "late-response" not in evaluate(amazon, reply).fired  # exactly 24 h before NOW
    reply = message(in_reply_to={"received_at": "2026-11-21T11:59:59Z"})
    assert "late-response" in evaluate(amazon, reply).fired


# -- categories and contact reasons

@pytest.mark.parametrize(("fields", "category"), [
    ({"contact_reason": "delivery_scheduling"}, "critical"),
    ({"contact_reason": "confirmDeliveryDetails"}, "critical"),
    ({"contact_reason": "CONFIRMDELIVERYDETAILS"}, "critical"),
    ({"contact_reason": "legalDisclosure"}, "critical"),
    ({"contact_reason": "unexpectedProblem"}, "critical"),
    ({"contact_reason": "warranty"}, "non_critical"),
    ({"contact_reason": "productReviewAndSellerFeedback"}, "non_critical"),
    ({"contact_reason": "digitalAccessKey"}, "non_critical"),
    ({"contact_reason": "invoice"}, "non_critical"),
    ({"contact_reason": "sales_notice"}, "promotional"),
    ({"category": "non_critical", "contact_reason": "delivery_scheduling"}, "non_critical"),
    ({"category": "critical", "contact_reason": "review_request"}, "critical"),
    ({"category": "promotional", "contact_reason": "invoice"}, "promotional"),
    ({}, "non_critical"),
])
def test_category_comes_from_category_then_contact_reason(amazon, fields, category):
    """The category decides the tag rules: critical needs the tag, the others must not carry it."""
    base = {"subject": "[Important] Your kettle, order " + ORDER, "body": "Which weekday suits you?", **fields}
    fired = evaluate(amazon, base).fired
    assert ("important-tag-misuse" in fired) == (category != "critical")
    if category == "promotional":
        assert "no-marketing" in fired
    verdict = evaluate(amazon, {**base, "subject": "Your kettle, order " + ORDER})
    assert ("important-tag-missing" in verdict.fired) == (category == "critical")
    assert ("category-assumed" in verdict.fired) == (fields == {})


def test_unknown_contact_reason_is_an_input_error_naming_the_known_ones(amazon):
    with pytest.raises(MessageError) as caught:
        evaluate(amazon, message(contact_reason="complaint"))
    error = caught.value
    assert error.path == "$.contact_reason"
    text = str(error)
    assert "unknown contact reason 'complaint'" in text
    for known in ("delivery_scheduling", "review_request", "coupon", "confirmDeliveryDetails", "warranty"):
        assert known in text


def test_unknown_category_is_an_input_error(amazon):
    with pytest.raises(MessageError) as caught:
        evaluate(amazon, message(category="urgent"))
    assert caught.value.path == "$.category"
    assert "critical, non_critical, promotional" in str(caught.value)


def test_buyer_language_severity_depends_on_the_category(amazon):
    crit = evaluate(amazon, critical(language="de", recipient={"language": "en"}))
    assert [v.severity for v in crit.violations if v.rule == "buyer-language"] == ["error"]
    other = evaluate(amazon, message(language="de", recipient={"language": "en"}))
    assert [v.severity for v in other.violations if v.rule == "buyer-language"] == ["warning"]


# -- normalisation: matching on NFKC text without zero-width characters, offsets into the original

@pytest.mark.parametrize(("body", "rule", "excerpt"), [
    ("Write to john＠gmail.com now", "no-email-address", "john＠gmail.com"),
    ("Write to ｊｏｈｎ@ｇｍａｉｌ.ｃｏｍ now", "no-email-address", "ｊｏｈｎ@ｇｍａｉｌ.ｃｏｍ"),
    ("Get a gi\u200bft card for a review: leave a review", "review-incentive", "gi\u200bft card"),
    ("Use co\u200cde SAVE10", "no-marketing", "co\u200cde"),  # the phrase "use code" starts before
    ("Visit https://shop\u200b-example.com now", "no-external-links", "https://shop\u200b-example.com"),
    ("Please leave a ５-star review", "review-bias", "５-star"),
    ("Leave a re\u00adview for a gift card", "review-incentive", "gift card"),
])
def test_normalised_matching_reports_original_offsets(amazon, body, rule, excerpt):
    verdict = evaluate(amazon, message(body=body))
    found = [v for v in verdict.violations if v.rule == rule]
    assert found, verdict.fired
    violation = found[0]
    assert violation.field == "body"
    assert body[violation.start:violation.end] == violation.excerpt
    assert excerpt in violation.excerpt


def test_zero_width_characters_do_not_hide_a_word(amazon):
    body = "Please lea\u200bve a 5\u200b-star rev\u2060iew."
    verdict = evaluate(amazon, message(body=body))
    (violation,) = [v for v in verdict.violations if v.rule == "review-bias"]
    assert (violation.start, violation.end) == (body.index("5"), body.index("star") + 4)
    assert violation.excerpt == "5\u200b-star"


def test_html_violations_point_into_the_html_source(amazon):
    html = '<p>Write&nbsp;to <b>jane@example.com</b> or call <i>+1 206-555-0100</i></p>'
    verdict = evaluate(amazon, message(body="", html=html))
    located = {v.rule: v for v in verdict.violations}
    for rule, excerpt in (("no-email-address", "jane@example.com"), ("phone-number", "+1 206-555-0100")):
        violation = located[rule]
        assert violation.field == "html"
        assert (violation.start, violation.end) == (html.index(excerpt), html.index(excerpt) + len(excerpt))
        assert violation.excerpt == excerpt


def test_every_location_is_reported_once(amazon):
    body = "Write to a@shop-example.com or b@shop-example.com."
    verdict = evaluate(amazon, message(body=body))
    excerpts = [v.excerpt for v in verdict.violations if v.rule == "no-email-address"]
    assert excerpts == ["a@shop-example.com", "b@shop-example.com"]


def test_subject_and_body_are_both_searched(amazon):
    verdict = evaluate(amazon, message(subject="Mail help@shop-example.com", body="or jane@example.com"))
    assert [(v.field, v.excerpt) for v in verdict.violations if v.rule == "no-email-address"] == [
        ("subject", "help@shop-example.com"), ("body", "jane@example.com")]


# -- the catalogue page lists the rules of both bundled policies --------------------------------

def catalogue(heading: str) -> list[tuple[str, str]]:
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "docs" / "amazon-policy.md").read_text(encoding="utf-8")
    section = text[text.index(heading):].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    return [(cells[0].strip("| `"), cells[1]) for cells in rows]


def rule_severities(policy) -> list[tuple[str, str]]:
    severities = []
    for rule in policy.checked.rules:
        if not rule.disabled:
            cases = [c.severity.name for c in rule.definition.clauses if type(c).__name__ == "SeverityClause"]
            severities.append((rule.id, f"{cases[0]} for `critical`, else {rule.severity}" if cases else rule.severity))
    return severities


def test_the_catalogue_page_lists_every_rule_with_its_severity(amazon):
    assert catalogue("## Rules of `bundled:amazon`") == rule_severities(amazon)
    sp_api = load_policy("bundled:amazon-sp-api")
    added = [entry for entry in rule_severities(sp_api) if entry[0].startswith("sp-api-")]
    assert catalogue("## Rules of `bundled:amazon-sp-api`") == added
    assert [rule for rule, _ in rule_severities(sp_api)] == [
        rule for rule in amazon.rule_ids if rule not in
        ("important-tag-missing", "important-tag-position", "important-tag-misuse", "generic-subject")] + \
        [rule for rule, _ in added]
