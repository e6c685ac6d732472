"""The parser and AST builder: statement and expression shapes, spans, precedence, literals."""

from __future__ import annotations

import pytest

from bsm_rules.language import ast
from bsm_rules.language.parser import parse


def only(text: str):
    policy, diagnostics = parse(text)
    assert diagnostics == []
    return policy


def condition(expression: str):
    [rule] = only(f"rule r error {{\n  forbid {expression}\n}}\n").statements
    return rule.clauses[0].condition


def test_statements_in_source_order_with_spans():
    text = ('@source("s")\npolicy "P" version "1" effective "2026-11-01"\ninclude "x.bsm"\n'
            'category c {\n  reasons a, b,\n  aliases X\n}\npattern p = /a\\/b/i\nlist l = ["x", "y",]\n'
            'domains d = ["ups.com"]\nrule r-1 warning {\n  message "m"\n  when true\n  forbid false\n}\n'
            'override r-1 {\n  severity info\n}\ndisable r-1\n')
    policy = only(text)
    kinds = [type(s).__name__ for s in policy.statements]
    assert kinds == ["PolicyHeader", "Include", "CategoryDef", "PatternDef", "ListDef", "DomainsDef", "RuleDef",
                     "OverrideDef", "DisableDef"]
    header, _, category, pattern, words, _, rule, *_ = policy.statements
    assert header.span.text.startswith('@source("s")\npolicy') and header.effective.value == "2026-11-01"
    assert [r.name for r in category.reasons] == ["a", "b"] and category.aliases[0].span.text == "X"
    assert (pattern.regex.pattern, pattern.regex.flags) == ("a/b", "i")
    assert pattern.regex.pattern_offset == text.index("/a\\/b/") + 1
    assert [i.value for i in words.items] == ["x", "y"]
    assert rule.id.span.text == "r-1" and rule.span.text.endswith("forbid false\n}")


def test_and_binds_tighter_than_or_and_not_looser_than_comparison():
    expr = condition("a or b and not c == 1")
    assert isinstance(expr, ast.Logical) and expr.op == "or"
    assert isinstance(expr.right, ast.Logical) and expr.right.op == "and"
    negation = expr.right.right
    assert isinstance(negation, ast.Not) and isinstance(negation.operand, ast.Compare)


def test_arithmetic_is_left_associative_with_products_first():
    expr = condition("sent_today + 1 > 5 * avg_daily_orders + 600").left
    assert expr.op == "+" and expr.right.text == "1"
    right = condition("sent_today + 1 > 5 * avg_daily_orders + 600").right
    assert right.op == "+" and right.left.op == "*"
    assert condition("1 - 2 - 3 > 0").left.left.op == "-"


@pytest.mark.parametrize("literal, value, unit", [
    ("10 MiB", 10 * 1024**2, "MiB"), ("1.5 MB", 1_500_000, "MB"), ("24 h", 86400, "h"), ("30 min", 1800, "min"),
    ("1_000", 1000, None), ("2.5", 2.5, None),
])
def test_numbers_and_units_in_base_units(literal, value, unit):
    number = condition(f"x > {literal}").right
    assert (number.value, number.unit) == (value, unit)


def test_string_escapes_are_decoded():
    assert condition('body contains "a\\"b\\\\c\\n\\u{e9}"').right.value == 'a"b\\c\né'


def test_keyword_operators_and_positions():
    assert condition("x not in [1, 2]").op == "not in"
    assert condition('body starts with "hi"').op == "starts with"
    matches = condition("body matches /x/ at end")
    assert matches.position == "end" and isinstance(matches.pattern, ast.RegexLit)
    assert condition("html is absent").present is False
    quantifier = condition("any(a in attachments: a.size > 1 MB)")
    assert quantifier.kind == "any" and quantifier.variable.name == "a"
    assert isinstance(quantifier.condition.left, ast.AttributeAccess)


def test_operator_span_points_at_the_operator():
    text = "rule r error {\n  forbid count(attachments)   >=   3\n}\n"
    [rule] = only(text).statements
    compare = rule.clauses[0].condition
    assert compare.op_span.text == ">=" and compare.span.text == "count(attachments)   >=   3"


def test_comments_are_collected_with_spans():
    text = "# one\npattern p = /x/  # two\n"
    policy = only(text)
    assert [(c.text, c.span.start) for c in policy.comments] == [("# one", 0), ("# two", text.index("# two"))]


def test_ast_equality_ignores_spans_and_layout():
    assert only("pattern p=/x/") == only("\n\n   pattern   p   =   /x/   # note\n")
