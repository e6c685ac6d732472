"""Semantic tokens: every keyword, name, literal and comment of a document, classified from the
checked AST, encoded relative to the previous token in the client's position units."""

from __future__ import annotations

import bisect
import re

from lsprotocol import types

from bsm_rules.language import ast, grammar_keywords

from .analysis import Analysis

__all__ = ["KEYWORDS", "LEGEND", "TOKEN_MODIFIERS", "TOKEN_TYPES", "classified_tokens", "semantic_tokens"]

TOKEN_TYPES = ["keyword", "string", "number", "regexp", "comment", "function", "property", "variable",
               "enum", "enumMember", "decorator", "namespace", "operator"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)

KEYWORDS = grammar_keywords() | {"error", "warning", "info"}  # severities are one terminal, not literals
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# symbol kind -> (token type, modifiers)
_SYMBOL_TOKENS = {
    "pattern": ("variable", ("readonly",)), "list": ("variable", ("readonly",)),
    "domains": ("variable", ("readonly",)), "category": ("enum", ()), "reason": ("enumMember", ()),
    "rule": ("namespace", ()), "field": ("property", ()), "context": ("property", ("readonly",)),
    "variable": ("variable", ()),
}


def classified_tokens(analysis: Analysis) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(start, end, type, modifiers) of the document's tokens, sorted and not overlapping."""
    unit = analysis.unit
    if unit is None:
        return []
    found: dict[int, tuple[int, int, str, tuple[str, ...]]] = {}

    def add(span, kind: str, modifiers: tuple[str, ...] = ()) -> None:
        if span.end > span.start and span.start not in found:
            found[span.start] = (span.start, span.end, kind, modifiers)

    for occurrence in analysis.index.in_file(analysis.path):
        kind, modifiers = _SYMBOL_TOKENS[occurrence.kind]
        add(occurrence.span, kind, modifiers + (("declaration",) if occurrence.definition else ()))
    for comment in unit.ast.comments:
        add(comment.span, "comment")
    for statement in unit.ast.statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Annotation):
                add(node.span.source.span(node.span.start, node.name.span.end), "decorator")
            elif isinstance(node, ast.StringLit):
                add(node.span, "string")
            elif isinstance(node, ast.RegexLit):
                add(node.span, "regexp")
            elif isinstance(node, ast.NumberLit):
                add(node.span, "number")
            elif isinstance(node, ast.Call):
                add(node.function.span, "function", ("defaultLibrary",))
            elif isinstance(node, ast.AttributeAccess):
                add(node.name.span, "property")
            elif isinstance(node, ast.Quantifier):
                add(node.variable.span, "variable", ("declaration",))
            elif isinstance(node, ast.Name):
                symbol = analysis.checked.symbol_of(node)
                if symbol is not None and symbol.kind in _SYMBOL_TOKENS:
                    kind, modifiers = _SYMBOL_TOKENS[symbol.kind]
                    add(node.span, kind, modifiers)
    ordered = sorted(found.values())
    covered = _merge([(start, end) for start, end, _, _ in ordered])
    text = analysis.text
    for match in _WORD.finditer(text):
        if match.group() in KEYWORDS and not _inside(covered, match.start()):
            ordered.append((match.start(), match.end(), "keyword", ()))
    ordered.sort()
    result, last_end = [], -1
    for token in ordered:
        if token[0] >= last_end:
            result.append(token)
            last_end = token[1]
    return result


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    index = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= offset < spans[index][1]


def semantic_tokens(analysis: Analysis) -> list[int]:
    """The LSP encoding: five integers per token, positions relative to the previous token."""
    lines = analysis.lines()
    data: list[int] = []
    previous_line = previous_start = 0
    for start, end, kind, modifiers in classified_tokens(analysis):
        begin, finish = lines.position(start), lines.position(end)
        if finish.line != begin.line:  # a token never spans lines; be safe with odd input
            continue
        delta_line = begin.line - previous_line
        delta_start = begin.character - previous_start if delta_line == 0 else begin.character
        bits = sum(1 << TOKEN_MODIFIERS.index(m) for m in set(modifiers))
        data += [delta_line, delta_start, finish.character - begin.character, TOKEN_TYPES.index(kind), bits]
        previous_line, previous_start = begin.line, begin.character
    return data
