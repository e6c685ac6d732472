"""Deterministic generator of realistic seller messages for the benchmark: about 1 KB of seller
prose each, about 30 % of them breaking a rule.

    python bench/generate.py 10000 > messages.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator

__all__ = ["generate", "VIOLATING_SHARE"]

VIOLATING_SHARE = 0.3

_GREETINGS = ["Hello {name},", "Dear {name},", "Hi {name},", "Good morning {name},", "Dear customer,"]
_NAMES = ["Anna", "James", "Mei", "Oliver", "Sofia", "Liam", "Priya", "Lucas", "Emma", "Noah"]
_PRODUCTS = ["cast iron skillet", "bamboo cutting board", "LED desk lamp", "wool throw blanket",
             "stainless water bottle", "ceramic planter set", "yoga mat", "garden hose reel",
             "leather wallet", "phone stand", "espresso grinder", "kids' puzzle set"]
_SENTENCES = [
    "Thank you for choosing our shop for your {product}.",
    "Your {product} left our warehouse this morning and is on its way to you.",
    "We wanted to let you know that order {order} has been packed with care.",
    "The {product} comes with a printed quick-start guide in the box.",
    "If the parcel arrives damaged, please reply to this message and we will sort it out.",
    "Our team checks every {product} by hand before it is shipped.",
    "The care instructions are attached as a PDF for your convenience.",
    "Please keep the original packaging for the first thirty days.",
    "We are a small family business and every order matters to us.",
    "The carrier usually delivers within two to four working days.",
    "Should you have any question about the {product}, simply answer this message.",
    "The warranty covers manufacturing defects for two years from the delivery date.",
    "Please allow the {product} to reach room temperature before first use.",
    "We have included a spare part in case one goes missing during assembly.",
    "For the best results, clean the {product} with warm water and a soft cloth.",
    "Your satisfaction matters to us, and we read every message ourselves.",
    "We noticed that the delivery address on order {order} has no apartment number.",
    "The invoice for your purchase is attached to this message.",
]
_CLOSINGS = ["Kind regards,\n{shop}", "Best wishes,\nThe {shop} team", "Thank you,\n{shop} customer care",
             "Warm regards,\n{shop}"]
_SHOPS = ["Northwind Goods", "Maple & Pine", "Bright Home Co", "Harbor Kitchenware", "Little Oak Toys"]
_SUBJECTS = ["About your {product}", "Your order {order}", "Care guide for your {product}",
             "Delivery update for order {order}", "Information about your {product}"]
_REASONS = [("proactive_service", 0.35), ("shipment_delay", 0.15), ("invoice", 0.15), ("return_refund", 0.1),
            ("delivery_scheduling", 0.1), ("review_request", 0.1), ("additional_info_required", 0.05)]
_CRITICAL = {"delivery_scheduling", "additional_info_required"}

# One rule-breaking addition each; every one is caught by a rule of bench/baseline.bsm.
_VIOLATIONS = [
    ("text", "If anything is wrong, write to support{n}@{shop_domain} and we answer within a day."),
    ("text", "You will find more details at https://www.{shop_domain}/care-guide on our website."),
    ("text", "Use code SAVE{n} for 20% off your next purchase in our store."),
    ("text", "Follow us on social media and subscribe to our newsletter for new arrivals."),
    ("text", "If you are happy with the {product}, please leave us a 5-star review."),
    ("text", "Please contact us before leaving a negative review so we can help."),
    ("text", "Could you please request a cancellation so that we can close the order?"),
    ("text", "We would appreciate it if you could update your review now that the issue is fixed."),
    ("text", "Leave a review and we will send you a $10 gift card as a thank you."),
    ("attachment", "care-guide.pdf.exe"),
    ("recipient", "seller"),
    ("subject", "[Important] {subject}"),
]


def _order(rng: random.Random) -> str:
    return f"{rng.randint(100, 999)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"


def _reason(rng: random.Random) -> str:
    pick = rng.random()
    for reason, share in _REASONS:
        pick -= share
        if pick <= 0:
            return reason
    return _REASONS[0][0]


def generate(count: int, seed: int = 2026) -> Iterator[dict]:
    """`count` messages in the message-model JSON shape; the same seed gives the same messages."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        product = rng.choice(_PRODUCTS)
        shop = rng.choice(_SHOPS)
        order = _order(rng)
        values = {"name": rng.choice(_NAMES), "product": product, "order": order, "shop": shop,
                  "n": rng.randint(10, 99), "shop_domain": shop.lower().replace(" & ", "-").replace(" ", "") + ".com"}
        reason = _reason(rng)
        subject = rng.choice(_SUBJECTS).format(**values)
        if reason in _CRITICAL:
            subject = f"[Important] {subject}"
        sentences = [rng.choice(_GREETINGS).format(**values), ""]
        paragraph: list[str] = []
        while sum(len(s) for s in sentences) + sum(len(s) for s in paragraph) < 900:
            paragraph.append(rng.choice(_SENTENCES).format(**values))
            if len(paragraph) == 3:
                sentences.append(" ".join(paragraph))
                paragraph = []
        if paragraph:
            sentences.append(" ".join(paragraph))
        message: dict = {"id": f"m-{number}", "sender": {"role": "seller", "id": f"seller-{number % 7}"},
                         "recipient": {"role": "buyer", "address": f"{rng.getrandbits(48):012x}@marketplace.amazon.com"},
                         "contact_reason": reason, "order_id": order, "subject": subject,
                         "attachments": [], "sent_at": f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:15:00Z"}
        if rng.random() < VIOLATING_SHARE:
            kind, template = rng.choice(_VIOLATIONS)
            if kind == "text":
                sentences.insert(rng.randint(2, len(sentences)), template.format(**values))
            elif kind == "attachment":
                message["attachments"].append({"name": template, "size": 48_213})
            elif kind == "recipient":
                message["recipient"] = {"role": "seller", "address": "wholesale@supplier-example.com"}
            elif not subject.startswith("[Important]"):
                message["subject"] = template.format(subject=subject)
        if rng.random() < 0.2 and not message["attachments"]:
            message["attachments"].append({"name": "invoice.pdf", "size": rng.randint(20_000, 400_000),
                                           "content_type": "application/pdf"})
        sentences += ["", rng.choice(_CLOSINGS).format(**values)]
        message["body"] = "\n".join(sentences)
        yield message


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 1000
    out = sys.stdout
    for message in generate(count):
        out.write(json.dumps(message) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
