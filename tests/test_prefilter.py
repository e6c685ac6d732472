"""The compiled policy's one-pass pattern set only skips searches that cannot match: results
with it equal the results of searching every pattern in every text."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from bsm_rules import load_policy

FILTERED = load_policy()
UNFILTERED = load_policy()
UNFILTERED.compiled.pattern_set.set = None  # every pattern is searched in every segment

FRAGMENTS = [
    "Please leave a 5-star review", "use code SAVE10 for 20% off", "follow us", "newsletter",
    "request a cancellation", "could you update your review", "gift card", "positive feedback",
    "[Important]", "(Important)", "IMPORTANT:", "contact us before leaving a negative review",
    "check out our new", "Hello", "order 111-2222222-3333333", "REVIEW", "Five Stars", "ﬁve stars",
    "re\u200bview", "café", "if you are happy with it, please rate us", " ", "\n", ".", "!",
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
