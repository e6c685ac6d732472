"""Property tests of the parser, checker and formatter: round trips through untidy text and the
canonical layout, never-crash on grammar-generated text and on mutations of the bundled policies,
and planted unknown names reported exactly once at the planted place."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from bsm_rules.language import ast
from bsm_rules.core.codes import CODES
from bsm_rules.core.errors import BsmError
from bsm_rules.language.formatter import format_policy
from bsm_rules.language.parser import parse
from bsm_rules.language.pipeline import check_source
from bsm_rules.core.resources import bundled_policies_dir, grammar_text
from bsm_rules.core.source import SourceFile

from policy_strategies import KEYWORDS, NOWHERE, checked_policy_asts, messy_text, policy_asts

TERMINAL_NAMES = frozenset(terminal.name for terminal in Lark(grammar_text(), parser="lalr").terminals) | {"$END"}


def names_a_token(message: str) -> bool:
    """Whether a message shows a grammar terminal's name (`RBRACE`, `__ANON_3`) instead of words."""
    message = re.sub(r"U\+[0-9A-F]{4,6}(?: [A-Z0-9-]+)*", "", message)  # Unicode character names are fine
    return "__ANON" in message or bool(TERMINAL_NAMES & set(re.findall(r"[A-Z_$][A-Z0-9_]+", message)))
BUNDLED = {path.name: path.read_text(encoding="utf-8") for path in sorted(bundled_policies_dir().glob("*.bsm"))}


def policy_with_text():
    return policy_asts().flatmap(lambda policy: st.tuples(st.just(policy), messy_text(policy)))


@given(policy_with_text())
def test_untidy_text_parses_to_the_generated_ast(policy_and_text):
    policy, text = policy_and_text
    parsed, diagnostics = parse(text)
    assert diagnostics == []
    assert parsed == policy


@given(policy_with_text())
def test_fmt_keeps_the_ast_and_is_idempotent(policy_and_text):
    _, text = policy_and_text
    parsed, _ = parse(text)
    formatted = format_policy(parsed)
    reparsed, diagnostics = parse(formatted)
    assert diagnostics == []
    assert reparsed == parsed
    assert format_policy(reparsed) == formatted
    assert [c.text.rstrip() for c in reparsed.comments] == [c.text.rstrip() for c in parsed.comments]


def _spaced(strategy):
    return strategy.map(lambda token: token + " ")


def _grammar_text():
    """Text from the grammar itself; every token gets a space after it (hypothesis does not insert
    the ignored whitespace between tokens), names avoid keywords."""
    lark = Lark(grammar_text(), parser="lalr")  # not the cached parser: from_lark reads the grammar
    explicit = {}
    for terminal in lark.terminals:
        pattern = terminal.pattern
        if pattern.type == "str":
            explicit[terminal.name] = st.just(pattern.value + " ")
        elif terminal.name == "COMMENT":
            explicit[terminal.name] = st.from_regex(r"#[^\n]{0,10}", fullmatch=True).map(lambda c: c + "\n")
        elif terminal.name in ("NAME", "RULE_ID"):
            explicit[terminal.name] = _spaced(st.from_regex(pattern.to_regexp(), fullmatch=True).filter(
                lambda word: word not in KEYWORDS))
        elif terminal.name != "WS":
            explicit[terminal.name] = _spaced(st.from_regex(pattern.to_regexp(), fullmatch=True))
    return from_lark(lark, start="start", explicit=explicit)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_grammar_text())
def test_grammar_generated_text_never_crashes_and_round_trips(text):
    try:
        policy, diagnostics = parse(text)
        check_source(SourceFile("<generated>", text))
    except BsmError:
        return
    if diagnostics:
        return
    formatted = format_policy(policy)
    assert parse(formatted) == (policy, [])


@st.composite
def _mutations(draw):
    """A bundled policy with characters, lines or tokens deleted, inserted or swapped."""
    name = draw(st.sampled_from(sorted(BUNDLED)))
    text = BUNDLED[name]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("char", "line", "token")))
        if kind == "line":
            units = text.split("\n")
        elif kind == "token":
            units = re.split(r"(\s+)", text)
        else:
            units = list(text)
        index = draw(st.integers(0, len(units) - 1))
        operation = draw(st.sampled_from(("delete", "insert", "swap")))
        if operation == "delete":
            del units[index]
        elif operation == "insert":
            units.insert(index, draw(st.sampled_from(
                ['"', "/", "{", "}", "(", ")", "[", "]", ",", "@", "#", "\u202e", "\u200b", "rule", "and", "x"]
                + units[max(0, index - 3): index + 3])))
        else:
            other = draw(st.integers(0, len(units) - 1))
            units[index], units[other] = units[other], units[index]
        text = ("\n" if kind == "line" else "").join(units)
    return name, text


