"""bsm-rules: a policy language, compiler and checker for Amazon Buyer-Seller Messaging."""

from __future__ import annotations

import importlib

__all__ = [
    "BsmError", "Diagnostic", "MessageError", "Policy", "PolicyError", "Verdict", "Violation",
    "check", "load_policy", "parse",
]
__version__ = "0.1.0"

# Imported on first use, so that tools needing only the parser start fast. `check` is the
# public name of `policy.check_policy` (the checker stage itself works on parsed units).
_HOMES = {
    "BsmError": ("core.errors", "BsmError"), "MessageError": ("core.errors", "MessageError"),
    "PolicyError": ("core.errors", "PolicyError"), "Diagnostic": ("core.diagnostics", "Diagnostic"),
    "Severity": ("core.diagnostics", "Severity"), "render": ("core.diagnostics", "render"),
    "parse": ("language.parser", "parse"), "Policy": ("engine.policy", "Policy"), "check": ("engine.policy", "check_policy"),
    "check_policy": ("engine.policy", "check_policy"), "load_policy": ("engine.policy", "load_policy"),
    "Verdict": ("engine.verdict", "Verdict"), "Violation": ("engine.verdict", "Violation"),
}


def __getattr__(name: str):
    if name in _HOMES:
        module, attribute = _HOMES[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'bsm_rules' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
