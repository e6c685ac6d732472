"""`bsm compile`: prints the Python source that a policy's rules are compiled to (the generated
rule runner), exactly as it runs and as tracebacks and profilers show its lines."""

from __future__ import annotations

from typing import TextIO

from ..core.exit_status import EXIT_INVALID, EXIT_OK
from .common import add_include_path, load_or_report

__all__ = ["add_parser", "run"]


def add_parser(commands) -> None:
    """Adds `bsm compile` and its options to the command parser."""
    compile_ = commands.add_parser("compile", help="print the Python source that a policy's rules compile to")
    compile_.add_argument("--policy",
                          help="policy file, bundled:NAME or policy text (default: the bundled Amazon policy)")
    add_include_path(compile_)
    compile_.set_defaults(handler=run)


def run(args, out: TextIO, err: TextIO) -> int:
    policy = load_or_report(args.policy, err, args.include_paths)
    if policy is None:
        return EXIT_INVALID
    out.write(policy.compiled.runner_source)
    return EXIT_OK
