"""Message templates of rules (`message "… {match} …"`): the placeholders they name and where
each placeholder stands in the policy text."""

from __future__ import annotations

import string

from ..core.source import Span
from . import ast

__all__ = ["placeholder_span", "template_fields"]

_FORMATTER = string.Formatter()


def template_fields(template: str) -> list[str]:
    """Placeholder names of a message template (`{match}`, `{recipient.language}`)."""
    try:
        return [name for _, name, _, _ in _FORMATTER.parse(template) if name is not None]
    except ValueError:
        return ["{"]


def placeholder_span(literal: ast.StringLit, text: str, skip: int = 0) -> Span:
    """The span of `{text…` inside a string literal's source (from `skip` characters into
    `text`), or the whole literal when escapes make it hard to find."""
    raw = literal.span.text
    index = raw.find("{" + text)
    if index < 0:
        return literal.span
    start = literal.span.start + index + 1 + skip
    return Span(literal.span.source, start, literal.span.start + index + 1 + len(text))
