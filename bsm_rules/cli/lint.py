"""`bsm lint`: the diagnostics of policy files and directories, as text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from ..core.codes import CODES, docs_url
from ..core.diagnostics import Diagnostic, render
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..language.loader import describe_read_error, policy_files, unreadable_diagnostic
from .common import add_include_path, use_color

__all__ = ["LintRun", "lint_paths", "run_lint", "to_sarif"]

class LintRun:
    """What linting some paths found: the files read, their diagnostics, and the unreadable ones."""

    def __init__(self, files: list[str], diagnostics: list[Diagnostic], unreadable: list[str]):
        self.files = files
        self.diagnostics = diagnostics
        self.unreadable = unreadable


def lint_paths(paths: list[str], include_paths=()) -> LintRun:
    """Check and lint every policy file under `paths`; one bad file never stops the others."""
    from ..language.loader import read_source
    from ..language.pipeline import check_source

    files, diagnostics = policy_files(paths)
    unreadable = [d.span.source.name for d in diagnostics]
    for path in files:
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError) as error:
            diagnostics.append(unreadable_diagnostic(path, describe_read_error(error)))
            unreadable.append(path)
            continue
        diagnostics.extend(check_source(source, include_paths=include_paths).diagnostics)
    unique: dict[tuple, Diagnostic] = {}
    for diagnostic in diagnostics:  # a file included by several linted files is reported once
        key = (diagnostic.code, _resolved(diagnostic.span.source.name), diagnostic.span.start, diagnostic.message)
        unique.setdefault(key, diagnostic)
    ordered = sorted(unique.values(), key=lambda d: (d.span.source.name, d.span.start, d.code))
    return LintRun(files, ordered, unreadable)


def _resolved(name: str) -> str:
    return name if name.startswith("<") else os.path.realpath(name)


def _uri(name: str) -> str:
    """A relative URI for files under the working directory (as code scanning expects), else a
    file URI."""
    path = Path(name).resolve()
    try:
        return quote(path.relative_to(Path.cwd().resolve()).as_posix())
    except ValueError:
        return path.as_uri()


def _region(span) -> dict:
    return {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line, "endColumn": span.end_column}


def _location(span, message: str | None = None) -> dict:
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": _uri(span.source.name)}, "region": _region(span)}}
    if message:
        location["message"] = {"text": message}
    return location


def _sarif_result(diagnostic: Diagnostic, rule_index: dict[str, int]) -> dict:
    text = diagnostic.message + "".join(f"\n{note}" for note in diagnostic.notes)
    result: dict = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index[diagnostic.code],
        "level": {"error": "error", "warning": "warning", "info": "note"}[diagnostic.severity.value],
        "message": {"text": text},
        "locations": [_location(diagnostic.span, diagnostic.label or None)],
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": index, **_location(related.span, related.message)} for index, related in enumerate(diagnostic.related)
        ]
    if diagnostic.fixes:
        result["fixes"] = [{
            "description": {"text": fix.title},
            "artifactChanges": [{
                "artifactLocation": {"uri": _uri(fix.span.source.name)},
                "replacements": [{"deletedRegion": _region(fix.span), "insertedContent": {"text": fix.replacement}}],
            }],
        } for fix in diagnostic.fixes]
    return result


def to_sarif(diagnostics: list[Diagnostic]) -> dict:
    """A SARIF 2.1.0 log of one run (GitHub code scanning reads it). Columns count code points."""
    from .. import __version__

    codes = sorted({d.code for d in diagnostics})
    rule_index = {code: index for index, code in enumerate(codes)}
    return {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bsm",
                "version": __version__,
                "rules": [{
                    "id": code,
                    "name": code,
                    "shortDescription": {"text": CODES.get(code, code)},
                    "help": {"text": f"{code}: {CODES.get(code, code)}. Explained with examples in {docs_url(code)}."},
                } for code in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "results": [_sarif_result(d, rule_index) for d in diagnostics],
        }],
    }


def add_parser(commands) -> None:
    """Adds `bsm lint` and its options to the command parser."""
    lint = commands.add_parser("lint", help="report problems in policy files")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm files")
    lint.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="sarif: a SARIF 2.1.0 log for code scanning")
    lint.add_argument("--fail-on", choices=("error", "warning"), default="error",
                      help="exit 1 on errors (default), or on warnings too")
    add_include_path(lint)
    lint.set_defaults(handler=run)


def run(args, out: TextIO, err: TextIO) -> int:
    return run_lint(args, out, err, args.format == "text" and use_color(out))


def run_lint(args, out: TextIO, err: TextIO, color: bool) -> int:

    run = lint_paths(args.paths, args.include_paths)
    diagnostics = run.diagnostics
    if args.format == "json":
        out.write(json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False) + "\n")
    elif args.format == "sarif":
        out.write(json.dumps(to_sarif(diagnostics), indent=2, ensure_ascii=False) + "\n")
    else:
        for diagnostic in diagnostics:
            print(render(diagnostic, color), file=out, end="\n\n")
        errors = sum(d.is_error for d in diagnostics)
        print(f"{len(run.files)} file(s) checked: {errors} error(s), {len(diagnostics) - errors} warning(s) or note(s)",
              file=out)
    if run.unreadable:
        for path in run.unreadable:
            print(f"bsm lint: cannot read {path}", file=err)
        return EXIT_INVALID
    failing = {"error": ("error",), "warning": ("error", "warning")}[args.fail_on]
    return EXIT_BLOCKED if any(d.severity.value in failing for d in diagnostics) else EXIT_OK
