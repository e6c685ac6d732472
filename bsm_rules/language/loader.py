"""Finds and reads policy files and resolves `include`s (relative paths and `bundled:NAME`),
reporting missing files and include cycles at the include statement."""

from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .checker import PolicyUnit
from ..core.diagnostics import Diagnostic, Related, Severity
from .parser import parse_source
from ..core.resources import bundled_policy_path
from ..core.source import SourceFile

__all__ = ["describe_read_error", "load_units", "policy_files", "read_source", "resolve_include", "unreadable_diagnostic"]


def read_source(path: Path | str) -> SourceFile:
    """Read a policy file as UTF-8 (a BOM is dropped); raises OSError / UnicodeDecodeError."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    return SourceFile(str(path), text.replace("\r\n", "\n"))


def policy_files(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """The policy files named by `paths` (directories give their `*.bsm` files, recursively, in
    name order); a path that does not exist gets a BSM001 diagnostic."""
    files: list[str] = []
    missing: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(str(found) for found in sorted(Path(path).rglob("*.bsm")) if found.is_file())
        elif os.path.exists(path):
            files.append(path)
        else:
            missing.append(unreadable_diagnostic(path, "no such file or directory"))
    return list(dict.fromkeys(files)), missing


def describe_read_error(error: OSError | UnicodeDecodeError) -> str:
    """Why a policy file could not be read, in words that follow its name."""
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return (getattr(error, "strerror", None) or str(error)).lower()


def unreadable_diagnostic(path: str, reason: str) -> Diagnostic:
    return Diagnostic("BSM001", Severity.ERROR, f"cannot read policy {path}: {reason}", SourceFile(path, "").span(0, 0))


def resolve_include(target: str, including: str) -> Path:
    if target.startswith("bundled:"):
        return bundled_policy_path(target.removeprefix("bundled:").removesuffix(".bsm"))
    base = Path(including).parent if including and not including.startswith("<") else Path.cwd()
    return (base / target).resolve()


def load_units(source: SourceFile, overlay: dict[str, str] | None = None,
               parse=parse_source) -> tuple[list[PolicyUnit], list[Diagnostic]]:
    """Parse a policy and everything it includes; included files come first, the main file last.
    `overlay` maps resolved paths to unsaved text and `parse` may reuse earlier parses (both used
    by the language server)."""
    units: list[PolicyUnit] = []
    diagnostics: list[Diagnostic] = []
    loaded: set[str] = set()

    def visit(current: SourceFile, stack: list[tuple[str, ast.Include | None]], included: bool) -> None:
        policy, syntax = parse(current)
        diagnostics.extend(syntax)
        for statement in policy.statements:
            if not isinstance(statement, ast.Include):
                continue
            target = resolve_include(statement.path.value, current.name)
            key = str(target)
            if key in [name for name, _ in stack] or key == _key(current.name):
                names = [name for name, _ in stack]
                first = names.index(key) if key in names else 0
                cycle = " → ".join([Path(name).name for name in names[first:]] + [Path(key).name])
                opening = stack[first + 1][1] if first + 1 < len(stack) else None
                diagnostics.append(Diagnostic(
                    "BSM210", Severity.ERROR, f"include cycle: {cycle}", statement.path.span,
                    label="includes a file that is already being included",
                    related=(Related("the cycle starts with this include", opening.path.span),) if opening else (),
                    notes=("help: remove one of the includes; a policy cannot include itself",),
                ))
                continue
            if key in loaded:
                continue
            try:
                if overlay and key in overlay:
                    included_source = SourceFile(key, overlay[key])
                else:
                    included_source = read_source(target)
                    included_source = SourceFile(key, included_source.text)
            except (OSError, UnicodeDecodeError) as error:
                reason = "is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else "was not found"
                diagnostics.append(Diagnostic(
                    "BSM209", Severity.ERROR, f"included file {statement.path.value!r} {reason}",
                    statement.path.span, label=str(target),
                    notes=("note: include paths are relative to the including file; `bundled:amazon` names a bundled policy",),
                ))
                continue
            loaded.add(key)
            visit(included_source, stack + [(key, statement)], True)
        units.append(PolicyUnit(policy, current.name, included, syntax_errors=bool(syntax)))

    visit(source, [(_key(source.name), None)], False)
    return units, diagnostics


def _key(name: str) -> str:
    if name.startswith("<"):
        return name
    return str(Path(name).resolve())

