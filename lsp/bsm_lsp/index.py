"""Where each pattern, list, domain list, category, contact reason and rule id of a checked
policy is defined and referenced, across the policy's files, and what sits at an offset."""

from __future__ import annotations

import attrs

from bsm_rules.core import Span
from bsm_rules.language import CheckedPolicy, ast

__all__ = ["RENAMABLE", "Occurrence", "SymbolIndex", "build_index", "nodes_at", "symbol_key"]

# Kinds whose definitions live in a policy (and so can be renamed); fields and built-ins cannot.
RENAMABLE = ("pattern", "list", "domains", "category", "reason", "rule")

_DEFINITIONS = {ast.PatternDef: "pattern", ast.ListDef: "list", ast.DomainsDef: "domains",
                ast.CategoryDef: "category"}


@attrs.frozen
class Occurrence:
    """One place a named thing is written: its kind, its name, the span of the name, and whether
    this is the definition."""

    kind: str
    name: str
    span: Span
    definition: bool
    node: object = attrs.field(eq=False, repr=False, default=None)

    @property
    def key(self) -> tuple[str, str]:
        return symbol_key(self.kind, self.name)

    @property
    def path(self) -> str:
        return self.span.source.name


def symbol_key(kind: str, name: str) -> tuple[str, str]:
    # Contact reasons compare case-insensitively (see the checker); other names are exact.
    return (kind, name.casefold()) if kind == "reason" else (kind, name)


class SymbolIndex:
    """The occurrences of a checked policy, by file and by symbol."""

    def __init__(self, occurrences: list[Occurrence]):
        self.occurrences = occurrences
        self._by_key: dict[tuple[str, str], list[Occurrence]] = {}
        for occurrence in occurrences:
            self._by_key.setdefault(occurrence.key, []).append(occurrence)

    def at(self, path: str, offset: int) -> Occurrence | None:
        """The occurrence in file `path` whose name covers `offset` (its end included)."""
        for occurrence in self.occurrences:
            if occurrence.path == path and occurrence.span.start <= offset <= occurrence.span.end:
                return occurrence
        return None

    def of(self, key: tuple[str, str]) -> list[Occurrence]:
        return self._by_key.get(key, [])

    def definitions(self, key: tuple[str, str]) -> list[Occurrence]:
        return [o for o in self.of(key) if o.definition]

    def in_file(self, path: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.path == path]


def build_index(checked: CheckedPolicy) -> SymbolIndex:
    occurrences: list[Occurrence] = []
    for unit in checked.units:
        for statement in unit.ast.statements:
            occurrences.extend(_statement_occurrences(statement, checked))
    return SymbolIndex(occurrences)


def _statement_occurrences(statement, checked: CheckedPolicy) -> list[Occurrence]:
    found: list[Occurrence] = []
    kind = _DEFINITIONS.get(type(statement))
    if kind:
        found.append(Occurrence(kind, statement.name.name, statement.name.span, True, statement))
    if isinstance(statement, ast.CategoryDef):
        for ident in (*statement.reasons, *statement.aliases):
            found.append(Occurrence("reason", ident.name, ident.span, True, statement))
    elif isinstance(statement, ast.RuleDef):
        found.append(Occurrence("rule", statement.id.name, statement.id.span, True, statement))
    elif isinstance(statement, (ast.OverrideDef, ast.DisableDef)):
        found.append(Occurrence("rule", statement.rule.name, statement.rule.span, False, statement))
    if isinstance(statement, ast.RuleDef):  # only rules hold expressions
        for node in ast.walk(statement):
            symbol = checked.symbol_of(node) if node.__class__ is ast.Name else None
            if symbol is not None and symbol.kind in RENAMABLE:
                found.append(Occurrence(symbol.kind, node.name, node.span, False, node))
    return found


def nodes_at(policy: ast.Policy, offset: int) -> list:
    """The AST nodes whose span covers `offset`, outermost first."""
    chain: list = []
    for statement in policy.statements:
        if statement.span.start <= offset <= statement.span.end:
            _descend(statement, offset, chain)
            break
    return chain


def _descend(node, offset: int, chain: list) -> None:
    chain.append(node)
    for field in attrs.fields(type(node)):
        if field.name == "span" or field.name.endswith("_span"):
            continue
        value = getattr(node, field.name)
        for child in value if isinstance(value, tuple) else (value,):
            span = getattr(child, "span", None)
            if attrs.has(type(child)) and span is not None and span.start <= offset <= span.end:
                _descend(child, offset, chain)
                return
