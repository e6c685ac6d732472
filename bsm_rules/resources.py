"""Locates the grammar and the bundled policies, in the installed package or the source tree."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["grammar_text", "bundled_policy_path", "bundled_policies_dir"]

_SOURCE_TREE = Path(__file__).resolve().parent.parent


def _package_dir(package: str, fallback: str) -> Path:
    try:
        located = Path(str(resources.files(package)))
        if located.is_dir():
            return located
    except (ModuleNotFoundError, TypeError):
        pass
    return _SOURCE_TREE / fallback


def grammar_text() -> str:
    return (_package_dir("bsm_rules.grammar", "grammar") / "bsm.lark").read_text(encoding="utf-8")


def bundled_policies_dir() -> Path:
    return _package_dir("bsm_rules.policies", "policies")


def bundled_policy_path(name: str = "amazon") -> Path:
    return bundled_policies_dir() / f"{name}.bsm"
