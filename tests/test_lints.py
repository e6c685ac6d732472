"""Lint checks (BSM5xx): each fires on its docs page's wrong example and not on near misses, and
each can be silenced with `@allow("BSM5xx")` on the definition or `# bsm-allow: BSM5xx` on the line."""

from __future__ import annotations

import pytest

from bsm_rules.language import lints
from bsm_rules.core.codes import CODES
from bsm_rules.language.pipeline import check_source
from bsm_rules.core.source import SourceFile

from test_diagnostic_docs import examples

LINT_CODES = sorted(code for code in CODES if code.startswith("BSM5"))


def diagnostics(text: str, name: str = "<text>"):
    return check_source(SourceFile(name, text)).diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in diagnostics(text)]


@pytest.fixture(autouse=True)
def every_policy_counts_as_bundled(monkeypatch, tmp_path):
    """BSM507 only looks at bundled policies; let it look at the test's files too."""
    monkeypatch.setattr(lints, "bundled_policies_dir", lambda: tmp_path)
    return tmp_path


def wrong_example(code: str) -> str:
    return examples(code)["wrong"][1]


def findings(code: str, text: str, directory):
    path = directory / "policy.bsm"
    path.write_text(text, encoding="utf-8")
    return [d for d in check_source(SourceFile(str(path), text)).diagnostics if d.code == code]


@pytest.mark.parametrize("code", LINT_CODES)
def test_lint_is_a_warning_with_a_located_span(code, tmp_path):
    found = findings(code, wrong_example(code), tmp_path)
    assert found
    for diagnostic in found:
        assert diagnostic.severity.value == "warning"
        assert diagnostic.span.end > diagnostic.span.start


@pytest.mark.parametrize("code", LINT_CODES)
def test_allow_annotation_silences_the_definition(code, tmp_path):
    text = wrong_example(code)
    found = findings(code, text, tmp_path)
    # annotate every statement holding a finding (from the last, so offsets stay valid)
    starts = sorted({_statement_start(text, d.span.start) for d in found}, reverse=True)
    for start in starts:
        text = text[:start] + f'@allow("{code}")\n' + text[start:]
    assert findings(code, text, tmp_path) == []


@pytest.mark.parametrize("code", LINT_CODES)
def test_allow_comment_silences_the_line(code, tmp_path):
    text = wrong_example(code)
    found = findings(code, text, tmp_path)
    lines = text.split("\n")
    for line in sorted({d.span.line for d in found}):
        lines[line - 1] += f"  # bsm-allow: {code}"
    assert findings(code, "\n".join(lines), tmp_path) == []


def test_allow_comment_alone_on_a_line_silences_the_next_line():
    text = 'policy "x"\n\n# bsm-allow: BSM501\npattern unused = /x/\npattern also_unused = /y/\n'
    found = [d for d in diagnostics(text) if d.code == "BSM501"]
    assert [d.span.text for d in found] == ["also_unused"]


def test_allow_silences_only_the_named_code():
    text = 'policy "x"\n\n@allow("BSM504")\npattern unused = /x/\n\nrule r warning {\n  forbid body contains "r"\n}\n'
    assert codes(text) == ["BSM501"]


def test_allow_on_one_rule_does_not_silence_another():
    text = ('@allow("BSM505")\nrule a warning {\n  when category == "x" and category == "y"\n  forbid body contains "a"\n}\n'
            'rule b warning {\n  when subject == "x" and subject == "y"\n  forbid body contains "b"\n}\n')
    found = [d for d in diagnostics(text) if d.code == "BSM505"]
    assert [d.span.line for d in found] == [7]


def test_errors_cannot_be_silenced():
    text = '@allow("BSM201")\nrule a error {\n  forbid bdy contains "x"  # bsm-allow: BSM201\n}\n'
    assert codes(text) == ["BSM201"]


# -- near misses: each lint stays quiet where it must -------------------------------------------

def test_used_definitions_are_not_reported():
    text = ('pattern p = /x/\nlist l = ["y"]\ndomains d = ["ups.com"]\nrule r error {\n  message "m"\n'
            '  forbid body matches p or body contains l or any(k in links(text): k.domain in d)\n}\n')
    assert "BSM501" not in codes(text)


def test_a_misspelt_use_is_reported_once_not_also_as_unused():
    text = 'pattern email_like = /@/\nrule r error {\n  message "m"\n  forbid body matches email_lik\n}\n'
    assert codes(text) == ["BSM201"]


def test_optional_part_with_a_required_part_does_not_match_empty():
    text = 'pattern p = /(?:\\d+ )?euro/\nrule r error {\n  message "m"\n  forbid body matches p\n}\n'
    assert "BSM504" not in codes(text)


