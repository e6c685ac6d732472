"""Foundations every stage shares: source files and spans, the diagnostic type and its codes,
errors, the cache directory, packaged resources and exit statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exports import lazy_exports

if TYPE_CHECKING:
    from .codes import CODES, docs_url
    from .diagnostics import Diagnostic, Fix, Related, Severity, caret_snippet, closest_name, render, render_all
    from .errors import BsmError, MessageError, PolicyError
    from .exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
    from .resources import bundled_policies_dir, bundled_policy_path, diagnostic_page, grammar_text
    from .source import SourceFile, Span

__all__ = [
    "CODES", "EXIT_BLOCKED", "EXIT_INVALID", "EXIT_OK", "BsmError", "Diagnostic", "Fix", "MessageError", "PolicyError",
    "Related", "Severity", "SourceFile", "Span", "bundled_policies_dir", "bundled_policy_path", "caret_snippet",
    "closest_name", "diagnostic_page", "docs_url", "grammar_text", "render", "render_all",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "source": ("SourceFile", "Span"),
    "diagnostics": ("Diagnostic", "Fix", "Related", "Severity", "render", "render_all", "caret_snippet", "closest_name"),
    "codes": ("CODES", "docs_url"),
    "errors": ("BsmError", "MessageError", "PolicyError"),
    "resources": ("bundled_policy_path", "bundled_policies_dir", "diagnostic_page", "grammar_text"),
    "exit_status": ("EXIT_OK", "EXIT_BLOCKED", "EXIT_INVALID", "EXIT_INTERRUPTED", "EXIT_TERMINATED"),
})
