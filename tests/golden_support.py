"""Golden-file comparison for rendered diagnostics and formatter output: the test fails on any
difference; `BSM_UPDATE_GOLDEN=1 python -m pytest …` rewrites the expected files instead."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BSM_UPDATE_GOLDEN") == "1"


def cases(kind: str) -> list[Path]:
    """The policy files of one golden family (`tests/golden/<kind>/*.bsm`)."""
    return sorted((GOLDEN_DIR / kind).glob("*.bsm"))


def relative(text: str) -> str:
    """Machine-independent output: paths shown relative to tests/golden."""
    return text.replace(str(GOLDEN_DIR.resolve()) + os.sep, "").replace(str(GOLDEN_DIR) + os.sep, "")


def assert_golden(expected_path: Path, actual: str) -> None:
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
        return
    assert expected_path.exists(), f"{expected_path} is missing: run with BSM_UPDATE_GOLDEN=1 to create it"
    expected = expected_path.read_text(encoding="utf-8")
    assert actual == expected, f"{expected_path.name} differs from the output (BSM_UPDATE_GOLDEN=1 to accept)"
