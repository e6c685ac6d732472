"""The installed package is self-contained: the grammar and the bundled policies ship inside it,
and `bsm` works from anywhere, not only from a source checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(REPO)],
        check=True, capture_output=True, text=True,
    )
    return target


def _run(installed: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(installed))
    return subprocess.run([str(installed / "bin" / "bsm"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_data_files_are_inside_the_package(installed):
    assert (installed / "bsm_rules" / "grammar" / "bsm.lark").is_file()
    assert (installed / "bsm_rules" / "policies" / "amazon.bsm").is_file()
    assert (installed / "bsm_rules" / "policies" / "amazon-sp-api.bsm").is_file()
    assert (installed / "bsm_rules" / "diagnostic_pages" / "BSM201.md").is_file()


def test_installed_bsm_checks_with_the_bundled_policy(installed, tmp_path):
    message = tmp_path / "m.json"
    message.write_text(json.dumps({"id": "m-1", "body": "Write to jane@example.com", "subject": "Setup help"}))
    result = _run(installed, "check", "--format", "json", str(message), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout.splitlines()[0])
    assert verdict["verdict"] == "block"
    assert "no-email-address" in {v["rule"] for v in verdict["violations"]}


def test_installed_package_is_the_one_imported(installed, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(installed))
    result = subprocess.run(
        [sys.executable, "-c", "import bsm_rules.core.resources as r; print(r.bundled_policy_path()); print(r.diagnostic_page('BSM201'))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )
    for line in result.stdout.splitlines():
        assert Path(line).is_file() and Path(line).is_relative_to(installed)


def test_property_tests_need_no_extra(installed):
    """`bsm test --properties` and `bsm diff` run after a plain `pip install .`: hypothesis is a
    dependency of the package itself, not of its test extra."""
    (metadata,) = installed.glob("bsm_rules-*.dist-info/METADATA")
    requirements = [line.removeprefix("Requires-Dist: ") for line in metadata.read_text().splitlines()
                    if line.startswith("Requires-Dist: ")]
    assert any(r.startswith("hypothesis") and "extra ==" not in r for r in requirements), requirements
