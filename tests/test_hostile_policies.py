"""Policy text that used to crash or mislead the tools: every case ends in a located diagnostic
or a clean result through `bsm lint`, `bsm fmt` and `bsm check`, never in a traceback or in the
exit status of a verdict."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bsm_rules.cli import EXIT_INVALID, main
from bsm_rules.core.source import SourceFile
from bsm_rules.language.parser import MAX_NESTING, expected_at
from bsm_rules.language.pipeline import check_source

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = str(ROOT / "examples" / "message.json")


def rule(condition: str) -> str:
    return f'rule a error {{\n  forbid {condition}\n}}\n'


DEEP = {
    "not": rule("not " * 101 + 'body contains "x"'),
    "or": rule(" or ".join(['body contains "x"'] * 327)),
    "and": rule(" and ".join(['body contains "x"'] * 400)),
    "list": rule("body in " + "[" * 328 + '"x"' + "]" * 328),
    "any": rule("any(a in attachments: " * 328 + "true" + ")" * 328),
    "plus": rule("length(body) > " + " + ".join(["1"] * 485)),
    "minus": rule("length(body) > " + "-" * 485 + "1"),
}


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("command", ["lint", "fmt", "check"])
def test_deep_nesting_is_a_located_error(tmp_path, name, command):
    path = tmp_path / "deep.bsm"
    path.write_text(DEEP[name], encoding="utf-8")
    argv = {"lint": ["lint", str(path)], "fmt": ["fmt", "--check", str(path)],
            "check": ["check", "--policy", str(path), MESSAGE]}[command]
    status, output = run(*argv)
    assert "error[BSM105]" in output and f"more than {MAX_NESTING} levels" in output
    assert "deep.bsm:2:" in output
    assert status in (1, EXIT_INVALID) if command == "lint" else status == EXIT_INVALID


def test_the_rest_of_a_file_is_still_checked_after_deep_nesting():
    text = DEEP["or"] + 'rule b error {\n  forbid bdy contains "x"\n}\n'
    codes = [d.code for d in check_source(SourceFile("x.bsm", text)).diagnostics]
    assert codes[0] == "BSM105"


def test_nesting_up_to_the_limit_checks_and_runs(tmp_path):
    path = tmp_path / "deep.bsm"
    path.write_text(rule(" or ".join(['body contains "x"'] * (MAX_NESTING - 2))), encoding="utf-8")
    assert run("lint", str(path))[0] == 0
    assert run("check", "--policy", str(path), MESSAGE)[0] in (0, 1)


@pytest.mark.parametrize("text", [
    rule("length(body) > " + " + ".join(["1"] * 900)),
    rule(" or ".join(['body contains "x"'] * 900)),
    rule("length(body) > " + "-" * 900 + "1"),
], ids=["plus", "or", "minus"])
def test_what_may_come_next_after_deep_nesting_is_still_answered(text):
    expected = expected_at(text, len(text) - 3)  # after the deep expression, which is on the parser's stack
    assert {"and", "or", "}"} <= expected.tokens


def test_an_escape_past_the_last_code_point_is_kept_as_written():
    checked = check_source(SourceFile("x.bsm", rule('body contains "\\u{80000000}"')))
    assert checked.ok


def test_a_lone_surrogate_in_a_pattern_is_an_invalid_pattern():
    checked = check_source(SourceFile("x.bsm", rule("body matches /a\ud800/")))
    (diagnostic,) = [d for d in checked.diagnostics if d.is_error]
    assert diagnostic.code == "BSM401" and "lone surrogate U+D800" in diagnostic.message


@pytest.mark.parametrize("pattern", [r"\p{Greek}+", r"(?i)\p{Lu}+$", r"x{2}?", r"[a}]+"])
def test_unicode_classes_and_braces_are_not_possessive_quantifiers(pattern):
    assert check_source(SourceFile("x.bsm", rule(f"body matches /{pattern}/"))).ok


@pytest.mark.parametrize("pattern", [r"a++", r"a*+", r"a{2}+", r"a{2,3}+"])
def test_possessive_quantifiers_are_still_refused(pattern):
    codes = [d.code for d in check_source(SourceFile("x.bsm", rule(f"body matches /{pattern}/"))).diagnostics]
    assert codes == ["BSM402"]


def test_a_pattern_with_too_many_groups_is_too_complex():
    checked = check_source(SourceFile("x.bsm", rule("body matches /" + "(" * 20 + "a" + ")" * 20 + "/")))
    assert [d.code for d in checked.diagnostics] == ["BSM404"]
    assert check_source(SourceFile("x.bsm", rule("body matches /" + "(?:" * 20 + "a" + ")" * 20 + "/"))).ok


def test_a_duplicate_rule_id_does_not_hide_the_other_errors():
    text = rule('body contains "x"') + rule('subjct contains "y"')
    codes = [d.code for d in check_source(SourceFile("x.bsm", text)).diagnostics]
    assert codes == ["BSM208", "BSM201"]


@pytest.mark.parametrize("text, keyword", [
    ('rule a error {\n  forbidd links(text)\n}\n', "forbid"),
    ('rule a error {\n  forbid body contains "x"\n  severiti warning\n}\n', "severity"),
])
def test_a_misspelt_keyword_gets_a_suggestion(text, keyword):
    (diagnostic,) = check_source(SourceFile("x.bsm", text)).diagnostics
    assert [fix.replacement for fix in diagnostic.fixes] == [keyword]
    assert diagnostic.fixes[0].title == f"did you mean `{keyword}`?"


def test_a_long_include_chain_stops_with_a_located_error():
    status, output = run("lint", str(ROOT / "tests" / "data" / "deep-includes" / "level0.bsm"))
    assert "error[BSM214]" in output and "level32.bsm:1:9" in output
    assert "Traceback" not in output and status == 1
