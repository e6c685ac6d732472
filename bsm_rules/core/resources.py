"""Locates the grammar, the bundled policies and the diagnostic pages, in the installed package or
the source tree."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_policies_dir", "bundled_policy_path", "diagnostic_page", "grammar_text"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # bsm_rules/


def _data_dir(packaged: str, in_checkout: str) -> Path:
    """An installed package holds its data beside its modules (`grammar/`, `policies/`,
    `diagnostic_pages/`); a source checkout (an editable install) holds it in the repository."""
    installed = _PACKAGE_DIR / packaged
    return installed if installed.is_dir() else _PACKAGE_DIR.parent / in_checkout


def grammar_text() -> str:
    return (_data_dir("grammar", "grammar") / "bsm.lark").read_text(encoding="utf-8")


def bundled_policies_dir() -> Path:
    return _data_dir("policies", "policies")


def bundled_policy_path(name: str = "amazon") -> Path:
    return bundled_policies_dir() / f"{name}.bsm"


def diagnostic_page(code: str) -> Path:
    """The page explaining a diagnostic code (`docs/diagnostics/<code>.md` in the repository)."""
    return _data_dir("diagnostic_pages", "docs/diagnostics") / f"{code}.md"
