"""Tests for bsm_rules.normalize: NFKC, zero-width removal and the map back to original offsets."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bsm_rules.library.normalize import NormalizedText, normalize

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def char_spans(normalized: NormalizedText) -> list[tuple[int, int]]:
    return [normalized.original_span(i, i + 1) for i in range(len(normalized.text))]


# --- concrete behaviour ---------------------------------------------------------------------


def test_ascii_is_returned_unchanged_with_identity_mapping():
    normalized = normalize("Call me at 415-555-2671")
    assert normalized.text == normalized.original == "Call me at 415-555-2671"
    assert normalized.original_span(8, 10) == (8, 10)
    assert normalized.original_span(23, 23) == (23, 23)


def test_ascii_fast_path_builds_no_mapping():
    # The identity mapping must cost nothing: no per-character table is stored.
    normalized = normalize("plain ascii " * 100)
    assert normalized._offsets is None


def test_text_already_in_nfkc_keeps_identity_mapping():
    normalized = normalize("Grüße aus Köln")
    assert normalized.text == "Grüße aus Köln"
    assert normalized.original_span(0, 5) == (0, 5)


def test_fullwidth_at_sign_becomes_ascii():
    normalized = normalize("john＠gmail.com")
    assert normalized.text == "john@gmail.com"
    assert normalized.original_span(0, 14) == (0, 14)
    assert normalized.original_span(4, 5) == (4, 5)


def test_fullwidth_letters_map_one_to_one():
    normalized = normalize("ｇｍａｉｌ")
    assert normalized.text == "gmail"
    assert char_spans(normalized) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_zero_width_space_is_dropped_and_spans_cover_it():
    original = "write to gm\u200bail.com"
    normalized = normalize(original)
    assert normalized.text == "write to gmail.com"
    word_start = normalized.text.index("gmail")
    start, end = normalized.original_span(word_start, word_start + len("gmail"))
    assert original[start:end] == "gm\u200bail"
    # A span ending just before the removed character does not include it.
    assert normalized.original_span(word_start, word_start + 2) == (9, 11)


@pytest.mark.parametrize("invisible", list(ZERO_WIDTH))
def test_every_zero_width_character_is_removed_between_letters(invisible):
    normalized = normalize(f"a{invisible}b")
    assert normalized.text == "ab"
    assert normalized.original_span(0, 2) == (0, 3)
    assert normalized.original_span(1, 2) == (2, 3)


def test_leading_and_trailing_zero_width_characters():
    normalized = normalize("\ufeffabc\u200b")
    assert normalized.text == "abc"
    assert normalized.original_span(0, 3) == (1, 4)
    assert normalized.original_span(3, 3) == (5, 5)


def test_only_zero_width_characters():
    normalized = normalize("\u200b\u200c")
    assert normalized.text == ""
    assert normalized.original_span(0, 0) == (2, 2)


def test_ligature_expands_and_both_characters_map_to_it():
    normalized = normalize("ﬁle")
    assert normalized.text == "file"
    assert char_spans(normalized) == [(0, 1), (0, 1), (1, 2), (2, 3)]
    assert normalized.original_span(0, 2) == (0, 1)


def test_combining_sequence_composes_and_maps_to_the_whole_sequence():
    normalized = normalize("cafe\u0301!")
    assert normalized.text == "café!"
    assert normalized.original_span(3, 4) == (3, 5)
    assert normalized.original_span(4, 5) == (5, 6)


def test_half_width_katakana_voicing_mark_composes_across_a_starter():
    normalized = normalize("ｶﾞｲﾄﾞ")
    assert normalized.text == "ガイド"
    assert normalized.text == unicodedata.normalize("NFKC", "ｶﾞｲﾄﾞ")
    assert char_spans(normalized) == [(0, 2), (2, 3), (3, 5)]


def test_circled_digits_and_superscripts_become_digits():
    normalized = normalize("①②³")
    assert normalized.text == "123"
    assert char_spans(normalized) == [(0, 1), (1, 2), (2, 3)]


def test_zero_width_joiner_inside_an_emoji_sequence_is_kept():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    normalized = normalize(f"{family} a\u200db")
    assert normalized.text == f"{family} ab"


def test_zero_width_joiner_after_emoji_with_variation_selector_is_kept():
    rainbow_flag = "\U0001f3f3\ufe0f\u200d\U0001f308"
    assert normalize(rainbow_flag).text == rainbow_flag


def test_zero_width_joiner_between_emoji_and_letter_is_removed():
    assert normalize("\U0001f600\u200dx").text == "\U0001f600x"


def test_empty_string():
    normalized = normalize("")
    assert normalized.text == ""
    assert normalized.original_span(0, 0) == (0, 0)


@pytest.mark.parametrize("span", [(-1, 2), (2, 1), (0, 99)])
def test_invalid_spans_are_rejected(span):
    with pytest.raises(ValueError):
        normalize("ｈｅｌｌｏ").original_span(*span)
    with pytest.raises(ValueError):
        normalize("hello").original_span(*span)


def test_normalized_text_is_frozen():
    normalized = normalize("x")
    with pytest.raises(AttributeError):
        normalized.text = "y"  # type: ignore[misc]


# --- properties -----------------------------------------------------------------------------

tricky_characters = st.sampled_from(
    list(ZERO_WIDTH)
    + ["\u0301", "\u0308", "\u3099", "ﾞ", "ｶ", "ﬁ", "①", "＠", "Å", "\u1100", "\u1161", "\u11a8",
       "\ufe0f", "\U0001f468", "\U0001f3fb", "\u0f73", "\u0b47", "\u0b3e", "ß", "ǅ", "e", " "]
)
mixed_text = st.lists(st.one_of(tricky_characters, st.characters()), max_size=40).map("".join)
any_text = st.one_of(st.text(), mixed_text)


@settings(max_examples=300, deadline=None)
@given(value=any_text, data=st.data())
def test_original_span_is_always_within_the_original(value, data):
    normalized = normalize(value)
    assert normalized.original == value
    start = data.draw(st.integers(0, len(normalized.text)))
    end = data.draw(st.integers(start, len(normalized.text)))
    first, last = normalized.original_span(start, end)
    assert 0 <= first <= last <= len(value)
    if start < end:
        assert first < last


@settings(max_examples=300, deadline=None)
@given(value=any_text)
def test_text_is_nfkc_without_zero_width_characters(value):
    normalized = normalize(value)
    assert unicodedata.is_normalized("NFKC", normalized.text)
    assert not any(char in normalized.text for char in ZERO_WIDTH.replace("\u200d", ""))


@settings(max_examples=300, deadline=None)
@given(value=any_text)
def test_each_character_comes_from_the_original_span_it_maps_to(value):
    normalized = normalize(value)
    previous = (0, 0)
    for index, char in enumerate(normalized.text):
        start, end = normalized.original_span(index, index + 1)
        assert previous[0] <= start and previous[1] <= end  # monotonic
        source = "".join(c for c in value[start:end] if c not in ZERO_WIDTH)
        kept_joiner = char == "\u200d" and char in value[start:end]
        assert kept_joiner or char in unicodedata.normalize("NFKC", source)
        previous = (start, end)


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.characters(max_codepoint=127)), data=st.data())
def test_ascii_mapping_is_the_identity(value, data):
    normalized = normalize(value)
    assert normalized.text == value
    start = data.draw(st.integers(0, len(value)))
    end = data.draw(st.integers(start, len(value)))
    assert normalized.original_span(start, end) == (start, end)


def test_long_text_maps_each_character_back_around_dropped_and_changed_ones():
    original = ("ab\u200b" * 300 + "ﬁ" + "x" * 100 + "e\u0301" + "ｇ") * 20
    normalized = normalize(original)
    assert normalized.text == unicodedata.normalize("NFKC", original.replace("\u200b", ""))
    expected = ([(3 * n + k, 3 * n + k + 1) for n in range(300) for k in (0, 1)] + [(900, 901)] * 2
                + [(901 + n, 902 + n) for n in range(100)] + [(1001, 1003), (1003, 1004)])
    period = len(original) // 20
    assert char_spans(normalized) == [(start + period * n, end + period * n) for n in range(20)
                                      for start, end in expected]


def test_a_megabyte_of_joined_emoji_keeps_its_joiners_but_the_last():
    chain = "\U0001F468\u200d" * 142_857
    normalized = normalize(chain)
    assert normalized.text == chain[:-1] and normalized._offsets is None
    assert normalized.original_span(0, len(chain) - 1) == (0, len(chain) - 1)
    assert normalized.original_span(len(chain) - 1, len(chain) - 1) == (len(chain), len(chain))
