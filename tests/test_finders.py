"""The order-id finders agree with their definition written as one regular expression: a whole
digit/dash run of three dash-joined ASCII digit groups (3-7-7 for an order id; 2–5, 5–9, 5–9
digits and 14–20 in all, but not 3-7-7, for a near miss)."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from bsm_rules import extractors

ORDER_ID = re.compile(r"(?<![0-9-])[0-9]{3}-[0-9]{7}-[0-9]{7}(?![0-9-])")
SHAPE = re.compile(r"(?<![0-9-])([0-9]{2,5})-([0-9]{5,9})-([0-9]{5,9})(?![0-9-])")

PIECES = st.sampled_from(["-", "1", "12", "123", "1234", "12345", "1234567", "123456789", "1234567890",
                          " ", "a", "٣", "x-", "-9", "123-1234567-1234567", "12-12345-123456789", "-1234567-"])
TEXT = st.lists(PIECES, max_size=14).map("".join)


@given(TEXT)
def test_order_ids_are_exactly_the_whole_3_7_7_runs(text):
    assert [f.value for f in extractors.find_order_ids(text)] == ORDER_ID.findall(text)
    assert [(f.start, f.end) for f in extractors.find_order_ids(text)] == \
        [m.span() for m in ORDER_ID.finditer(text)]


@given(TEXT)
def test_near_misses_are_the_other_order_id_shaped_runs(text):
    expected = [m.group() for m in SHAPE.finditer(text)
                if [len(g) for g in m.groups()] != [3, 7, 7] and 14 <= sum(len(g) for g in m.groups()) <= 20]
    assert [f.value for f in extractors.find_order_id_near_misses(text)] == expected


def test_the_examples_cover_both_kinds():
    assert [f.value for f in extractors.find_order_ids("order 123-1234567-1234567.")] == ["123-1234567-1234567"]
    assert extractors.find_order_ids("1-123-1234567-1234567") == []
    assert [f.value for f in extractors.find_order_id_near_misses("12-1234567-12345678")] == ["12-1234567-12345678"]
