"""Every diagnostic code has a page in docs/diagnostics/ whose "wrong" example produces the code and
whose "right" example does not; every code the tools emit is in the registry."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from bsm_rules import cli
from bsm_rules.language import lints
from bsm_rules.core.codes import CODES
from bsm_rules.language.loader import read_source
from bsm_rules.language.pipeline import check_source

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "diagnostics"
SOURCES = [*(ROOT / "bsm_rules").rglob("*.py"), *(ROOT / "lsp" / "bsm_lsp").glob("*.py")]
EXAMPLE = re.compile(r"^## (Wrong|Right)\n\n```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples(code: str) -> dict[str, tuple[str, str]]:
    text = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    return {kind.lower(): (language, body) for kind, language, body in EXAMPLE.findall(text)}


def codes_produced(language: str, body: str, directory: Path, monkeypatch) -> set[str]:
    """The codes reported for a policy example (saved as policy.bsm, treated as a bundled policy
    so that BSM507 can show) or for `$ bsm …` command lines, run in the repository (whose test data
    they may name)."""
    monkeypatch.chdir(directory if language == "bsm" else ROOT)
    monkeypatch.setattr(lints, "bundled_policies_dir", lambda: directory)
    if language == "bsm":
        path = directory / "policy.bsm"
        path.write_text(body, encoding="utf-8")
        return {d.code for d in check_source(read_source(path)).diagnostics}
    assert language == "console"
    found: set[str] = set()
    for line in body.splitlines():
        if line.startswith("$ bsm "):
            out, err = io.StringIO(), io.StringIO()
            cli.main(shlex.split(line)[2:] + ["--format", "json"], out, err)
            found |= set(re.findall(r"BSM\d{3}", out.getvalue() + err.getvalue()))
    return found


def test_every_code_has_a_page_and_every_page_a_code():
    pages = {path.stem for path in DOCS.glob("*.md")} - {"README"}
    assert sorted(set(CODES) - pages) == [], "codes without a page"
    assert sorted(pages - set(CODES)) == [], "pages without a code"


def test_the_index_lists_every_code_with_its_title():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^- \[(BSM\d{3})\]\(\1\.md\): (.+)$", index, re.MULTILINE)
    assert listed == list(CODES.items())


@pytest.mark.parametrize("code", sorted(CODES))
def test_page_examples_show_the_code(code, tmp_path, monkeypatch):
    page = DOCS / f"{code}.md"
    if not page.exists():
        pytest.fail(f"{code} has no page")
    assert page.read_text(encoding="utf-8").startswith(f"# {code}: {CODES[code]}\n")
    found = examples(code)
    assert set(found) == {"wrong", "right"}, f"{page.name} needs a Wrong and a Right example"
    (tmp_path / "wrong").mkdir()
    (tmp_path / "right").mkdir()
    assert code in codes_produced(*found["wrong"], tmp_path / "wrong", monkeypatch)
    assert code not in codes_produced(*found["right"], tmp_path / "right", monkeypatch)


def test_every_code_in_the_sources_is_registered():
    emitted = set()
    for path in SOURCES:
        emitted |= set(re.findall(r"\"(BSM\d{3})\"", path.read_text(encoding="utf-8")))
    assert emitted, "no codes found: the search is broken"
    assert sorted(emitted - set(CODES)) == []


def test_docs_url_points_at_the_page():
    from bsm_rules.core.codes import docs_url

    for code in CODES:
        assert (ROOT / docs_url(code)).exists()
