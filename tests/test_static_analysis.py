"""mypy and ruff find nothing in the package and the language server, with the configuration in
pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECKS = {
    "mypy": [sys.executable, "-m", "mypy"],  # the files and options are in [tool.mypy]
    "ruff": [sys.executable, "-m", "ruff", "check", "bsm_rules", "lsp/bsm_lsp"],
}


@pytest.mark.parametrize("tool", sorted(CHECKS))
def test_static_analysis_finds_nothing(tool: str) -> None:
    completed = subprocess.run(CHECKS[tool], cwd=ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, (
        f"{tool} exited with {completed.returncode}:\n{completed.stdout}{completed.stderr}")
