"""The benchmark's baseline: the rules of bench/baseline.bsm written by hand in plain Python, the
way a seller tool would: one `re` pattern per rule, searched over each text field."""

from __future__ import annotations

import re

__all__ = ["check"]

_FLAGS = re.IGNORECASE
IMPORTANT_TAG = re.compile(r"\[important\]", _FLAGS)
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
WEB_LINK = re.compile(r"\bhttps?://[^\s<>\"]+|\bwww\.[^\s<>\"]+", _FLAGS)
PERCENT_OFF = re.compile(r"\b\d{1,3}(?:[.,]\d+)?\s?%\s*off\b", _FLAGS)
MARKETING = re.compile(r"\b(?:check out our new|newsletter|follow us|like us on|subscribe|coupon code|discount code"
                       r"|promo code|use code|limited time offer|shop our|visit our store|new arrivals)\b", _FLAGS)
ASK_TO_CANCEL = re.compile(r"\b(?:request|ask\s+for|submit|initiate)\s+(?:a\s+|an\s+|the\s+)?(?:order\s+)?cancell?ation\b"
                           r"|\b(?:please|kindly|could\s+you|can\s+you)\s+cancel\s+(?:the|your|this)\s+order\b", _FLAGS)
REVIEW_CHANGE = re.compile(r"\b(?:change|update|remove|delete|revise|edit|modify)\s+(?:your|the|this|that)\s+"
                           r"(?:\w+\s+){0,2}?(?:review|feedback|rating)s?\b", _FLAGS)
BIASED_REVIEW = re.compile(r"\b(?:5|five)[\s-]*stars?\b|\b(?:positive|good|great|glowing|excellent)\s+"
                           r"(?:review|feedback|rating)s?\b|\b(?:before|instead\s+of)\s+(?:leaving|writing|posting|giving)"
                           r"\s+(?:a\s+|any\s+)?(?:negative|bad|poor|low|critical)\s+(?:review|feedback|rating)\b", _FLAGS)
REVIEW_ASK = re.compile(r"\b(?:leave|write|post|give|submit)\s+(?:[\w-]+\s+){0,3}?(?:review|feedback|rating)s?\b", _FLAGS)
REVIEW_INCENTIVE = re.compile(r"\b(?:gift\s?card|free\s+(?:product|gift|sample|item)|refund|reimburse(?:ment)?"
                              r"|cash\s?back|coupon|discount|voucher|rebate|in\s+(?:exchange|return)\s+for)\b", _FLAGS)

CRITICAL = {"additional_info_required", "product_customization", "delivery_scheduling", "address_issue",
            "payment_issue", "unexpected_problem"}
PROMOTIONAL = {"coupon", "in_stock_notice", "sales_notice", "promotion"}
CONFIRMATIONS = {"order_confirmation", "shipment_confirmation", "delivery_confirmation"}
ALLOWED_TYPES = {"txt", "pdf", "doc", "docx", "jpg", "jpeg", "gif", "tif", "tiff", "bmp", "png"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _find(pattern: re.Pattern, fields: list[tuple[str, str]], rule: str, out: list) -> bool:
    found = False
    for name, text in fields:
        for match in pattern.finditer(text):
            out.append((rule, name, match.start(), match.end()))
            found = True
    return found


def check(message: dict) -> tuple[str, list[tuple[str, str | None, int | None, int | None]]]:
    """(verdict, violations) for a message in the message-model JSON shape."""
    out: list = []
    subject = message.get("subject") or ""
    fields = [("subject", subject), ("body", message.get("body") or "")]
    reason = (message.get("contact_reason") or "").lower()
    category = message.get("category") or ("critical" if reason in CRITICAL else
                                           "promotional" if reason in PROMOTIONAL else "non_critical")
    has_tag = IMPORTANT_TAG.search(subject) is not None
    if category == "critical" and not has_tag:
        out.append(("important-tag-missing", None, None, None))
    if category != "critical":
        _find(IMPORTANT_TAG, fields[:1], "important-tag-misuse", out)
    _find(EMAIL_ADDRESS, fields, "no-email-address", out)
    _find(WEB_LINK, fields, "no-external-links", out)
    if category == "promotional":
        out.append(("no-marketing", None, None, None))
    _find(MARKETING, fields, "no-marketing", out)
    _find(PERCENT_OFF, fields, "no-marketing", out)
    _find(ASK_TO_CANCEL, fields, "ask-buyer-to-cancel", out)
    _find(REVIEW_CHANGE, fields, "review-change-request", out)
    _find(BIASED_REVIEW, fields, "review-bias", out)
    if any(REVIEW_ASK.search(text) for _, text in fields):
        _find(REVIEW_INCENTIVE, fields, "review-incentive", out)
    if (message.get("recipient") or {}).get("role") == "seller":
        out.append(("seller-to-seller", None, None, None))
    if reason in CONFIRMATIONS:
        out.append(("no-order-confirmation", None, None, None))
    attachments = message.get("attachments") or []
    if sum(a.get("size", 0) for a in attachments) > MAX_ATTACHMENT_BYTES:
        out.append(("attachment-size", None, None, None))
    for index, attachment in enumerate(attachments):
        name = attachment["name"].rsplit("/", 1)[-1]
        extension = name.rsplit(".", 1)[1].strip().lower() if "." in name.strip(".") else ""
        if extension not in ALLOWED_TYPES:
            out.append(("attachment-type", f"attachments[{index}]", None, None))
    context = message.get("context") or {}
    if "avg_daily_orders" in context and context.get("sent_today", 0) + 1 > 5 * context["avg_daily_orders"] + 600:
        out.append(("daily-limit", None, None, None))
    return ("block" if out else "allow"), out
