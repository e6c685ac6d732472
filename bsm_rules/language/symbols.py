"""What the checker resolves the names of a policy to (typed symbols: a message field, a pattern,
a quantifier's variable…) and the table that attaches symbols and types to AST nodes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Generic, TypeVar, overload

import attrs

from ..library.registry import Field
from . import ast

__all__ = [
    "CategorySymbol", "ContextSymbol", "DomainsSymbol", "FieldSymbol", "ListSymbol",
    "NodeTable", "PatternSymbol", "ReasonSymbol", "Symbol", "VariableSymbol",
]


@attrs.frozen
class FieldSymbol:
    """A message field, such as `body` or `recipient`."""

    kind: ClassVar[str] = "field"
    field: Field


@attrs.frozen
class ContextSymbol:
    """A value of the seller context, such as `avg_daily_orders`."""

    kind: ClassVar[str] = "context"
    field: Field


@attrs.frozen
class VariableSymbol:
    """The variable of a quantifier (`x` in `any(x in xs: …)`)."""

    kind: ClassVar[str] = "variable"
    name: str


@attrs.frozen
class PatternSymbol:
    """A pattern the policy defines."""

    kind: ClassVar[str] = "pattern"
    definition: ast.PatternDef


@attrs.frozen
class ListSymbol:
    """A phrase list the policy defines."""

    kind: ClassVar[str] = "list"
    definition: ast.ListDef


@attrs.frozen
class DomainsSymbol:
    """A domain list the policy defines."""

    kind: ClassVar[str] = "domains"
    definition: ast.DomainsDef


@attrs.frozen
class CategorySymbol:
    """A message category the policy defines; as a value, its name."""

    kind: ClassVar[str] = "category"
    definition: ast.CategoryDef


@attrs.frozen
class ReasonSymbol:
    """A contact reason of one of the policy's categories; as a value, the name as written."""

    kind: ClassVar[str] = "reason"
    name: str


Symbol = (
    FieldSymbol | ContextSymbol | VariableSymbol | PatternSymbol | ListSymbol | DomainsSymbol | CategorySymbol
    | ReasonSymbol
)

V = TypeVar("V")
D = TypeVar("D")


class NodeTable(Generic[V]):
    """Values attached to AST nodes by identity: nodes compare by value (two `body` names are
    equal), but each place in the source gets its own entry. The table keeps its nodes, so
    their identities stay unique; it pickles as its (node, value) pairs, and since pickle keeps
    object identity within one pickle, the nodes it holds are those of the pickled AST."""

    __slots__ = ("_entries",)

    def __init__(self, pairs: Iterable[tuple[object, V]] = ()):
        self._entries: dict[int, tuple[object, V]] = {}
        for node, value in pairs:
            self[node] = value

    def __setitem__(self, node: object, value: V) -> None:
        self._entries[id(node)] = (node, value)

    @overload
    def get(self, node: object) -> V | None: ...
    @overload
    def get(self, node: object, default: D) -> V | D: ...

    def get(self, node: object, default: object = None) -> object:
        entry = self._entries.get(id(node))
        return default if entry is None else entry[1]

    def __contains__(self, node: object) -> bool:
        return id(node) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> Iterator[tuple[object, V]]:
        return iter(self._entries.values())

    def values(self) -> Iterator[V]:
        return (value for _, value in self._entries.values())

    def __reduce__(self):
        return NodeTable, (list(self._entries.values()),)

    def __repr__(self) -> str:
        return f"NodeTable({len(self._entries)} nodes)"
