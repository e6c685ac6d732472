"""The checking stage, from policy text to a checked policy: load (parse and resolve includes),
check, check the examples, lint, and drop what is suppressed, keeping every diagnostic found."""

from __future__ import annotations

import os
from collections.abc import Sequence

import attrs

from ..core.diagnostics import Diagnostic
from ..core.source import SourceFile
from .checker import CheckedPolicy, PolicyUnit, check, in_source_order
from .examples import check_examples, vocabulary_of
from .lints import lint, suppress
from .loader import load_units
from .parser import parse_source

__all__ = ["check_source", "check_units"]


def check_units(units: list[PolicyUnit], load_diagnostics: list[Diagnostic] | None = None) -> CheckedPolicy:
    """Check parsed units (included files first, the main file last) with the diagnostics found
    while loading them."""
    checked = check(units)
    examples = check_examples([unit for unit in units if not unit.syntax_errors], vocabulary_of(checked))
    found = in_source_order([*(load_diagnostics or ()), *checked.diagnostics, *examples], units)
    checked = attrs.evolve(checked, diagnostics=tuple(found))
    return attrs.evolve(checked, diagnostics=tuple(suppress(found + lint(checked), units)))


def check_source(source: SourceFile, overlay: dict[str, str] | None = None, parse=None,
                 include_paths: Sequence[str | os.PathLike] = ()) -> CheckedPolicy:
    """Parse and check a policy, including what it includes; never raises on bad policy text.
    `include_paths` are folders besides the policy's own that includes may read from; `overlay`
    maps resolved paths to unsaved text and `parse` replaces the parser (the language server
    passes one that caches)."""
    units, diagnostics = load_units(source, overlay, parse or parse_source, include_paths)
    return check_units(units, diagnostics)
