"""What policies can name and use: the registry of message fields and built-in functions, value
types, the text finders, normalisation and the HTML reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.exports import lazy_exports

if TYPE_CHECKING:
    from .html_reader import parse_html
    from .normalize import NormalizedText, normalize
    from .registry import BUILTINS, CONTEXT, FIELDS, Builtin, Field, message_vocabulary, readable
    from .schema import Type, list_of

__all__ = [
    "BUILTINS", "CONTEXT", "FIELDS", "Builtin", "Field", "NormalizedText", "Type", "list_of", "message_vocabulary",
    "normalize", "parse_html", "readable",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "schema": ("Type", "list_of"),
    "registry": ("Field", "Builtin", "FIELDS", "CONTEXT", "BUILTINS", "readable", "message_vocabulary"),
    "normalize": ("NormalizedText", "normalize"),
    "html_reader": ("parse_html",),
})
