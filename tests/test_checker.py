"""The checker: every problem at once, each with its code, span, related locations and fixes."""

from __future__ import annotations

from bsm_rules.core.diagnostics import Severity
from bsm_rules.language.pipeline import check_source
from bsm_rules.core.source import SourceFile


def check(text: str, name: str = "<text>"):
    return check_source(SourceFile(name, text))


def errors(text: str):
    return [d for d in check(text).diagnostics if d.is_error]


def test_all_problems_are_reported_at_once():
    text = ('rule a error {\n  message "m"\n  forbid bdy contains "x"\n  forbid lenght(body) > 1\n'
            '  forbid attachments.sise > 1 MB\n}\n')
    assert [d.code for d in errors(text)] == ["BSM201", "BSM203", "BSM202"]


def test_did_you_mean_is_a_fix_replacing_the_name():
    [diagnostic] = errors('pattern email = /@/\nrule a error {\n  message "m"\n  forbid body matches emial\n}\n')
    [fix] = diagnostic.fixes
    assert (fix.span.text, fix.replacement, fix.title) == ("emial", "email", "did you mean `email`?")


def test_quoted_names_keep_their_quotes_in_the_fix():
    text = 'category promotional {\n  reasons coupon\n}\nrule a error {\n  message "m"\n  forbid category == "promotinal"\n}\n'
    [diagnostic] = errors(text)
    assert diagnostic.code == "BSM204"
    assert (diagnostic.fixes[0].span.text, diagnostic.fixes[0].replacement) == ('"promotinal"', '"promotional"')


def test_no_suggestion_without_a_close_name():
    [diagnostic] = errors('rule a error {\n  message "m"\n  forbid zzzzzz\n}\n')
    assert diagnostic.fixes == ()


def test_duplicate_definition_points_at_the_first():
    text = 'pattern p = /a/\npattern p = /b/\nrule a error {\n  message "m"\n  forbid body matches p\n}\n'
    [diagnostic] = errors(text)
    assert diagnostic.code == "BSM207" and diagnostic.span.start == text.index("p = /b/")
    [related] = diagnostic.related
    assert related.message == "first defined here" and related.span.start == text.index("p = /a/")


def test_type_error_on_size_against_string():
    [diagnostic] = errors('rule a error {\n  message "m"\n  forbid any(a in attachments: a.size > "big")\n}\n')
    assert diagnostic.code == "BSM301" and diagnostic.span.text == 'a.size > "big"'
    assert "sizes are written as numbers with a unit" in diagnostic.notes[0]


def test_regex_errors_point_inside_the_pattern():
    text = 'pattern p = /ab(c/\npattern q = /x(?=y)/\nrule a error {\n  message "m"\n  forbid body matches p or body matches q\n}\n'
    first, second = errors(text)
    assert (first.code, first.span.start) == ("BSM401", text.index("(c"))
    assert (second.code, second.span.text) == ("BSM402", "(?=")


def test_template_placeholders_are_located_inside_the_string():
    text = 'rule a error {\n  message "found {mach}"\n  forbid body contains "x"\n}\n'
    [diagnostic] = errors(text)
    assert diagnostic.code == "BSM212" and diagnostic.span.text == "mach"
    assert diagnostic.fixes[0].replacement == "match"


def test_unbalanced_brace_fix_doubles_it():
    text = 'rule a error {\n  message "a { b"\n  forbid body contains "x"\n}\n'
    [diagnostic] = errors(text)
    assert diagnostic.code == "BSM311" and diagnostic.span.text == "{"
    assert diagnostic.fixes[0].replacement == "{{"


def test_missing_include_and_cycle(tmp_path):
    (tmp_path / "a.bsm").write_text('include "b.bsm"\n')
    (tmp_path / "b.bsm").write_text('include "a.bsm"\ninclude "gone.bsm"\n')
    checked = check((tmp_path / "a.bsm").read_text(), str(tmp_path / "a.bsm"))
    by_code = {d.code: d for d in checked.diagnostics}
    assert set(by_code) == {"BSM209", "BSM210"}
    assert by_code["BSM210"].message == "include cycle: a.bsm → b.bsm → a.bsm"
    assert by_code["BSM210"].span.source.name == str(tmp_path / "b.bsm")
    assert by_code["BSM210"].related[0].span.source.name == str(tmp_path / "a.bsm")
    assert "'gone.bsm' was not found" in by_code["BSM209"].message


def test_override_and_disable_need_a_known_rule():
    text = 'rule keep-me error {\n  message "m"\n  forbid body contains "x"\n}\noverride keep-me { severity info }\ndisable kep-me\n'
    [diagnostic] = errors(text)
    assert diagnostic.code == "BSM206" and diagnostic.fixes[0].replacement == "keep-me"
    assert check(text).rule("keep-me").severity == "info"


def test_syntax_errors_hide_name_errors_of_the_same_file():
    """A name defined in a statement that did not parse must not also be reported as unknown."""
    text = 'pattern p = /x\nrule a error {\n  message "m"\n  forbid body matches p\n}\n'
    assert [d.code for d in check(text).diagnostics] == ["BSM103"]


def test_lint_findings_are_warnings_and_errors_come_first_in_a_file():
    text = 'pattern unused = /x/\nrule a error {\n  message "m"\n  forbid bdy contains "x"\n}\n'
    diagnostics = check(text).diagnostics
    assert [(d.code, d.severity) for d in diagnostics] == [("BSM201", Severity.ERROR), ("BSM501", Severity.WARNING)]
