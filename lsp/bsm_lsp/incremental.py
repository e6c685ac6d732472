"""Re-parses only what changed: a long document is parsed statement group by statement group,
and the AST of a group whose text is unchanged is reused (moved to its new offset)."""

from __future__ import annotations

import collections
import re
import threading

import attrs

from bsm_rules.core import Diagnostic, SourceFile, Span
from bsm_rules.language import STATEMENT_KEYWORDS, ast, parse_source

__all__ = ["ParseCache", "relocate", "statement_groups"]

_STATEMENT_START = re.compile(rf"^[ \t]*(?:@|(?:{'|'.join(STATEMENT_KEYWORDS)})\b)", re.MULTILINE)
# Below this size a whole parse is fast enough; above it, groups are parsed and cached.
SMALL_DOCUMENT = 2_000


def statement_groups(text: str) -> list[int]:
    """Offsets where a group of lines starts: a line opening a statement (or the first of the
    annotation lines right above one). Every group holds whole statements when the text is
    well formed; when it is not, the parse of a group fails and the whole text is parsed."""
    starts = [0]
    previous_annotation_end = -2
    for match in _STATEMENT_START.finditer(text):
        line_start = match.start()
        if line_start != previous_annotation_end + 1 and line_start != 0:
            starts.append(line_start)
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end == -1 else line_end
        previous_annotation_end = line_end if match.group().lstrip().startswith("@") else -2
    return starts


def relocate(node, source: SourceFile, delta: int):
    """A copy of an AST node whose spans point `delta` further into `source`."""
    kind = node.__class__
    if kind is Span:
        return Span(source, node.start + delta, node.end + delta)
    if kind is tuple:
        return tuple([relocate(item, source, delta) for item in node])
    names = _NODE_FIELDS.get(kind)
    if names is None:
        if not attrs.has(kind):
            return node
        names = _NODE_FIELDS[kind] = tuple(f.name for f in attrs.fields(kind))
    # The nodes are frozen: build the copy field by field without re-running __init__.
    copy = object.__new__(kind)
    for name in names:
        value = getattr(node, name)
        if value.__class__ not in _PLAIN:
            value = relocate(value, source, delta)
        object.__setattr__(copy, name, value)
    return copy


_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
_PLAIN = frozenset((str, int, float, bool, type(None)))


class ParseCache:
    """A parser for the language server that reuses the parse of unchanged statement groups.

    The result equals `parse_source` on the whole text: groups are split only at line starts
    that begin a statement, where no token continues across, so a text whose groups all parse
    is the concatenation of their statements. Any syntax error falls back to `parse_source` on
    the whole text, so messages and recovery are exactly those of `bsm lint`."""

    def __init__(self, capacity: int = 20_000, small_document: int = SMALL_DOCUMENT):
        self.capacity = capacity
        self.small_document = small_document
        self._groups: collections.OrderedDict[str, ast.Policy] = collections.OrderedDict()
        self._lock = threading.Lock()

    def parse(self, source: SourceFile) -> tuple[ast.Policy, list[Diagnostic]]:
        text = source.text
        if len(text) < self.small_document:
            return parse_source(source)
        starts = statement_groups(text)
        statements: list = []
        comments: list = []
        for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
            group = self._group(text[begin:end])
            if group is None:
                return parse_source(source)
            statements.extend(relocate(group.statements, source, begin))
            comments.extend(relocate(group.comments, source, begin))
        return ast.Policy(tuple(statements), Span(source, 0, len(text)), comments=tuple(comments)), []

    def _group(self, text: str) -> ast.Policy | None:
        with self._lock:
            cached = self._groups.get(text)
            if cached is not None:
                self._groups.move_to_end(text)
                return cached
        policy, syntax = parse_source(SourceFile("<group>", text))
        if syntax:
            return None
        with self._lock:
            self._groups[text] = policy
            while len(self._groups) > self.capacity:
                self._groups.popitem(last=False)
        return policy
