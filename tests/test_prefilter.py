"""The compiled policy's one-pass pattern set only skips searches that cannot match: results
with it equal the results of searching every pattern in every text."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

import re2

from bsm_rules import load_policy
from bsm_rules.library import BUILTINS
from bsm_rules.library.runtime import Segment

FILTERED = load_policy()
UNFILTERED = load_policy()
UNFILTERED.compiled.pattern_set.set = None  # every pattern is searched in every segment

FRAGMENTS = [
    "Please leave a 5-star review", "use code SAVE10 for 20% off", "follow us", "newsletter",
    "request a cancellation", "could you update your review", "gift card", "positive feedback",
    "[Important]", "(Important)", "IMPORTANT:", "contact us before leaving a negative review",
    "check out our new", "Hello", "order 111-2222222-3333333", "REVIEW", "Five Stars", "ﬁve stars",
    "re\u200bview", "café", "if you are happy with it, please rate us", " ", "\n", ".", "!",
    "jane@example.com", "jane (at) gmail (dot) com", "john at gmail dot com", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "https://evil.example/x", "www.shop.de", "amazon.com", "e.g.", "2.5", "+1 206-555-0100", "(0)30 1234567",
    "171-2345678-9012345", "12-3456789-0123456", "١٢٣٤٥٦٧٨٩٠", "😀", "at", "dot", "@",
]
TEXT = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=12).map(" ".join)


def test_the_bundled_policy_has_a_pattern_set():
    assert FILTERED.compiled.pattern_set.set is not None
    assert len(FILTERED.compiled.pattern_set.indexes) >= 8


@settings(max_examples=150)
@given(subject=TEXT, body=TEXT, html=st.none() | TEXT.map(lambda t: f"<p>{t}</p>"),
       category=st.sampled_from([None, "critical", "promotional", "non_critical"]))
def test_the_pattern_set_never_changes_a_result(subject, body, html, category):
    message = {"id": "m", "subject": subject, "body": body, "html": html, "category": category}
    filtered = FILTERED.evaluate(message).to_json()
    unfiltered = UNFILTERED.evaluate(message).to_json()
    assert json.dumps(filtered) == json.dumps(unfiltered)


@settings(max_examples=300)
@given(text=TEXT)
def test_a_finder_finds_nothing_where_its_trigger_does_not_match(text):
    """The rule skipping above is sound only if every finder's trigger matches wherever it finds something."""
    segment = Segment("body", text)  # the pattern set matches the normalised text the finders read
    for builtin in BUILTINS.values():
        if builtin.trigger is not None and builtin.finder(segment):
            assert re2.search(builtin.trigger, segment.text) is not None, (builtin.name, text)


def test_the_triggers_are_not_vacuous():
    assert re2.search(BUILTINS["links"].trigger, "Thanks for your order. We ship today.") is None
    assert re2.search(BUILTINS["obfuscated_emails"].trigger, "Look at the box. Thanks") is None
    assert re2.search(BUILTINS["emails"].trigger, "no address here") is None