@pytest.mark.parametrize("guard", [
    'category == "critical" and subject == "critical"',
    'category == "critical" or category == "promotional"',
    'category == "critical" and category != "promotional"',
])
def test_guards_that_can_hold_are_not_reported(guard):
    text = ('category critical {\n  reasons delivery_scheduling\n}\ncategory promotional {\n  reasons coupon\n}\n'
            f'rule r error {{\n  message "m"\n  when {guard}\n  forbid body contains "x"\n}}\n')
    assert "BSM505" not in codes(text)


def test_equal_and_unequal_to_the_same_value_is_reported():
    text = 'rule r error {\n  message "m"\n  when subject == "a" and subject != "a"\n  forbid body contains "x"\n}\n'
    [finding] = [d for d in diagnostics(text) if d.code == "BSM505"]
    assert finding.span.text == 'subject != "a"'
    assert finding.related[0].span.text == 'subject == "a"'


def test_rules_differing_in_guard_are_not_duplicates():
    text = ('rule a error {\n  message "m"\n  when subject is present\n  forbid body contains "x"\n}\n'
            'rule b error {\n  message "m"\n  forbid body contains "x"\n}\n')
    assert "BSM506" not in codes(text)


def test_documented_bundled_rule_is_not_reported(tmp_path):
    text = '@source("s")\nrule r error {\n  message "m"\n  forbid body contains "x"\n}\n'
    assert findings("BSM507", text, tmp_path) == []


def test_rules_outside_the_bundled_policies_need_no_source(monkeypatch, tmp_path):
    monkeypatch.setattr(lints, "bundled_policies_dir", lambda: tmp_path / "elsewhere")
    assert findings("BSM507", 'rule r error {\n  forbid body contains "x"\n}\n', tmp_path) == []


def test_non_latin_phrases_are_not_mixed_scripts():
    text = 'list l = ["Привет", "こんにちは", "hello"]\nrule r error {\n  message "m"\n  forbid body contains l\n}\n'
    assert "BSM510" not in codes(text)


def test_confusable_definition_names():
    text = ('pattern promo1 = /a/\npattern promol = /b/\nrule r error {\n  message "m"\n'
            '  forbid body matches promo1 or body matches promol\n}\n')
    [finding] = [d for d in diagnostics(text) if d.code == "BSM510"]
    assert finding.span.text == "promol" and finding.related[0].span.text == "promo1"


def test_leading_byte_order_mark_is_not_an_invisible_character():
    assert "BSM509" not in codes('\ufeffpolicy "x"\n')


def test_hazardous_characters_of_a_line_are_one_finding_with_one_removal_fix():
    text = 'policy "x"  # \u202eevil\u202c\nlist l = ["re\u200bfund"]\nrule r error {\n  message "m"\n  forbid body contains l\n}\n'
    found = [d for d in diagnostics(text) if d.code in ("BSM508", "BSM509")]
    assert [(d.code, d.span.line) for d in found] == [("BSM508", 1), ("BSM509", 2)]
    repaired = text
    for diagnostic in reversed(found):
        [fix] = diagnostic.fixes
        repaired = repaired[: fix.span.start] + fix.replacement + repaired[fix.span.end:]
    assert repaired == 'policy "x"  # evil\nlist l = ["refund"]\nrule r error {\n  message "m"\n  forbid body contains l\n}\n'
    assert "U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING" in found[0].message


def test_definitions_hiding_names():
    text = 'list subject = ["a"]\nrule r error {\n  message "m"\n  forbid body contains subject\n}\n'
    assert "BSM511" in codes(text)


def _statement_start(text: str, offset: int) -> int:
    """Start of the line of the statement keyword that holds `offset` (statements start in column 1)."""
    keywords = ("policy", "category", "pattern", "list", "domains", "rule", "@")
    line_start = text.rfind("\n", 0, offset) + 1
    while not text.startswith(keywords, line_start):
        line_start = text.rfind("\n", 0, line_start - 1) + 1
    return line_start


def test_forbid_repeated_in_another_rule_under_the_same_guard_overlaps():
    text = ('rule a error {\n  message "a"\n  forbid count(emails(text)) > 0\n  forbid count(links(text)) > 0\n}\n'
            'rule b warning {\n  message "b"\n  forbid count(links(text)) > 0\n  forbid body contains "x"\n}\n')
    [finding] = [d for d in diagnostics(text) if d.code == "BSM506"]
    assert finding.span.line == 8 and finding.related[0].span.line == 4
    guarded = text.replace('  message "b"\n', '  message "b"\n  when html is present\n')
    assert "BSM506" not in codes(guarded)


def test_disabled_rules_do_not_count_as_duplicates():
    text = ('rule a error {\n  message "a"\n  forbid body contains "x"\n}\n'
            'rule b error {\n  message "b"\n  forbid body contains "x"\n}\ndisable a\n')
    assert "BSM506" not in codes(text)
