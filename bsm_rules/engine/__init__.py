"""Evaluation: value operations, the expression compiler and prefilter, code generation of the
rule runner, traces, verdicts, the `Policy` facade and batch evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.exports import lazy_exports

if TYPE_CHECKING:
    from .compiler import CompiledPolicy, compile_policy
    from .policy import Policy, check_policy, load_policy
    from .trace import explain_rule
    from .verdict import Verdict, Violation

__all__ = [
    "CompiledPolicy", "Policy", "Verdict", "Violation", "check_policy", "compile_policy",
    "explain_rule", "load_policy",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "policy": ("Policy", "load_policy", "check_policy"),
    "compiler": ("CompiledPolicy", "compile_policy"),
    "verdict": ("Verdict", "Violation"),
    "trace": ("explain_rule",),
})
