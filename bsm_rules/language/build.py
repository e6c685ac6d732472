"""Builds the AST from Lark's parse tree; the tree never leaves this module and `parser`."""

from __future__ import annotations

from lark import Token, Transformer, v_args

from ..core.source import SourceFile, Span
from . import ast

__all__ = ["UNITS", "build_node", "build_policy", "decode_string", "token_span"]

#: unit -> (kind, factor to the base unit: bytes or seconds)
UNITS: dict[str, tuple[str, float]] = {
    "B": ("bytes", 1), "KB": ("bytes", 1000), "MB": ("bytes", 1000**2), "GB": ("bytes", 1000**3),
    "KiB": ("bytes", 1024), "MiB": ("bytes", 1024**2), "GiB": ("bytes", 1024**3),
    "ms": ("duration", 0.001), "s": ("duration", 1), "min": ("duration", 60),
    "h": ("duration", 3600), "d": ("duration", 86400),
}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def decode_string(raw: str) -> str:
    """Decode the body of a string literal (without its quotes)."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            following = raw[index + 1]
            if following == "u" and raw[index + 2 : index + 3] == "{" and "}" in raw[index + 3 :]:
                close = raw.index("}", index + 3)
                try:
                    out.append(chr(int(raw[index + 3 : close], 16)))
                    index = close + 1
                    continue
                except (ValueError, OverflowError):  # not hexadecimal, or past U+10FFFF: kept as written
                    pass
            out.append(_ESCAPES.get(following, "\\" + following))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _split_annotations(children):
    annotations = tuple(c for c in children if isinstance(c, ast.Annotation))
    rest = [c for c in children if not isinstance(c, ast.Annotation)]
    return annotations, rest


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, source: SourceFile):
        super().__init__()
        self.source = source

    # -- helpers
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _tok_span(self, token: Token) -> Span:
        return token_span(self.source, token)

    def _string(self, token: Token) -> ast.StringLit:
        return ast.StringLit(decode_string(token.value[1:-1]), self._tok_span(token))

    # -- leaves
    def ident(self, meta, children):
        return ast.Ident(children[0].value, self._tok_span(children[0]))

    rule_id = ident
    severity = ident

    def string(self, meta, children):
        return self._string(children[0])

    def quantifier_kind(self, meta, children):
        return children[0]

    def annotation(self, meta, children):
        name, *args = children
        return ast.Annotation(
            ast.Ident(name.value, self._tok_span(name)),
            tuple(a for a in args if a is not None),
            self._span(meta),
        )

    # -- statements
    def start(self, meta, children):
        return ast.Policy(tuple(children), Span(self.source, 0, len(self.source.text)))

    def policy_header(self, meta, children):
        annotations, rest = _split_annotations(children)
        name, *options = rest
        found = dict(options)
        return ast.PolicyHeader(
            self._string(name), found.get("version"), found.get("effective"), annotations, self._span(meta)
        )

    def version_option(self, meta, children):
        return ("version", self._string(children[0]))

    def effective_option(self, meta, children):
        return ("effective", self._string(children[0]))

    def include(self, meta, children):
        return ast.Include(self._string(children[0]), self._span(meta))

    def name_list(self, meta, children):
        return tuple(children)

    def category_reasons(self, meta, children):
        return ("reasons", children[0])

    def category_aliases(self, meta, children):
        return ("aliases", children[0])

    def category_def(self, meta, children):
        annotations, rest = _split_annotations(children)
        name, *entries = rest
        reasons = tuple(i for kind, idents in entries if kind == "reasons" for i in idents)
        aliases = tuple(i for kind, idents in entries if kind == "aliases" for i in idents)
        return ast.CategoryDef(
            ast.Ident(name.value, self._tok_span(name)), reasons, aliases, annotations, self._span(meta)
        )

    def pattern_def(self, meta, children):
        annotations, (name, regex) = _split_annotations(children)
        return ast.PatternDef(name, self._regex(regex), annotations, self._span(meta))

    def string_list(self, meta, children):
        return tuple(c for c in children if c is not None)

    def list_def(self, meta, children):
        annotations, (name, items) = _split_annotations(children)
        return ast.ListDef(name, items, annotations, self._span(meta))

    def domains_def(self, meta, children):
        annotations, (name, items) = _split_annotations(children)
        return ast.DomainsDef(name, items, annotations, self._span(meta))

    def rule_def(self, meta, children):
        annotations, (rule_id, severity, *clauses) = _split_annotations(children)
        return ast.RuleDef(rule_id, severity, tuple(clauses), annotations, self._span(meta))

    def message_clause(self, meta, children):
        return ast.MessageClause(children[0], self._span(meta))

    def when_clause(self, meta, children):
        return ast.WhenClause(children[0], self._span(meta))

    def require_clause(self, meta, children):
        return ast.RequireClause(children[0], self._span(meta))

    def forbid_clause(self, meta, children):
        return ast.ForbidClause(children[0], self._span(meta))

    def severity_clause(self, meta, children):
        return ast.SeverityClause(children[0], children[1], self._span(meta))

    def note_clause(self, meta, children):
        return ast.NoteClause(children[0], children[1], self._span(meta))

    def override_def(self, meta, children):
        rule_id, *entries = children
        return ast.OverrideDef(rule_id, tuple(entries), self._span(meta))

    def severity_override(self, meta, children):
        return ast.SeverityOverride(children[0], self._span(meta))

    def message_override(self, meta, children):
        return ast.MessageOverride(children[0], self._span(meta))

    def disable_def(self, meta, children):
        return ast.DisableDef(children[0], self._span(meta))

    # -- expressions
    def or_op(self, meta, children):
        return ast.Logical("or", children[0], children[1], self._span(meta))

    def and_op(self, meta, children):
        return ast.Logical("and", children[0], children[1], self._span(meta))

    def not_op(self, meta, children):
        return ast.Not(children[0], self._span(meta))

    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(op.value, left, right, self._tok_span(op), self._span(meta))

    def _keyword_op(self, op: str, cls, meta, children):
        left, right = children
        between = Span(self.source, _end(left), _start(right))
        return cls(op, left, right, between, self._span(meta))

    def in_op(self, meta, children):
        return self._keyword_op("in", ast.Compare, meta, children)

    def not_in_op(self, meta, children):
        return self._keyword_op("not in", ast.Compare, meta, children)

    def contains_op(self, meta, children):
        return self._keyword_op("contains", ast.TextOp, meta, children)

    def starts_with_op(self, meta, children):
        return self._keyword_op("starts with", ast.TextOp, meta, children)

    def ends_with_op(self, meta, children):
        return self._keyword_op("ends with", ast.TextOp, meta, children)

    def matches_op(self, meta, children):
        subject, pattern, *position = children
        return ast.MatchesOp(subject, pattern, position[0] if position else None, self._span(meta))

    def at_start(self, meta, children):
        return "start"

    def at_end(self, meta, children):
        return "end"

    def in_middle(self, meta, children):
        return "middle"

    def present_op(self, meta, children):
        return ast.Presence(children[0], True, self._span(meta))

    def absent_op(self, meta, children):
        return ast.Presence(children[0], False, self._span(meta))

    def arith(self, meta, children):
        left, op, right = children
        return ast.Arith(op.value, left, right, self._tok_span(op), self._span(meta))

    def negate(self, meta, children):
        return ast.Negate(children[0], self._span(meta))

    def attribute(self, meta, children):
        target, name = children
        return ast.AttributeAccess(target, ast.Ident(name.value, self._tok_span(name)), self._span(meta))

    def number(self, meta, children):
        number, *unit = children
        value = float(number.value.replace("_", ""))
        if value.is_integer():
            value = int(value)
        text = number.value
        unit_name = None
        if unit:
            unit_name = unit[0].value
            value = value * UNITS[unit_name][1]
            text += " " + unit_name
            if isinstance(value, float) and value.is_integer():
                value = int(value)
        return ast.NumberLit(value, unit_name, text, self._span(meta))

    def string_lit(self, meta, children):
        return self._string(children[0])

    def _regex(self, token: Token) -> ast.RegexLit:
        body, _, flags = token.value[1:].rpartition("/")
        return ast.RegexLit(body.replace("\\/", "/"), flags, self._tok_span(token))

    def regex_lit(self, meta, children):
        return self._regex(children[0])

    def true_lit(self, meta, children):
        return ast.BoolLit(True, self._span(meta))

    def false_lit(self, meta, children):
        return ast.BoolLit(False, self._span(meta))

    def name(self, meta, children):
        return ast.Name(children[0].value, self._tok_span(children[0]))

    def call(self, meta, children):
        function, *args = children
        return ast.Call(
            ast.Ident(function.value, self._tok_span(function)),
            tuple(a for a in args if a is not None),
            self._span(meta),
        )

    def quantifier(self, meta, children):
        kind, variable, source, condition = children
        return ast.Quantifier(kind.value, variable, source, condition, self._span(meta))

    def list_lit(self, meta, children):
        return ast.ListLit(tuple(c for c in children if c is not None), self._span(meta))

    # -- examples
    def example_kind(self, meta, children):
        return children[0]

    def example_def(self, meta, children):
        annotations, (kind, name, *entries) = _split_annotations(children)
        return ast.ExampleDef(self._string(name), kind.value == "examples", tuple(entries), annotations,
                              self._span(meta))

    def example_message(self, meta, children):
        return ast.ExampleMessage(None, children[0], self._span(meta))

    def example_message_file(self, meta, children):
        return ast.ExampleMessage(children[0], children[1] if len(children) > 1 else None, self._span(meta))

    def example_context(self, meta, children):
        return ast.ExampleContext(children[0], self._span(meta))

    def example_expect(self, meta, children):
        return ast.ExampleExpect(children[0], self._span(meta))

    def example_fires(self, meta, children):
        return ast.ExampleFires(tuple(children), False, self._span(meta))

    def example_not_fires(self, meta, children):
        return ast.ExampleFires(tuple(children), True, self._span(meta))

    def example_rows(self, meta, children):
        return ast.ExampleRows(tuple(c for c in children if c is not None), self._span(meta))

    def object(self, meta, children):
        return ast.ObjectLit(tuple(c for c in children if c is not None), self._span(meta))

    def object_entry(self, meta, children):
        key, value = children
        if isinstance(key, ast.StringLit):
            key = ast.Ident(key.value, key.span)
        return ast.ObjectEntry(key, value, self._span(meta))

    def negative_number(self, meta, children):
        number = self.number(meta, children)
        return ast.NumberLit(-number.value, number.unit, "-" + number.text, self._span(meta))


def _start(node) -> int:
    return node.span.start


def _end(node) -> int:
    return node.span.end


def token_span(source: SourceFile, token: Token) -> Span:
    """Where a token is in `source` (lark types a token's offsets as optional: the lexer sets both)."""
    assert token.start_pos is not None and token.end_pos is not None
    return Span(source, token.start_pos, token.end_pos)


def build_policy(tree, source: SourceFile) -> ast.Policy:
    return _Builder(source).transform(tree)


def build_node(tree, source: SourceFile):
    """The AST node of one subtree of a parse (an expression, a name)."""
    return _Builder(source).transform(tree)
