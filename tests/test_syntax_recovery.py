"""Syntax errors: one located diagnostic per broken statement, messages in words (never token
names), unclosed brackets, strings and regexes pointing at where they were opened."""

from __future__ import annotations


import pytest

from bsm_rules.core.diagnostics import Severity
from bsm_rules.language.parser import CLAUSE_KEYWORDS, STATEMENT_KEYWORDS, _lark, parse

from golden_support import GOLDEN_DIR
from test_policy_properties import names_a_token



def syntax(text: str):
    policy, diagnostics = parse(text)
    return policy, diagnostics


def test_three_separate_errors_give_three_located_diagnostics():
    text = (GOLDEN_DIR / "syntax" / "three_errors.bsm").read_text()
    policy, diagnostics = syntax(text)
    assert [(d.code, d.span.line, d.span.column, d.span.text) for d in diagnostics] == [
        ("BSM101", 3, 17, "errr"),
        ("BSM101", 11, 1, "}"),
        ("BSM101", 13, 21, '"b"'),
    ]
    assert diagnostics[0].message == "unexpected 'errr'; expected a severity: error, warning or info"
    assert "after 'contains'" in diagnostics[1].message
    assert "expected ',' or ']'" in diagnostics[2].message
    # the statements around the broken ones still parse
    assert [getattr(s, "id", None) and s.id.name for s in policy.statements][-1] == "third-rule"


def test_unclosed_brace_says_where_it_was_opened():
    text = 'rule a error {\n  forbid body contains "x"\n\nrule b error {\n  forbid body contains "y"\n}\n'
    policy, diagnostics = syntax(text)
    assert len(diagnostics) == 1
    [diagnostic] = diagnostics
    assert diagnostic.code == "BSM104"
    assert diagnostic.message == "unclosed '{': expected '}' before 'rule'"
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 1)
    [related] = diagnostic.related
    assert related.message == "'{' opened here"
    assert (related.span.line, related.span.column, related.span.text) == (1, 14, "{")
    assert [s.id.name for s in policy.statements] == ["b"]


def test_unclosed_brace_at_end_of_file():
    _, [diagnostic] = syntax('rule a error {\n  forbid body contains "x"\n')
    assert diagnostic.code == "BSM104"
    assert diagnostic.message == "unclosed '{': expected '}' before end of file"
    assert diagnostic.related[0].span.start == 13


def test_unclosed_parenthesis_before_next_clause():
    _, [diagnostic] = syntax('rule a error {\n  forbid any(x in attachments: x.size > 1 MB\n  message "m"\n}\n')
    assert diagnostic.code == "BSM104"
    assert diagnostic.related[0].span.text == "("
    assert diagnostic.related[0].span.line == 2


def test_unclosed_string_points_at_its_opening_quote():
    text = 'rule a error {\n  message "never closed\n  forbid body contains "x"\n}\n'
    _, diagnostics = syntax(text)
    assert [d.code for d in diagnostics] == ["BSM103"]
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (2, 11)
    assert diagnostics[0].span.text == '"never closed'


def test_unclosed_regex_is_reported_as_such():
    _, diagnostics = syntax("pattern p = /abc\n")
    assert [d.code for d in diagnostics] == ["BSM103"]
    assert "regular expression" in diagnostics[0].message
    assert diagnostics[0].span.text == "/abc"


def test_misspelt_keyword_gets_a_fix():
    _, [diagnostic] = syntax('ruel a error {\n  forbid body contains "x"\n}\n')
    [fix] = diagnostic.fixes
    assert (fix.span.text, fix.replacement) == ("ruel", "rule")


def test_unexpected_character():
    _, [diagnostic] = syntax('rule a error {\n  forbid body contains $\n}\n')
    assert diagnostic.code == "BSM102"
    assert diagnostic.span.text == "$"
    assert diagnostic.severity is Severity.ERROR


