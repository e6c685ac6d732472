"""The policy AST: small frozen nodes built from the parse tree, each with its source span."""

from __future__ import annotations

import attrs

from ..core.source import Span

__all__ = [
    "Annotation", "Arith", "AttributeAccess", "BoolLit", "Call", "CategoryDef", "Comment", "Compare", "Definition",
    "DisableDef", "DomainsDef", "ExampleContext", "ExampleDef", "ExampleExpect", "ExampleFires", "ExampleMessage",
    "ExampleRows", "Expr", "ForbidClause", "Ident", "Include", "ListDef", "ListLit", "Logical", "MatchesOp",
    "MessageClause", "MessageOverride", "Name", "Negate", "Not", "NoteClause", "NumberLit", "ObjectEntry", "ObjectLit",
    "OverrideDef", "PatternDef", "Policy", "PolicyHeader", "Presence", "Quantifier", "RegexLit", "RequireClause",
    "RuleDef", "SeverityClause", "SeverityOverride", "Statement", "StringLit", "TextOp", "WhenClause", "walk",
]

_span = attrs.field(eq=False, repr=False)


# -- leaves shared by statements and expressions ------------------------------------------

@attrs.frozen
class Ident:
    """A name as written at a definition or reference site (pattern, list, rule id…)."""

    name: str
    span: Span = _span


@attrs.frozen
class StringLit:
    """A string literal, escapes decoded."""

    value: str
    span: Span = _span


@attrs.frozen
class Annotation:
    """`@name("arg", …)` before a definition, e.g. `@source("…")`, `@doc("…")`, `@allow("BSM501")`."""

    name: Ident
    args: tuple[StringLit, ...]
    span: Span = _span


# -- expressions ---------------------------------------------------------------------------

@attrs.frozen
class NumberLit:
    """A number, optionally with a unit (`10 MiB`, `24 h`); `value` is in base units (bytes, seconds)."""

    value: float
    unit: str | None
    text: str
    span: Span = _span


@attrs.frozen
class RegexLit:
    """A regular expression literal `/…/flags` in RE2 syntax."""

    pattern: str
    flags: str
    span: Span = _span

    @property
    def pattern_offset(self) -> int:
        """Offset in the source of the first character of the pattern (after `/`)."""
        return self.span.start + 1


@attrs.frozen
class BoolLit:
    """`true` or `false`."""

    value: bool
    span: Span = _span


@attrs.frozen
class Name:
    """A bare name: a quantifier variable, message field, context value, pattern, list or category."""

    name: str
    span: Span = _span


@attrs.frozen
class AttributeAccess:
    """`target.name`: a field of a record; on a list, the field of every element."""

    target: Expr
    name: Ident
    span: Span = _span


@attrs.frozen
class Call:
    """A built-in function call such as `links(text)` or `count(attachments)`."""

    function: Ident
    args: tuple[Expr, ...]
    span: Span = _span


@attrs.frozen
class ListLit:
    """`[a, b, …]`."""

    items: tuple[Expr, ...]
    span: Span = _span


@attrs.frozen
class Quantifier:
    """`any(x in xs: condition)` / `all(x in xs: condition)`."""

    kind: str
    variable: Ident
    source: Expr
    condition: Expr
    span: Span = _span


@attrs.frozen
class Not:
    """`not condition`."""

    operand: Expr
    span: Span = _span


@attrs.frozen
class Negate:
    """`-number`."""

    operand: Expr
    span: Span = _span


@attrs.frozen
class Logical:
    """`left and right`, `left or right`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span


@attrs.frozen
class Arith:
    """`+ - * /` on numbers, sizes, durations and timestamps."""

    op: str
    left: Expr
    right: Expr
    op_span: Span = _span
    span: Span = _span


@attrs.frozen
class Compare:
    """`== != < <= > >=` and membership `in` / `not in`."""

    op: str
    left: Expr
    right: Expr
    op_span: Span = _span
    span: Span = _span


@attrs.frozen
class TextOp:
    """`contains`, `starts with`, `ends with` on text (case-insensitive, whole words for `contains`)."""

    op: str
    left: Expr
    right: Expr
    op_span: Span = _span
    span: Span = _span


@attrs.frozen
class MatchesOp:
    """`text matches pattern [at start | at end | in middle]`."""

    subject: Expr
    pattern: Expr
    position: str | None
    span: Span = _span


@attrs.frozen
class Presence:
    """`x is present` / `x is absent`."""

    operand: Expr
    present: bool
    span: Span = _span


Expr = (
    NumberLit | StringLit | RegexLit | BoolLit | Name | AttributeAccess | Call | ListLit | Quantifier
    | Not | Negate | Logical | Arith | Compare | TextOp | MatchesOp | Presence
)


# -- statements ----------------------------------------------------------------------------

@attrs.frozen
class PolicyHeader:
    """`policy "name" version "…" effective "YYYY-MM-DD"`."""

    name: StringLit
    version: StringLit | None
    effective: StringLit | None
    annotations: tuple[Annotation, ...]
    span: Span = _span


@attrs.frozen
class Include:
    """`include "other.bsm"`: the other policy's definitions join this one."""

    path: StringLit
    span: Span = _span


@attrs.frozen
class CategoryDef:
    """`category name { reasons … aliases … }`."""

    name: Ident
    reasons: tuple[Ident, ...]
    aliases: tuple[Ident, ...]
    annotations: tuple[Annotation, ...]
    span: Span = _span


@attrs.frozen
class PatternDef:
    """`pattern name = /regex/flags`."""

    name: Ident
    regex: RegexLit
    annotations: tuple[Annotation, ...]
    span: Span = _span