@given(_mutations())
def test_mutated_bundled_policies_get_located_diagnostics_never_exceptions(name_and_text):
    name, text = name_and_text
    source = SourceFile(str(bundled_policies_dir() / name), text)
    checked = check_source(source)
    for diagnostic in checked.diagnostics:
        span = diagnostic.span
        assert 0 <= span.start <= span.end <= len(span.source.text)
        unquoted = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "", diagnostic.message)
        assert not names_a_token(unquoted), diagnostic.message
        assert diagnostic.message and diagnostic.code in CODES


# -- planted unknown names ----------------------------------------------------------------------

def _planted_names():
    return st.from_regex(r"zq[a-z]{3,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS)


def _add_clause(policy: ast.Policy, rule_index: int, clause) -> ast.Policy:
    rules = [i for i, s in enumerate(policy.statements) if isinstance(s, ast.RuleDef)]
    position = rules[rule_index % len(rules)]
    rule = policy.statements[position]
    changed = ast.RuleDef(rule.id, rule.severity, rule.clauses + (clause,), rule.annotations, NOWHERE)
    return ast.Policy(policy.statements[:position] + (changed,) + policy.statements[position + 1:], NOWHERE)


def _plant(kind: str, name: str):
    """The clause or statement carrying the unknown name, the code it must get, and the text the
    diagnostic must cover."""
    body = ast.Name("body", NOWHERE)
    if kind == "name":
        return ast.ForbidClause(ast.MatchesOp(body, ast.Name(name, NOWHERE), None, NOWHERE), NOWHERE), "BSM201", name
    if kind == "field":
        condition = ast.Quantifier("any", ast.Ident("a", NOWHERE), ast.Name("attachments", NOWHERE), ast.Compare(
            "==", ast.AttributeAccess(ast.Name("a", NOWHERE), ast.Ident(name, NOWHERE), NOWHERE),
            ast.StringLit("x", NOWHERE), NOWHERE, NOWHERE), NOWHERE)
        return ast.ForbidClause(condition, NOWHERE), "BSM202", name
    if kind == "category":
        condition = ast.Compare("==", ast.Name("category", NOWHERE), ast.StringLit(name, NOWHERE), NOWHERE, NOWHERE)
        return ast.ForbidClause(condition, NOWHERE), "BSM204", f'"{name}"'
    rule_id = name.replace("zq", "zq-", 1)
    return ast.DisableDef(ast.Ident(rule_id, NOWHERE), NOWHERE), "BSM206", rule_id


@given(checked_policy_asts())
def test_generated_checked_policies_have_no_errors(policy):
    checked = check_source(SourceFile("<generated>", format_policy(policy)))
    assert [d for d in checked.diagnostics if d.is_error] == []


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(checked_policy_asts(), st.sampled_from(("name", "field", "category", "rule id")), _planted_names(),
       st.integers(0, 10))
def test_planted_unknown_name_gets_exactly_that_diagnostic(policy, kind, name, rule_index):
    assume(not check_source(SourceFile("<generated>", format_policy(policy))).diagnostics)  # lint-clean too
    planted, code, covered = _plant(kind, name)
    if isinstance(planted, ast.DisableDef):
        policy = ast.Policy(policy.statements + (planted,), NOWHERE)
    else:
        policy = _add_clause(policy, rule_index, planted)
    text = format_policy(policy)
    assume(text.count(covered) == 1)
    found = check_source(SourceFile("<generated>", text)).diagnostics
    assert [(d.code, d.span.text) for d in found] == [(code, covered)]
    assert found[0].span.start == text.index(covered)


@given(st.text(max_size=200) | st.text(alphabet=st.sampled_from('rule error{}()[]"/#@=,.:x1 \n\tand'), max_size=200))
def test_arbitrary_text_never_crashes_the_parser_or_checker(text):
    checked = check_source(SourceFile("<text>", text))
    for diagnostic in checked.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.code in CODES
