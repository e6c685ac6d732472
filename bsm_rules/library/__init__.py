"""What policies can name and use: message fields, built-in functions, value types, the text
finders, normalisation and the HTML reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.exports import lazy_exports

if TYPE_CHECKING:
    from .schema import Type, Field, Builtin, FIELDS, CONTEXT, BUILTINS, list_of
    from .normalize import NormalizedText, normalize
    from .html_reader import parse_html

__all__ = [
    "BUILTINS", "Builtin", "CONTEXT", "FIELDS", "Field", "NormalizedText", "Type", "list_of",
    "normalize", "parse_html",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "schema": ("Type", "Field", "Builtin", "FIELDS", "CONTEXT", "BUILTINS", "list_of"),
    "normalize": ("NormalizedText", "normalize"),
    "html_reader": ("parse_html",),
})
