"""Hypothesis strategies that build policy ASTs and write them as text.

- `policy_asts()`: syntactically valid policies using every statement and expression form (names
  need not resolve, types need not fit): for parser and formatter round trips.
- `checked_policy_asts()`: policies the checker accepts without errors (typed conditions over real
  message fields, every definition used): for planting mistakes and for differential tests.
- `messy_text(policy)`: the policy written with random spacing, line breaks, comments, redundant
  parentheses and trailing commas, so that it parses back to the same AST without being in the
  canonical layout.

Nodes carry a shared placeholder span; spans are not part of AST equality.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from bsm_rules.language import ast
from bsm_rules.language.build import UNITS
from bsm_rules.language.formatter import quote_string
from bsm_rules.language.parser import _lark
from bsm_rules.core.source import SourceFile, Span

__all__ = ["checked_policy_asts", "expressions", "messy_text", "policy_asts", "KEYWORDS", "NOWHERE"]

NOWHERE = Span(SourceFile("<generated>", ""), 0, 0)

#: Words the lexer may take for a keyword or a unit: never used as generated names.
KEYWORDS = frozenset(
    {t.pattern.value for t in _lark().terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
    | {"error", "warning", "info"} | set(UNITS)
)

_names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
_rule_ids = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,2}", fullmatch=True).filter(
    lambda n: n not in KEYWORDS)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_words = st.text(string.ascii_lowercase + " -'", min_size=1, max_size=12).map(str.strip).filter(bool)
_REGEXES = ("[a-z]+\\d", "\\bfree\\b", "(?:gift|bonus) card", "a/b", "\\d{3}-\\d{7}", "[^\\s@]+@[^\\s@]+", "x|y+")
_severities = st.sampled_from(("error", "warning", "info"))


def _ident(name: str) -> ast.Ident:
    return ast.Ident(name, NOWHERE)


def number(text: str, unit: str | None = None) -> ast.NumberLit:
    """A number literal exactly as the parser builds it from `text` and `unit`."""
    value = float(text.replace("_", ""))
    value = int(value) if value.is_integer() else value
    if unit:
        value = value * UNITS[unit][1]
        value = int(value) if isinstance(value, float) and value.is_integer() else value
    return ast.NumberLit(value, unit, text + (" " + unit if unit else ""), NOWHERE)


_number_texts = st.one_of(st.integers(0, 10**7).map(str), st.from_regex(r"[1-9][0-9]{0,2}_[0-9]{3}", fullmatch=True),
                          st.from_regex(r"[0-9]{1,3}\.[0-9]{1,2}", fullmatch=True))
_numbers = st.builds(number, _number_texts, st.none() | st.sampled_from(sorted(UNITS)))
_strings = st.builds(ast.StringLit, _text, st.just(NOWHERE))
_regexes = st.builds(ast.RegexLit, st.sampled_from(_REGEXES), st.sampled_from(("", "i", "is", "m")), st.just(NOWHERE))

_leaves = st.one_of(
    st.builds(ast.Name, _names, st.just(NOWHERE)),
    _numbers,
    _strings,
    _regexes,
    st.builds(ast.BoolLit, st.booleans(), st.just(NOWHERE)),
)


def _compound(children: st.SearchStrategy) -> st.SearchStrategy:
    idents = st.builds(_ident, _names)
    return st.one_of(
        st.builds(ast.Logical, st.sampled_from(("and", "or")), children, children, st.just(NOWHERE)),
        st.builds(ast.Not, children, st.just(NOWHERE)),
        st.builds(ast.Compare, st.sampled_from(("==", "!=", "<", "<=", ">", ">=", "in", "not in")), children,
                  children, st.just(NOWHERE), st.just(NOWHERE)),
        st.builds(ast.TextOp, st.sampled_from(("contains", "starts with", "ends with")), children, children,
                  st.just(NOWHERE), st.just(NOWHERE)),
        st.builds(ast.MatchesOp, children, children, st.sampled_from((None, "start", "end", "middle")),
                  st.just(NOWHERE)),
        st.builds(ast.Presence, children, st.booleans(), st.just(NOWHERE)),
        st.builds(ast.Arith, st.sampled_from(("+", "-", "*", "/")), children, children, st.just(NOWHERE),
                  st.just(NOWHERE)),
        st.builds(ast.Negate, children, st.just(NOWHERE)),
        st.builds(ast.AttributeAccess, children, idents, st.just(NOWHERE)),
        st.builds(ast.Call, idents, st.lists(children, max_size=3).map(tuple), st.just(NOWHERE)),
        st.builds(ast.ListLit, st.lists(children, max_size=3).map(tuple), st.just(NOWHERE)),
        st.builds(ast.Quantifier, st.sampled_from(("any", "all")), idents, children, children, st.just(NOWHERE)),
    )


def expressions() -> st.SearchStrategy:
    """Any expression the grammar can write, nested a few levels."""
    return st.recursive(_leaves, _compound, max_leaves=8)


def _annotations():
    return st.lists(st.builds(ast.Annotation, st.builds(_ident, st.sampled_from(("source", "doc", "allow"))),
                              st.lists(_strings, max_size=2).map(tuple), st.just(NOWHERE)), max_size=2).map(tuple)


def _clauses(conditions):
    templates = st.builds(ast.StringLit, _words, st.just(NOWHERE))
    idents = st.builds(_ident, _severities)
    return st.one_of(
        st.builds(ast.MessageClause, templates, st.just(NOWHERE)),
        st.builds(ast.WhenClause, conditions, st.just(NOWHERE)),
        st.builds(ast.RequireClause, conditions, st.just(NOWHERE)),
        st.builds(ast.ForbidClause, conditions, st.just(NOWHERE)),
        st.builds(ast.SeverityClause, idents, conditions, st.just(NOWHERE)),
        st.builds(ast.NoteClause, templates, conditions, st.just(NOWHERE)),
    )


def _statements():
    names = st.builds(_ident, _names)
    rule_ids = st.builds(_ident, _rule_ids)
    string_lists = st.lists(_strings, max_size=4).map(tuple)
    return st.one_of(
        st.builds(ast.PolicyHeader, _strings, st.none() | _strings, st.none() | _strings, _annotations(),
                  st.just(NOWHERE)),
        st.builds(ast.Include, _strings, st.just(NOWHERE)),
        st.builds(ast.CategoryDef, names, st.lists(names, max_size=3).map(tuple), st.lists(names, max_size=3).map(tuple),
                  _annotations(), st.just(NOWHERE)),
        st.builds(ast.PatternDef, names, _regexes, _annotations(), st.just(NOWHERE)),
        st.builds(ast.ListDef, names, string_lists, _annotations(), st.just(NOWHERE)),
        st.builds(ast.DomainsDef, names, string_lists, _annotations(), st.just(NOWHERE)),
        st.builds(ast.RuleDef, rule_ids, st.builds(_ident, _severities),
                  st.lists(_clauses(expressions()), max_size=4).map(tuple), _annotations(), st.just(NOWHERE)),
        st.builds(ast.OverrideDef, rule_ids, st.lists(st.one_of(
            st.builds(ast.SeverityOverride, st.builds(_ident, _severities), st.just(NOWHERE)),
            st.builds(ast.MessageOverride, _strings, st.just(NOWHERE))), max_size=2).map(tuple), st.just(NOWHERE)),
        st.builds(ast.DisableDef, rule_ids, st.just(NOWHERE)),
    )


def policy_asts() -> st.SearchStrategy[ast.Policy]:
    """Syntactically valid policies: every statement and expression form, names unresolved."""
    return st.lists(_statements(), max_size=6).map(lambda statements: ast.Policy(tuple(statements), NOWHERE))


# -- policies the checker accepts ---------------------------------------------------------------

_TEXT_FIELDS = ("subject", "body", "text")


def _name(name: str) -> ast.Name:
    return ast.Name(name, NOWHERE)


def _string(value: str) -> ast.StringLit:
    return ast.StringLit(value, NOWHERE)


def _typed_conditions(patterns: list[str], lists: list[str], domains: list[str], categories: list[str],
                      reasons: list[str]):
    """Conditions that type-check, over real message fields and the given definitions."""
    text_fields = st.sampled_from(_TEXT_FIELDS).map(_name)
    sizes = st.integers(1, 20).map(lambda n: number(str(n), "MiB"))
    counts = st.integers(0, 2000).map(lambda n: number(str(n)))
    compare = st.sampled_from(("<", "<=", ">", ">="))
    attachment = _name("a")
    options = [
        st.builds(lambda op, f, w: ast.TextOp(op, f, _string(w), NOWHERE, NOWHERE),
                  st.sampled_from(("contains", "starts with", "ends with")), text_fields, _words),
        st.builds(lambda f, r, pos: ast.MatchesOp(f, r, pos, NOWHERE), text_fields, _regexes,
                  st.sampled_from((None, "start", "end", "middle"))),
        st.builds(lambda op, n: ast.Compare(op, ast.Call(_ident("count"), (_name("attachments"),), NOWHERE), n,
                                            NOWHERE, NOWHERE), compare, counts),
        st.builds(lambda op, f, n: ast.Compare(op, ast.Call(_ident("length"), (f,), NOWHERE), n, NOWHERE, NOWHERE),
                  compare, text_fields, counts),
        st.builds(lambda op, n: ast.Compare(op, ast.Call(_ident("sum"), (ast.AttributeAccess(
            _name("attachments"), _ident("size"), NOWHERE),), NOWHERE), n, NOWHERE, NOWHERE), compare, sizes),
        st.builds(lambda kind, op, n: ast.Quantifier(kind, _ident("a"), _name("attachments"), ast.Compare(
            op, ast.AttributeAccess(attachment, _ident("size"), NOWHERE), n, NOWHERE, NOWHERE), NOWHERE),
                  st.sampled_from(("any", "all")), compare, sizes),
        st.builds(lambda f, present: ast.Presence(_name(f), present, NOWHERE),
                  st.sampled_from(("html", "order_id", "in_reply_to")), st.booleans()),
        st.builds(lambda hours: ast.Compare(">", ast.Arith("-", _name("sent_at"), ast.AttributeAccess(
            _name("in_reply_to"), _ident("received_at"), NOWHERE), NOWHERE, NOWHERE), number(str(hours), "h"),
            NOWHERE, NOWHERE), st.integers(1, 96)),
    ]
    if patterns:
        options.append(st.builds(lambda f, p: ast.MatchesOp(f, _name(p), None, NOWHERE), text_fields,
                                 st.sampled_from(patterns)))
    if lists:
        options.append(st.builds(lambda f, name: ast.TextOp("contains", f, _name(name), NOWHERE, NOWHERE),
                                 text_fields, st.sampled_from(lists)))
    if domains:
        options.append(st.builds(lambda d: ast.Quantifier("any", _ident("l"), ast.Call(
            _ident("links"), (_name("text"),), NOWHERE), ast.Compare("in", ast.AttributeAccess(
                _name("l"), _ident("domain"), NOWHERE), _name(d), NOWHERE, NOWHERE), NOWHERE), st.sampled_from(domains)))
    if categories:
        options.append(st.builds(lambda c, quoted: ast.Compare("==", _name("category"), _string(c) if quoted else _name(c),
                                                               NOWHERE, NOWHERE), st.sampled_from(categories), st.booleans()))
    if reasons:
        options.append(st.builds(lambda rs: ast.Compare("in", _name("contact_reason"), ast.ListLit(
            tuple(_name(r) for r in rs), NOWHERE), NOWHERE, NOWHERE), st.lists(st.sampled_from(reasons), min_size=1,
                                                                              max_size=3, unique=True)))
    simple = st.one_of(options)
    return st.recursive(simple, lambda inner: st.one_of(
        st.builds(ast.Logical, st.sampled_from(("and", "or")), inner, inner, st.just(NOWHERE)),
        st.builds(ast.Not, inner, st.just(NOWHERE))), max_leaves=4)


@st.composite
def checked_policy_asts(draw) -> ast.Policy:
    """Policies without checker errors: header, categories, patterns, word and domain lists, and
    rules whose conditions type-check; every pattern and list is used by some rule."""
    names = draw(st.lists(_names.filter(lambda n: len(n) > 2), min_size=8, max_size=14, unique=True))
    categories, reasons, patterns, lists, domains = names[:2], names[2:5], names[5:6], names[6:7], names[7:8]
    statements: list = [ast.PolicyHeader(_string(draw(_words)), None, None, (), NOWHERE)]
    statements.append(ast.CategoryDef(_ident(categories[0]), tuple(map(_ident, reasons[:2])), (), (), NOWHERE))
    statements.append(ast.CategoryDef(_ident(categories[1]), tuple(map(_ident, reasons[2:])), (), (), NOWHERE))
    statements.append(ast.PatternDef(_ident(patterns[0]), draw(_regexes), (), NOWHERE))
    statements.append(ast.ListDef(_ident(lists[0]), tuple(_string(w) for w in draw(
        st.lists(_words, min_size=1, max_size=3, unique_by=str.casefold))), (), NOWHERE))
    statements.append(ast.DomainsDef(_ident(domains[0]), (_string("ups.com"), _string("dhl.de")), (), NOWHERE))
    conditions = _typed_conditions(patterns, lists, domains, categories, reasons)
    rule_ids = draw(st.lists(_rule_ids, min_size=1, max_size=4, unique=True))
    for rule_id in rule_ids:
        clauses = [ast.MessageClause(_string(draw(_words)), NOWHERE)]
        if draw(st.booleans()):
            clauses.append(ast.WhenClause(draw(conditions), NOWHERE))
        clauses.append(draw(st.sampled_from((ast.RequireClause, ast.ForbidClause)))(draw(conditions), NOWHERE))
        statements.append(ast.RuleDef(_ident(rule_id), _ident(draw(_severities)), tuple(clauses), (), NOWHERE))
    uses = (ast.MatchesOp(_name("body"), _name(patterns[0]), None, NOWHERE),
            ast.TextOp("contains", _name("body"), _name(lists[0]), NOWHERE, NOWHERE),
            ast.Quantifier("any", _ident("l"), ast.Call(_ident("links"), (_name("text"),), NOWHERE), ast.Compare(
                "in", ast.AttributeAccess(_name("l"), _ident("domain"), NOWHERE), _name(domains[0]), NOWHERE, NOWHERE),
                NOWHERE))
    statements.append(ast.RuleDef(_ident("uses-definitions"), _ident("info"), (
        ast.MessageClause(_string("uses every definition"), NOWHERE),
        ast.ForbidClause(ast.Logical("or", ast.Logical("or", uses[0], uses[1], NOWHERE), uses[2], NOWHERE), NOWHERE),
    ), (), NOWHERE))
    return ast.Policy(tuple(statements), NOWHERE)


# -- writing a policy untidily ------------------------------------------------------------------

_separators = st.sampled_from((" ", " ", "  ", "\n", "\n    ", "\t", " # a comment\n", "\n# {}\n  "))


class _Writer:
    """Writes an AST as text with drawn spacing, comments and parentheses."""

    def __init__(self, draw):
        self.draw = draw

    def sep(self) -> str:
        return self.draw(_separators)

    def join(self, *parts: str) -> str:
        return "".join(part + self.sep() for part in parts if part)

    def expr(self, expr) -> str:
        if isinstance(expr, (ast.Name, ast.NumberLit, ast.StringLit, ast.RegexLit, ast.BoolLit)):
            text = self.leaf(expr)
            return f"({self.sep()}{text}{self.sep()})" if self.draw(st.booleans()) else text
        return f"({self.sep()}{self.compound(expr)}{self.sep()})"

    def leaf(self, expr) -> str:
        if isinstance(expr, ast.Name):
            return expr.name
        if isinstance(expr, ast.NumberLit):
            return expr.text.replace(" ", self.sep())
        if isinstance(expr, ast.StringLit):
            return quote_string(expr.value)
        if isinstance(expr, ast.RegexLit):
            return "/" + expr.pattern.replace("/", "\\/") + "/" + expr.flags
        return "true" if expr.value else "false"

    def items(self, items) -> str:
        return ("," + self.sep()).join(self.expr(item) for item in items)

    def compound(self, expr) -> str:
        s = self.sep
        if isinstance(expr, (ast.Logical, ast.Compare, ast.TextOp, ast.Arith)):
            return f"{self.expr(expr.left)}{s()}{expr.op.replace(' ', s())}{s()}{self.expr(expr.right)}"
        if isinstance(expr, ast.Not):
            return f"not{s()}{self.expr(expr.operand)}"
        if isinstance(expr, ast.Negate):
            return f"-{self.expr(expr.operand)}"
        if isinstance(expr, ast.MatchesOp):
            position = {None: "", "start": "at start", "end": "at end", "middle": "in middle"}[expr.position]
            return f"{self.expr(expr.subject)}{s()}matches{s()}{self.expr(expr.pattern)}{s()}{position.replace(' ', s())}"
        if isinstance(expr, ast.Presence):
            return f"{self.expr(expr.operand)}{s()}is{s()}{'present' if expr.present else 'absent'}"
        if isinstance(expr, ast.AttributeAccess):
            return f"{self.expr(expr.target)}{s()}.{s()}{expr.name.name}"
        if isinstance(expr, ast.Call):
            return f"{expr.function.name}({s()}{self.items(expr.args)}{s()})"
        if isinstance(expr, ast.ListLit):
            return f"[{s()}{self.items(expr.items)}{s()}]"
        assert isinstance(expr, ast.Quantifier)
        return (f"{expr.kind}({s()}{expr.variable.name}{s()}in{s()}{self.expr(expr.source)}{s()}:{s()}"
                f"{self.expr(expr.condition)}{s()})")

    def strings(self, items, trailing_comma_allowed: bool = True) -> str:
        text = ("," + self.sep()).join(quote_string(item.value) for item in items)
        if items and trailing_comma_allowed and self.draw(st.booleans()):
            text += ","
        return text

    def annotations(self, statement) -> str:
        return "".join(f"@{a.name.name}({self.sep()}{self.strings(a.args, False)}{self.sep()}){self.sep()}"
                       for a in getattr(statement, "annotations", ()))

    def clause(self, clause) -> str:
        if isinstance(clause, ast.MessageClause):
            return self.join("message", quote_string(clause.template.value))
        if isinstance(clause, ast.SeverityClause):
            return self.join("severity", clause.severity.name, "when", self.expr(clause.condition))
        if isinstance(clause, ast.NoteClause):
            return self.join("note", quote_string(clause.template.value), "when", self.expr(clause.condition))
        keyword = {ast.WhenClause: "when", ast.RequireClause: "require", ast.ForbidClause: "forbid"}[type(clause)]
        return self.join(keyword, self.expr(clause.condition))

    def statement(self, statement) -> str:
        head = self.annotations(statement)
        if isinstance(statement, ast.PolicyHeader):
            options = [("version", statement.version), ("effective", statement.effective)]
            return head + self.join("policy", quote_string(statement.name.value), *(
                part for keyword, value in options if value for part in (keyword, quote_string(value.value))))
        if isinstance(statement, ast.Include):
            return self.join("include", quote_string(statement.path.value))
        if isinstance(statement, ast.DisableDef):
            return self.join("disable", statement.rule.name)
        if isinstance(statement, ast.PatternDef):
            return head + self.join("pattern", statement.name.name, "=", self.leaf(statement.regex))
        if isinstance(statement, (ast.ListDef, ast.DomainsDef)):
            keyword = "list" if isinstance(statement, ast.ListDef) else "domains"
            return head + self.join(keyword, statement.name.name, "=", "[", self.strings(statement.items), "]")
        if isinstance(statement, ast.CategoryDef):
            entries = [self.join(keyword, ("," + self.sep()).join(i.name for i in idents))
                       for keyword, idents in (("reasons", statement.reasons), ("aliases", statement.aliases)) if idents]
            return head + self.join("category", statement.name.name, "{", *entries, "}")
        if isinstance(statement, ast.OverrideDef):
            entries = [self.join("severity", e.severity.name) if isinstance(e, ast.SeverityOverride)
                       else self.join("message", quote_string(e.template.value)) for e in statement.entries]
            return self.join("override", statement.rule.name, "{", *entries, "}")
        assert isinstance(statement, ast.RuleDef)
        return head + self.join("rule", statement.id.name, statement.severity.name, "{",
                                *(self.clause(c) for c in statement.clauses), "}")


@st.composite
def messy_text(draw, policy: ast.Policy) -> str:
    """`policy` written untidily: it parses back to an equal AST."""
    writer = _Writer(draw)
    return writer.sep() + "\n".join(writer.statement(s) for s in policy.statements)
