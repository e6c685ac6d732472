"""`bsm fmt`: rewrites policy files in the canonical layout, or shows what would change."""

from __future__ import annotations

import difflib
import os
from typing import TextIO

from ..core.diagnostics import render
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from .common import use_color

__all__ = ["add_parser", "run"]


def add_parser(commands) -> None:
    """Adds `bsm fmt` and its options to the command parser."""
    fmt = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm files")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 and list files that would change")
    fmt.add_argument("--diff", action="store_true",
                     help="change nothing; print the changes as a unified diff (with --check, the list goes to stderr)")
    fmt.set_defaults(handler=run)


def run(args, out: TextIO, err: TextIO) -> int:
    from ..language.formatter import format_policy
    from ..language.loader import policy_files, read_source
    from ..language.parser import parse_source

    status = EXIT_OK
    changed: list[str] = []
    report = err if args.diff else out  # with --check --diff, standard output is only the patch
    files, missing = policy_files(args.paths)
    for diagnostic in missing:
        print(f"bsm fmt: {diagnostic.message}", file=err)
        status = EXIT_INVALID
    for path in files:
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else getattr(error, "strerror", None) or error
            print(f"bsm fmt: cannot read {path}: {reason}", file=err)
            status = EXIT_INVALID
            continue
        policy, syntax = parse_source(source)
        if syntax:
            for diagnostic in syntax:
                print(render(diagnostic, use_color(err)), file=err, end="\n\n")
            print(f"bsm fmt: {path}: not formatted, it has syntax errors", file=err)
            status = EXIT_INVALID
            continue
        formatted = format_policy(policy)
        if formatted == source.text:
            continue
        changed.append(path)
        if args.diff:
            before, after = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
            out.writelines(difflib.unified_diff(source.text.splitlines(True), formatted.splitlines(True), before, after))
        if args.check:
            print(f"would reformat {path}", file=report)
        elif not args.diff:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(formatted)
            print(f"reformatted {path}", file=out)
    if args.check or not args.diff:
        verb = "would be reformatted" if args.check else "reformatted"
        print(f"{len(changed)} file(s) {verb}, {len(files) - len(changed)} left unchanged", file=report)
    if (args.check or args.diff) and changed and status == EXIT_OK:
        return EXIT_BLOCKED
    return status
