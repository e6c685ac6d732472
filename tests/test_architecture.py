"""The shape of the code: the import-linter contracts of pyproject.toml hold (stages depend one
way, the language server uses only public seams, no cycles), and no module is part of an import
cycle, so that a new cycle fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bsm_rules", "bsm_lsp")


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    completed = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                               cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_is_part_of_an_import_cycle(graph):
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer or imported.split(".")[0] not in PACKAGES:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == []


def test_the_cycle_check_sees_a_new_cycle(graph):
    graph.add_import(importer="bsm_rules.core.source", imported="bsm_rules.engine.policy")
    assert graph.find_shortest_chain(importer="bsm_rules.engine.policy", imported="bsm_rules.core.source")
    graph.remove_import(importer="bsm_rules.core.source", imported="bsm_rules.engine.policy")


def test_the_architecture_document_names_every_subpackage():
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    subpackages = sorted(path.parent.name for path in (ROOT / "bsm_rules").glob("*/__init__.py"))
    assert subpackages and [name for name in subpackages if f"`{name}`" not in document] == []
