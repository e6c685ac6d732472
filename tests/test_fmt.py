"""`bsm fmt`: the canonical layout (golden files), comments kept in place, range formatting, and
the command through `cli.main`: files and directories, in place, `--check`, `--diff`, exit statuses."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bsm_rules.cli import main
from bsm_rules.language.formatter import format_policy, format_statements
from bsm_rules.language.parser import parse
from bsm_rules.core.resources import bundled_policies_dir

from golden_support import assert_golden, cases

UGLY = 'policy   "P"\npattern   p=/x/   # keep me\nrule r error{message "m" forbid body matches p}\n'
PRETTY = 'policy "P"\n\npattern p = /x/  # keep me\n\nrule r error {\n  message "m"\n  forbid body matches p\n}\n'


def fmt(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["fmt", *args], out, err)
    return status, out.getvalue(), err.getvalue()


def formatted(text: str) -> str:
    policy, diagnostics = parse(text)
    assert diagnostics == []
    return format_policy(policy)


@pytest.mark.parametrize("path", cases("fmt"), ids=lambda p: p.stem)
def test_layout_matches_golden(path):
    output = formatted(path.read_text(encoding="utf-8"))
    assert_golden(path.with_suffix(".out"), output)
    assert formatted(output) == output
    assert parse(output)[0] == parse(path.read_text(encoding="utf-8"))[0]


@pytest.mark.parametrize("path", cases("fmt") + sorted(bundled_policies_dir().glob("*.bsm")), ids=lambda p: p.name)
def test_every_comment_is_kept_in_order(path):
    text = path.read_text(encoding="utf-8")
    comments = [c.text.rstrip() for c in parse(text)[0].comments]
    assert [c.text.rstrip() for c in parse(formatted(text))[0].comments] == comments


def test_trailing_comments_stay_on_their_line():
    output = formatted('rule r error {  # opens\n  message "m"   # msg\n  forbid body contains "x"\n}  # closes\n')
    assert output == 'rule r error {  # opens\n  message "m"  # msg\n  forbid body contains "x"\n}  # closes\n'
    example = formatted('example "e" {  # opens\n  message { body: "x" }\n  expect allow\n}\n')
    assert example == 'example "e" {  # opens\n  message { body: "x" }\n  expect allow\n}\n'


def test_comment_between_annotations_and_keyword_stays_there():
    text = '@doc("x")\n# why\nrule r error {\n  forbid body contains "x"\n}\n'
    assert formatted(text) == text


def test_a_comment_after_an_annotated_keyword_formats_to_a_fixed_point():
    once = formatted('@doc("x")\npolicy # c\n\n"P"\n')
    assert once == '@doc("x")\n# c\npolicy "P"\n'
    assert formatted(once) == once


_KEYWORD_AT_LINE_START = re.compile(r"^(?:@[a-z]+\([^)\n]*\)\n)*(policy|pattern|list|domains|rule|category) ", re.MULTILINE)


@given(st.sampled_from(sorted(bundled_policies_dir().glob("*.bsm")) + cases("fmt")), st.data())
@settings(max_examples=40)
def test_formatting_with_comments_anywhere_is_idempotent(path, data):
    """Comments (with blank lines after them) put at line starts and between a statement's keyword
    and its name: formatting once reaches the layout that formatting again keeps."""
    text = path.read_text(encoding="utf-8")
    places = sorted({m.end() for m in _KEYWORD_AT_LINE_START.finditer(text)} |
                    {i + 1 for i, char in enumerate(text) if char == "\n"})
    chosen = sorted(data.draw(st.sets(st.sampled_from(places), max_size=6)), reverse=True)
    for index, place in enumerate(chosen):
        text = text[:place] + f"# c{index}\n" + data.draw(st.sampled_from(["", "\n"])) + text[place:]
    once = formatted(text)
    assert formatted(once) == once
    assert [c.text for c in parse(once)[0].comments] == [c.text for c in parse(text)[0].comments]


def test_long_conditions_break_before_top_level_operators():
    condition = " or ".join(f'body contains "phrase number {n}"' for n in range(5))
    output = formatted(f"rule r error {{\n  forbid {condition}\n}}\n")
    lines = output.splitlines()
    assert lines[1] == '  forbid body contains "phrase number 0"'
    assert lines[2:6] == [f'      or body contains "phrase number {n}"' for n in range(1, 5)]
    assert all(len(line) <= 100 for line in lines)


def test_bundled_policies_are_formatted():
    status, out, err = fmt("--check", str(bundled_policies_dir()))
    assert (status, err) == (0, "")
    assert out.startswith("0 file(s) would be reformatted")


def test_range_formatting_touches_only_the_overlapping_statements():
    text = 'pattern   a=/x/\n\nrule   r   error{forbid body matches a}   # end\n\nlist   l=["y"]\n'
    policy, _ = parse(text)
    offset = text.index("forbid")
    start, end, replacement = format_statements(policy, offset, offset)
    assert text[start:end] == "rule   r   error{forbid body matches a}   # end"
    assert replacement == "rule r error {\n  forbid body matches a\n}  # end"
    result = text[:start] + replacement + text[end:]
    assert result.startswith("pattern   a=/x/\n") and result.endswith('list   l=["y"]\n')
    assert parse(result)[0] == policy


def test_range_formatting_of_several_statements_and_of_nothing():
    text = 'pattern   a=/x/\n# between\npattern   b=/y/\n'
    policy, _ = parse(text)
    start, end, replacement = format_statements(policy, 0, len(text))
    assert (start, end) == (0, len(text) - 1)
    assert replacement == "pattern a = /x/\n# between\npattern b = /y/"
    assert format_statements(parse("# only a comment\n")[0], 0, 5) is None


# -- the command --------------------------------------------------------------------------------

@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ugly.bsm").write_text(UGLY)
    (tmp_path / "pretty.bsm").write_text(PRETTY)
    (tmp_path / "sub" / "readme.txt").write_text("not a policy")
    return tmp_path


def test_formats_in_place_by_default(tree):
    status, out, err = fmt(".")
    assert (status, err) == (0, "")
    assert (tree / "sub" / "ugly.bsm").read_text() == PRETTY
    assert (tree / "pretty.bsm").read_text() == PRETTY
    assert out == "reformatted sub/ugly.bsm\n1 file(s) reformatted, 1 left unchanged\n"
    assert fmt(".")[1] == "0 file(s) reformatted, 2 left unchanged\n"


def test_check_lists_files_and_changes_nothing(tree):
    status, out, _ = fmt("--check", ".")
    assert status == 1
    assert out.splitlines() == ["would reformat sub/ugly.bsm", "1 file(s) would be reformatted, 1 left unchanged"]
    assert (tree / "sub" / "ugly.bsm").read_text() == UGLY
    assert fmt("--check", "pretty.bsm")[0] == 0


def test_diff_prints_a_unified_diff_and_changes_nothing(tree):
    status, out, _ = fmt("--diff", "sub/ugly.bsm", "pretty.bsm")
    assert status == 1
    assert out.startswith("--- a/sub/ugly.bsm\n+++ b/sub/ugly.bsm\n@@ ")
    assert "-pattern   p=/x/   # keep me\n" in out and "+pattern p = /x/  # keep me\n" in out
    assert "pretty.bsm" not in out
    assert (tree / "sub" / "ugly.bsm").read_text() == UGLY


def test_check_and_diff_combine_into_a_patch_and_a_list(tree):
    status, out, err = fmt("--check", "--diff", "sub/ugly.bsm", "pretty.bsm")
    assert status == 1
    assert out.startswith("--- a/sub/ugly.bsm\n+++ b/sub/ugly.bsm\n@@ ") and "would reformat" not in out
    assert err.splitlines() == ["would reformat sub/ugly.bsm", "1 file(s) would be reformatted, 1 left unchanged"]
    assert (tree / "sub" / "ugly.bsm").read_text() == UGLY
    assert fmt("--check", "--diff", "pretty.bsm")[:2] == (0, "")


def test_syntax_errors_leave_the_file_alone_and_exit_2(tree):
    (tree / "broken.bsm").write_text("rule r eror {\n}\n")
    status, out, err = fmt(".")
    assert status == 2
    assert "error[BSM101]" in err and "broken.bsm: not formatted, it has syntax errors" in err
    assert (tree / "broken.bsm").read_text() == "rule r eror {\n}\n"
    assert (tree / "sub" / "ugly.bsm").read_text() == PRETTY  # the others are still formatted


def test_missing_and_unreadable_files_exit_2(tree):
    (tree / "latin1.bsm").write_bytes(b'policy "caf\xe9"\n')
    status, _, err = fmt("--check", "missing.bsm", "latin1.bsm", "pretty.bsm")
    assert status == 2
    assert re.search(r"missing\.bsm: no such file", err)
    assert "cannot read latin1.bsm: not UTF-8 text" in err
