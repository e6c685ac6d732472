"""Sample matches shown in pattern hovers: built from the pattern, and really matched by it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsm_rules.language.checker import compile_regex
from bsm_rules.engine.policy import check_policy
from bsm_rules.core.resources import bundled_policy_path
from bsm_lsp.samples import sample_match

BUNDLED_PATTERNS = [(name, p.regex.pattern, p.regex.flags)
                    for name, p in check_policy(str(bundled_policy_path("amazon"))).patterns.items()]


@pytest.mark.parametrize("name, pattern, flags", BUNDLED_PATTERNS, ids=[p[0] for p in BUNDLED_PATTERNS])
def test_every_bundled_pattern_gets_a_sample_it_matches(name, pattern, flags):
    sample = sample_match(pattern, flags)
    assert sample
    assert compile_regex(pattern, flags).search(sample)


@pytest.mark.parametrize("pattern, expected", [
    (r"\bcode-[0-9]{4}\b", "code-0000"),
    (r"(?:hello|hi)\s+there", "hello there"),
    (r"[^a]b", "bb"),
    (r"x*", "x"),  # the empty match is no example: one repetition instead
])
def test_samples_take_the_first_alternative_and_fewest_repetitions(pattern, expected):
    assert sample_match(pattern, "") == expected


def test_no_sample_for_huge_repetitions_or_unparsable_patterns():
    assert sample_match("((a{1000}){1000}){1000}", "") is None
    assert sample_match("(unclosed", "") is None


@pytest.mark.parametrize("pattern, expected", [
    (r"[[:alpha:]]+\d", "a7"),  # POSIX classes, which only RE2 knows
    (r"\pL\p{Greek}?-", "a-"),
    (r"order(?i)\s*#?\d{3}", "order777"),  # flags in the middle, which Python's parser refuses
    (r"(?P<word>gift)\x20card", "gift card"),
    (r"[^\d\s]{2}", "aa"),
])
def test_samples_of_patterns_in_re2_syntax(pattern, expected):
    assert sample_match(pattern, "") == expected


_ATOMS = ["a", "Z", "é", "\\.", "\\d", "\\w", "\\s", "\\S", ".", "[a-c]", "[^a]", "[^\\w]", "[[:digit:]]", "\\pL",
          "(?:x|yz)", "(q)"]
_QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{0,3}", "*?"]
_patterns = st.lists(st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_QUANTIFIERS)).map("".join),
                     min_size=1, max_size=6).map("".join)


@given(st.lists(_patterns, min_size=1, max_size=3).map("|".join), st.sampled_from(["", "i", "s"]))
def test_every_pattern_without_anchors_gets_a_short_sample_it_matches(pattern, flags):
    sample = sample_match(pattern, flags)
    assert sample is not None and 0 < len(sample) <= 200
    assert compile_regex(pattern, flags).search(sample)
