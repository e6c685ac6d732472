"""The bundled SP-API policy: the Amazon rules (subject rules off) plus the limits of the Selling
Partner API's Messaging operations."""

from __future__ import annotations

import datetime

import pytest

from bsm_rules import MessageError, load_policy

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
ORDER = "112-3456789-0123456"
PDF = {"name": "invoice.pdf", "size": 20_000}


@pytest.fixture(scope="module")
def sp_api():
    return load_policy("bundled:amazon-sp-api")


def evaluate(policy, **fields):
    return policy.evaluate(fields, now=NOW)


def sentence_body(length: int) -> str:
    """A neutral body of exactly `length` characters, mentioning the order."""
    text = f"About order {ORDER}: the parts arrive in two boxes. "
    return (text * (length // len(text) + 1))[:length]


@pytest.mark.parametrize(("action", "limit"), [
    ("confirmCustomizationDetails", 800),
    ("confirmDeliveryDetails", 2000),
    ("confirmOrderDetails", 2000),
    ("confirmServiceDetails", 2000),
    ("unexpectedProblem", 2000),
    ("digitalAccessKey", 400),
])
def test_text_length_limit_per_action(sp_api, action, limit):
    at_limit = evaluate(sp_api, contact_reason=action, body=sentence_body(limit))
    assert "sp-api-text-length" not in at_limit.fired, at_limit.violations
    over = evaluate(sp_api, contact_reason=action, body=sentence_body(limit + 1))
    (violation,) = [v for v in over.violations if v.rule == "sp-api-text-length"]
    assert violation.severity == "error"
    assert over.verdict == "block"
    assert f"the text is too long for {action} " in violation.message


@pytest.mark.parametrize("action", ["legalDisclosure", "warranty", "invoice", "productReviewAndSellerFeedback"])
def test_actions_without_a_length_limit(sp_api, action):
    verdict = evaluate(sp_api, contact_reason=action, body=sentence_body(5000), attachments=[PDF])
    assert "sp-api-text-length" not in verdict.fired


def test_length_counts_characters_as_written(sp_api):
    body = "é" * 400  # 400 characters, 800 bytes in UTF-8
    assert "sp-api-text-length" not in evaluate(sp_api, contact_reason="digitalAccessKey", body=body).fired


def test_no_html(sp_api):
    verdict = evaluate(sp_api, contact_reason="unexpectedProblem", body=f"Order {ORDER}", html="<p>Hi</p>")
    (violation,) = [v for v in verdict.violations if v.rule == "sp-api-no-html"]
    assert violation.severity == "error" and violation.field is None
    assert "sp-api-no-html" not in evaluate(sp_api, contact_reason="unexpectedProblem", body=f"Order {ORDER}").fired


@pytest.mark.parametrize(("count", "fires"), [(0, False), (5, False), (6, True)])
def test_at_most_five_attachments(sp_api, count, fires):
    attachments = [{"name": f"photo-{i}.jpg", "size": 1000} for i in range(count)]
    verdict = evaluate(sp_api, contact_reason="unexpectedProblem", body=f"Order {ORDER}", attachments=attachments)
    assert ("sp-api-attachment-count" in verdict.fired) == fires
    assert verdict.verdict == ("block" if fires else "allow")


@pytest.mark.parametrize("action", ["invoice", "warranty", "INVOICE"])
def test_invoice_and_warranty_need_an_attachment(sp_api, action):
    without = evaluate(sp_api, contact_reason=action, body="Your document.")
    (violation,) = [v for v in without.violations if v.rule == "sp-api-attachment-required"]
    assert violation.severity == "error"
    assert f"the {action} action needs at least one attachment" in violation.message
    with_one = evaluate(sp_api, contact_reason=action, body="Your document.", attachments=[PDF])
    assert "sp-api-attachment-required" not in with_one.fired


def test_other_actions_need_no_attachment(sp_api):
    assert "sp-api-attachment-required" not in evaluate(sp_api, contact_reason="digitalAccessKey", body="Key").fired


@pytest.mark.parametrize("action", ["negativeFeedbackRemoval", "amazonMotors", "amazonmotors"])
def test_removed_actions_are_rejected(sp_api, action):
    verdict = evaluate(sp_api, contact_reason=action, body="Hello")
    (violation,) = [v for v in verdict.violations if v.rule == "sp-api-removed-action"]
    assert violation.severity == "error"
    assert f"the {action} messaging action was removed" in violation.message


def test_removed_actions_are_unknown_to_the_amazon_policy():
    with pytest.raises(MessageError) as caught:
        load_policy().evaluate({"contact_reason": "amazonMotors"}, now=NOW)
    assert caught.value.path == "$.contact_reason"


def test_subject_rules_are_off(sp_api):
    """API messages have no subject: no tag duty, no generic-subject advice."""
    verdict = evaluate(sp_api, contact_reason="confirmDeliveryDetails", body=f"Delivery of order {ORDER} on Monday.")
    assert verdict.violations == ()
    misuse = evaluate(sp_api, contact_reason="warranty", subject="[Important]", body="Warranty", attachments=[PDF])
    assert not {"important-tag-missing", "important-tag-position", "important-tag-misuse", "generic-subject"} & set(misuse.fired)
    assert not {"important-tag-missing", "important-tag-position", "important-tag-misuse", "generic-subject"} & set(sp_api.rule_ids)


def test_the_amazon_rules_still_apply(sp_api):
    verdict = evaluate(sp_api, contact_reason="confirmOrderDetails",
                       body=f"Order {ORDER}: write to jane@example.com or visit https://shop-example.com")
    assert {"no-email-address", "no-external-links"} <= set(verdict.fired)
    assert "order-id-missing" in evaluate(sp_api, contact_reason="confirmOrderDetails", body="Your order").fired
    amazon_rules = set(load_policy().rule_ids) - {"important-tag-missing", "important-tag-position",
                                                    "important-tag-misuse", "generic-subject"}
    assert amazon_rules <= set(sp_api.rule_ids)
    assert set(sp_api.rule_ids) - amazon_rules == {
        "sp-api-removed-action", "sp-api-text-length", "sp-api-no-html", "sp-api-attachment-count",
        "sp-api-attachment-required"}
