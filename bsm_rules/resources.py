"""Locates the grammar and the bundled policies, in the installed package or the source tree."""

from __future__ import annotations

from pathlib import Path

__all__ = ["grammar_text", "bundled_policy_path", "bundled_policies_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """An installed package holds `grammar/` and `policies/` beside its modules; a source checkout
    (an editable install) holds them at the top of the repository."""
    installed = _PACKAGE_DIR / name
    return installed if installed.is_dir() else _PACKAGE_DIR.parent / name


def grammar_text() -> str:
    return (_data_dir("grammar") / "bsm.lark").read_text(encoding="utf-8")


def bundled_policies_dir() -> Path:
    return _data_dir("policies")


def bundled_policy_path(name: str = "amazon") -> Path:
    return bundled_policies_dir() / f"{name}.bsm"
