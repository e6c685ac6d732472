"""The core's diagnostics as LSP diagnostics, in the client's position units."""

from __future__ import annotations

import functools
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from bsm_rules.core import Diagnostic, Severity, diagnostic_page
from bsm_rules.language import ast, resolve_include

from .analysis import Analysis

__all__ = ["SEVERITIES", "to_lsp", "to_lsp_diagnostics", "uri_of"]

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

_UNNECESSARY = {"BSM501"}


def uri_of(path: str, analysis: Analysis) -> str:
    """The URI of a file a policy reads (the document's own URI for the document)."""
    if path == analysis.path or path.startswith("<"):
        return analysis.uri
    return from_fs_path(path) or analysis.uri


@functools.cache
def _code_description(code: str) -> types.CodeDescription | None:
    """A link to the page explaining the code (looked up once per code)."""
    page = diagnostic_page(code)
    return types.CodeDescription(href=page.as_uri()) if page.is_file() else None


def _message(diagnostic: Diagnostic) -> str:
    return "\n".join((diagnostic.message, *diagnostic.notes))


def to_lsp(diagnostic: Diagnostic, analysis: Analysis) -> types.Diagnostic:
    lines = analysis.lines()
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri_of(r.span.source.name, analysis),
                                    range=analysis.lines(r.span.source.name).span_range(r.span)),
            message=r.message)
        for r in diagnostic.related
    ]
    return types.Diagnostic(
        range=lines.span_range(diagnostic.span),
        message=_message(diagnostic),
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=_code_description(diagnostic.code),
        source="bsm",
        related_information=related or None,
        tags=[types.DiagnosticTag.Unnecessary] if diagnostic.code in _UNNECESSARY else None,
    )


def to_lsp_diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    """The document's own diagnostics, plus one at each `include` whose file has errors."""
    result = [to_lsp(d, analysis) for d in analysis.own_diagnostics()]
    result.extend(_included_errors(analysis))
    return result


def _included_errors(analysis: Analysis) -> list[types.Diagnostic]:
    unit = analysis.unit
    if unit is None:
        return []
    errors: dict[str, list[Diagnostic]] = {}
    for diagnostic in analysis.checked.diagnostics:
        if diagnostic.is_error and diagnostic.span.source.name != analysis.path:
            errors.setdefault(diagnostic.span.source.name, []).append(diagnostic)
    found = []
    for statement in unit.ast.statements:
        if not isinstance(statement, ast.Include):
            continue
        try:
            target = str(resolve_include(statement.path.value, analysis.path))
        except (OSError, ValueError):
            continue
        problems = errors.get(target)
        if not problems:
            continue
        first = problems[0]
        found.append(types.Diagnostic(
            range=analysis.lines().span_range(statement.path.span),
            message=f"the included policy has {len(problems)} error(s); first: "
                    f"{Path(target).name}:{first.span.line}:{first.span.column}: {first.message}",
            severity=types.DiagnosticSeverity.Error,
            code=first.code,
            source="bsm",
            related_information=[types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri_of(target, analysis),
                                        range=analysis.lines(target).span_range(first.span)),
                message=first.message)],
        ))
    return found
