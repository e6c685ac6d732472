"""bsm-rules: a policy language, compiler and checker for Amazon Buyer-Seller Messaging."""

from __future__ import annotations

import importlib

__all__ = [
    "BsmError", "Diagnostic", "MessageError", "Policy", "PolicyError", "Severity", "Verdict",
    "Violation", "check_policy", "load_policy", "parse", "render",
]
__version__ = "0.1.0"

# Imported on first use, so that tools needing only the parser start fast.
_HOMES = {
    "BsmError": "errors", "MessageError": "errors", "PolicyError": "errors",
    "Diagnostic": "diagnostics", "Severity": "diagnostics", "render": "diagnostics",
    "parse": "parser", "Policy": "policy", "check_policy": "policy", "load_policy": "policy",
    "Verdict": "verdict", "Violation": "verdict",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'bsm_rules' has no attribute {name!r}")
