"""`bsm lint` output: the diagnostics of policy files as text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import TextIO

from .diagnostics import Diagnostic, render
from .errors import PolicyError

__all__ = ["lint_paths", "run_lint", "to_sarif"]


def lint_paths(paths: list[str]) -> list[Diagnostic]:
    from .policy import check_policy

    diagnostics: list[Diagnostic] = []
    for path in paths:
        try:
            diagnostics.extend(check_policy(path).diagnostics)
        except PolicyError as error:
            diagnostics.extend(error.diagnostics)
    unique = {}
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.span.source.name, diagnostic.span.start, diagnostic.message)
        unique.setdefault(key, diagnostic)
    return sorted(unique.values(), key=lambda d: (d.span.source.name, d.span.start))


def to_sarif(diagnostics: list[Diagnostic]) -> dict:
    from . import __version__

    levels = {"error": "error", "warning": "warning", "info": "note"}
    codes = sorted({d.code for d in diagnostics})
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bsm", "version": __version__, "informationUri": "https://example.invalid/bsm-rules",
                "rules": [{"id": code, "helpUri": f"docs/diagnostics/{code}.md"} for code in codes],
            }},
            "results": [{
                "ruleId": d.code,
                "level": levels[d.severity.value],
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": d.span.source.name},
                    "region": {"startLine": d.span.line, "startColumn": d.span.column,
                               "endLine": d.span.end_line, "endColumn": d.span.end_column},
                }}],
            } for d in diagnostics],
        }],
    }


def run_lint(args, out: TextIO, err: TextIO) -> int:
    diagnostics = lint_paths(args.paths)
    if args.format == "json":
        out.write(json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False) + "\n")
    elif args.format == "sarif":
        out.write(json.dumps(to_sarif(diagnostics), indent=2, ensure_ascii=False) + "\n")
    else:
        color = out.isatty()
        for diagnostic in diagnostics:
            print(render(diagnostic, color), file=out, end="\n\n")
        errors = sum(d.is_error for d in diagnostics)
        print(f"{len(args.paths)} file(s): {errors} error(s), {len(diagnostics) - errors} other finding(s)", file=out)
    failing = {"error": ("error",), "warning": ("error", "warning")}[args.fail_on]
    return 1 if any(d.severity.value in failing for d in diagnostics) else 0