@attrs.frozen
class ListDef:
    """`list name = ["word", "phrase", …]`: matched case-insensitively as whole words."""

    name: Ident
    items: tuple[StringLit, ...]
    annotations: tuple[Annotation, ...]
    span: Span = _span


@attrs.frozen
class DomainsDef:
    """`domains name = ["ups.com", …]`: registrable domains, compared case-insensitively."""

    name: Ident
    items: tuple[StringLit, ...]
    annotations: tuple[Annotation, ...]
    span: Span = _span


@attrs.frozen
class MessageClause:
    """`message "template"`: what a seller reads; `{match}` and `{field.path}` are filled in."""

    template: StringLit
    span: Span = _span


@attrs.frozen
class WhenClause:
    """`when condition`: the rule applies only to messages for which the guard holds."""

    condition: Expr
    span: Span = _span


@attrs.frozen
class RequireClause:
    """`require condition`: a violation when the condition is false."""

    condition: Expr
    span: Span = _span


@attrs.frozen
class ForbidClause:
    """`forbid condition`: a violation, at every place it matched, when the condition is true."""

    condition: Expr
    span: Span = _span


@attrs.frozen
class SeverityClause:
    """`severity error when condition`: a different severity for some messages."""

    severity: Ident
    condition: Expr
    span: Span = _span


@attrs.frozen
class NoteClause:
    """`note "text" when condition`: explains a violation (and locates it) when the condition holds."""

    template: StringLit
    condition: Expr
    span: Span = _span


Clause = MessageClause | WhenClause | RequireClause | ForbidClause | SeverityClause | NoteClause


@attrs.frozen
class RuleDef:
    """`rule id severity { clauses }`."""

    id: Ident
    severity: Ident
    clauses: tuple[Clause, ...]
    annotations: tuple[Annotation, ...]
    span: Span = _span

    def annotation(self, name: str) -> str | None:
        for annotation in self.annotations:
            if annotation.name.name == name and annotation.args:
                return annotation.args[0].value
        return None


@attrs.frozen
class SeverityOverride:
    """`severity warning` inside an override."""

    severity: Ident
    span: Span = _span


@attrs.frozen
class MessageOverride:
    """`message "…"` inside an override."""

    template: StringLit
    span: Span = _span


@attrs.frozen
class OverrideDef:
    """`override rule-id { severity … message … }`: changes an (included) rule."""

    rule: Ident
    entries: tuple[SeverityOverride | MessageOverride, ...]
    span: Span = _span


@attrs.frozen
class DisableDef:
    """`disable rule-id`: the (included) rule no longer runs."""

    rule: Ident
    span: Span = _span


# -- examples (run by `bsm test`) ------------------------------------------------------------

@attrs.frozen
class ObjectEntry:
    """`key: value` inside an object value."""

    key: Ident
    value: Value
    span: Span = _span


@attrs.frozen
class ObjectLit:
    """`{ key: value, … }`: a JSON-like object written in an example (a message, a context, a row)."""

    entries: tuple[ObjectEntry, ...]
    span: Span = _span


#: A value in an example: an object, a list (`ListLit` of values), a string, a number or a boolean.
Value = ObjectLit | ListLit | StringLit | NumberLit | BoolLit


@attrs.frozen
class ExampleMessage:
    """`message { … }` or `message from "file.json" { … }`: the message of an example."""

    source: StringLit | None
    fields: ObjectLit | None
    span: Span = _span


@attrs.frozen
class ExampleContext:
    """`context { avg_daily_orders: 10, sent_today: 3 }`: the seller context of an example."""

    fields: ObjectLit
    span: Span = _span


@attrs.frozen
class ExampleExpect:
    """`expect block`: the verdict the example must get."""

    verdict: Ident
    span: Span = _span


@attrs.frozen
class ExampleFires:
    """`fires a, b` / `not fires a, b`: rules that must (not) report a violation."""

    rules: tuple[Ident, ...]
    negated: bool
    span: Span = _span


@attrs.frozen
class ExampleRows:
    """`for each row in [ { … }, … ]`: the rows of a table-driven example."""

    rows: tuple[ObjectLit, ...]
    span: Span = _span


ExampleEntry = ExampleMessage | ExampleContext | ExampleExpect | ExampleFires | ExampleRows


@attrs.frozen
class ExampleDef:
    """`example "name" { … }` (one message) or `examples "name" { … for each row in [ … ] }` (a table)."""

    name: StringLit
    table: bool
    entries: tuple[ExampleEntry, ...]
    annotations: tuple[Annotation, ...]
    span: Span = _span


Definition = CategoryDef | PatternDef | ListDef | DomainsDef | RuleDef
Statement = (
    PolicyHeader | Include | CategoryDef | PatternDef | ListDef | DomainsDef | RuleDef | OverrideDef | DisableDef
    | ExampleDef
)


@attrs.frozen
class Comment:
    """A `# …` comment (kept for the formatter; it has no meaning)."""

    text: str
    span: Span = _span


@attrs.frozen
class Policy:
    """One policy file: its statements in source order, and its comments."""

    statements: tuple[Statement, ...]
    span: Span = _span
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)


def walk(node):
    """Yield `node` and every AST node below it, depth first, in source order."""
    yield node
    names = _CHILD_FIELDS.get(type(node))
    if names is None:  # looked up once per class: walks run over every node of a policy
        names = _CHILD_FIELDS[type(node)] = tuple(
            f.name for f in attrs.fields(type(node)) if f.name != "span" and not f.name.endswith("_span"))
    for name in names:
        value = getattr(node, name)
        for child in value if isinstance(value, tuple) else (value,):
            if getattr(type(child), "__attrs_attrs__", None) is not None:
                yield from walk(child)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
