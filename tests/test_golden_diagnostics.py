"""Golden tests of rendered diagnostics (carets, codes, labels, notes, fixes) for syntax errors,
checker errors and lint findings: `tests/golden/<family>/<case>.bsm` → `<case>.out`."""

from __future__ import annotations

import pytest

from bsm_rules.core.diagnostics import render_all
from bsm_rules.language.loader import read_source
from bsm_rules.language.pipeline import check_source

from golden_support import assert_golden, cases, relative


def rendered(path) -> str:
    checked = check_source(read_source(path))
    return relative(render_all(checked.diagnostics)) + "\n"


@pytest.mark.parametrize("path", cases("syntax") + cases("checker") + cases("lint"),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rendered_diagnostics_match_golden(path):
    assert_golden(path.with_suffix(".out"), rendered(path))


@pytest.mark.parametrize("family", ["syntax", "checker", "lint"])
def test_every_golden_case_reports_something(family):
    for path in cases(family):
        assert check_source(read_source(path)).diagnostics, f"{path.name} reports nothing"
