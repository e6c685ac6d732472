"""The project's exception hierarchy: the only exceptions that cross the public API."""

from __future__ import annotations

from .diagnostics import Diagnostic, render_all

__all__ = ["BsmError", "MessageError", "PolicyError"]


class BsmError(Exception):
    """Base class of every error bsm-rules raises on purpose."""


class PolicyError(BsmError):
    """A policy could not be loaded: carries every diagnostic found (errors first)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__(render_all(d for d in self.diagnostics if d.is_error) or "invalid policy")


class MessageError(BsmError):
    """A message does not fit the message model; `path` is the JSON path of the bad field."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)
