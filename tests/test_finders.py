"""The order-id finders agree with their definition written as one regular expression: a whole
digit/dash run of three dash-joined ASCII digit groups (3-7-7 for an order id; 2–5, 5–9, 5–9
digits and 14–20 in all, but not 3-7-7, for a near miss). The match iterator the finders and text
search share agrees with google-re2's own."""

from __future__ import annotations

import re

import re2
from hypothesis import given, strategies as st

from bsm_rules.library import finders

ORDER_ID = re.compile(r"(?<![0-9-])[0-9]{3}-[0-9]{7}-[0-9]{7}(?![0-9-])")
SHAPE = re.compile(r"(?<![0-9-])([0-9]{2,5})-([0-9]{5,9})-([0-9]{5,9})(?![0-9-])")

PIECES = st.sampled_from(["-", "1", "12", "123", "1234", "12345", "1234567", "123456789", "1234567890",
                          " ", "a", "٣", "x-", "-9", "123-1234567-1234567", "12-12345-123456789", "-1234567-"])
TEXT = st.lists(PIECES, max_size=14).map("".join)


@given(TEXT)
def test_order_ids_are_exactly_the_whole_3_7_7_runs(text):
    assert [f.value for f in finders.find_order_ids(text)] == ORDER_ID.findall(text)
    assert [(f.start, f.end) for f in finders.find_order_ids(text)] == \
        [m.span() for m in ORDER_ID.finditer(text)]


@given(TEXT)
def test_near_misses_are_the_other_order_id_shaped_runs(text):
    expected = [m.group() for m in SHAPE.finditer(text)
                if [len(g) for g in m.groups()] != [3, 7, 7] and 14 <= sum(len(g) for g in m.groups()) <= 20]
    assert [f.value for f in finders.find_order_id_near_misses(text)] == expected


def test_the_examples_cover_both_kinds():
    assert [f.value for f in finders.find_order_ids("order 123-1234567-1234567.")] == ["123-1234567-1234567"]
    assert finders.find_order_ids("1-123-1234567-1234567") == []
    assert [f.value for f in finders.find_order_id_near_misses("12-1234567-12345678")] == ["12-1234567-12345678"]


# Empty matches, groups that take no part, anchors and word boundaries: where iterating by hand can
# go wrong.
MATCH_PATTERNS = [r"a*", r"\b", r"(x)?y", r"(?P<word>\w+)(?:@(\w+))?", r"^|$", r"(?i)é|b+", r"[^a]"]
MATCH_TEXT = st.lists(st.sampled_from(["a", "b", "x", "y", "é", " ", "@", "AB", "\n", "🙂"]), max_size=10).map("".join)


@given(st.sampled_from(MATCH_PATTERNS), st.one_of(MATCH_TEXT, st.text(max_size=20)))
def test_match_spans_finds_what_finditer_finds(pattern, text):
    regex = re2.compile(pattern)
    expected = [[match.span(group) for group in range(regex.groups + 1)] for match in regex.finditer(text)]
    assert [list(spans) for spans in finders.match_spans(regex, text)] == expected


EMOJI_PIECES = st.sampled_from(["\U0001F468", "\U0001F469", "\U0001F467", "\U0001F466", "\u200d", "\ufe0f", "\ufe0e",
                                "\U0001F3FB", "\U0001F3FD", "\u2764", "\U0001F525", "a", " ", "#", "1", "\u20e3",
                                "\U0001F1FA", "\U0001F1F8", "\u00a9", "\U0001F44D", "\u2640", "\u2642", "\U0001F9D1",
                                "\U0001F91D", "\U0001F3F3", "\U0001F308", "\u2620"])


@given(st.lists(EMOJI_PIECES, max_size=16).map("".join))
def test_emoji_are_found_where_the_emoji_library_finds_them(text):
    import emoji

    assert finders.emoji_spans(text) == [(m["match_start"], m["match_end"]) for m in emoji.emoji_list(text)]


def test_a_long_run_of_joined_emoji_is_one_emoji():
    text = "\U0001F468\u200d" * 50_000
    (found,) = finders.find_emoji(text)
    assert (found.start, found.end) == (0, len(text) - 1)