def test_annotations_of_a_broken_statement_are_dropped_with_it():
    text = ('@doc("first")\nrule a error {\n  forbid body contains\n}\n\n'
            '@doc("second")\nrule b error {\n  forbid body contains "y"\n}\n')
    policy, diagnostics = syntax(text)
    assert len(diagnostics) == 1
    [rule] = policy.statements
    assert rule.id.name == "b" and rule.annotations[0].args[0].value == "second"


@pytest.mark.parametrize("text", [
    "policy", "rule", "rule a", "rule a error", "rule a error {", "pattern p =", "list l = [",
    'list l = ["a",', "category c { reasons", "override", "override a {", "disable", "@", "@doc(",
    'rule a error { forbid body contains "x" and }', "rule a error { when }", "include",
])
def test_messages_use_words_not_token_names(text):
    _, diagnostics = syntax(text)
    assert diagnostics
    for diagnostic in diagnostics:
        assert not names_a_token(diagnostic.message), diagnostic.message


def test_statement_keywords_match_the_grammar():
    """The recovery resynchronises on statement keywords: they must be exactly the grammar's."""
    starters = set(_lark().parse_interactive("").accepts()) - {"$END", "AT"}
    words = {_lark().get_terminal(name).pattern.value for name in starters}
    assert words == set(STATEMENT_KEYWORDS)
    assert set(CLAUSE_KEYWORDS) <= {t.pattern.value for t in _lark().terminals if t.pattern.type == "str"}


def test_look_alike_letter_in_a_keyword_or_name_is_named_and_fixed():
    text = "p\u0430ttern x = /a/\nrule r error {\n  forbid b\u043edy contains \"x\"\n}\n"
    _, diagnostics = syntax(text)
    assert [(d.code, d.span.text) for d in diagnostics] == [("BSM102", "\u0430"), ("BSM102", "\u043e")]
    assert diagnostics[0].message == "'\u0430' (U+0430 CYRILLIC SMALL LETTER A) only looks like the Latin 'a'"
    assert [d.fixes[0].replacement for d in diagnostics] == ["a", "o"]


def _apply(text: str, fix) -> str:
    return text[: fix.span.start] + fix.replacement + text[fix.span.end:]


@pytest.mark.parametrize("broken", [
    'rule a error\n  forbid body contains "x"\n}\n',
    'rule a error {\n  when category = "c"\n  forbid body contains "x"\n}\n',
    "rule a error {\n  message 'hi'\n  forbid body contains \"x\"\n}\n",
    'rule a error {\n  forbid body contains "x" && subject contains "y"\n}\n',
    'rule a error {\n  forbid body contains "x" || subject contains "y"\n}\n',
    'rule a error {\n  forbid any(a in attachments: a.size > 1 MB\n}\n',
    'rule a error {\n  forbid body contains "x"\n',
    'rule a error {\n  message "never closed\n  forbid body contains "x"\n}\n',
    'ruel a error {\n  forbid body contains "x"\n}\n',
    'rule a error {\n  forbid b\u043edy contains "x"\n}\n',
    'rule a error {\n  forbid body contains\u00a0"x"\n}\n',
])
def test_the_offered_fix_repairs_the_syntax(broken):
    _, [diagnostic] = syntax(broken)
    [fix] = diagnostic.fixes
    repaired = _apply(broken, fix)
    assert syntax(repaired)[1] == [], repaired


def test_a_file_with_too_many_syntax_errors_says_where_reporting_stopped():
    from bsm_rules.language.parser import MAX_SYNTAX_ERRORS, parse

    broken = "".join(f"rule r{n} errr {{ }}\n" for n in range(MAX_SYNTAX_ERRORS + 10))
    _, diagnostics = parse(broken)
    assert len(diagnostics) == MAX_SYNTAX_ERRORS + 1
    assert [d.span.line for d in diagnostics] == list(range(1, MAX_SYNTAX_ERRORS + 2))  # one per broken rule
    assert all(d.code == "BSM101" for d in diagnostics)
    assert diagnostics[-1].notes[-1] == (
        f"note: stopped after {MAX_SYNTAX_ERRORS + 1} syntax errors; the rest of the file was not checked")
    assert not any("stopped after" in note for d in diagnostics[:-1] for note in d.notes)
