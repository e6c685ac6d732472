"""What every `bsm` command shares: usage errors, the argument parser that reports them instead
of exiting, colour on terminals, and loading a policy with its diagnostics shown."""

from __future__ import annotations

import argparse
import datetime
import os
from typing import TextIO

from ..core.diagnostics import render
from ..core.errors import MessageError, PolicyError
from ..messages.model import parse_timestamp

__all__ = ["ArgumentParser", "UsageError", "add_include_path", "load_or_report", "parse_now", "use_color"]


class UsageError(Exception):
    """The command was misused: the message is printed and the exit status is `EXIT_INVALID`."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse would exit; main() returns instead
        raise UsageError(f"{self.prog}: {message}")


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def parse_now(value: str | None, flag: str = "--now") -> datetime.datetime | None:
    """The time a `--now` option names, or None when it is not given."""
    if not value:
        return None
    try:
        return parse_timestamp(value, flag)
    except MessageError as error:
        raise UsageError(str(error)) from None


def add_include_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--include-path", dest="include_paths", action="append", default=[], metavar="DIR",
                        help="a folder policies may include files from, besides their own (repeatable)")


def load_or_report(policy_arg: str | None, err: TextIO, include_paths=(), option: str = "--policy"):
    """The policy `policy_arg` names (None: the bundled one), or None after printing its errors."""
    from ..engine.policy import load_policy

    if policy_arg is not None and not policy_arg.strip():
        raise UsageError(f"{option} is empty: name a policy file, bundled:NAME, or give policy text")
    try:
        policy = load_policy(policy_arg, include_paths)
    except PolicyError as error:
        color = use_color(err)
        for diagnostic in error.diagnostics:
            print(render(diagnostic, color), file=err, end="\n\n")
        errors = sum(1 for d in error.diagnostics if d.is_error)
        print(f"bsm: the policy has {errors} error(s); nothing was checked", file=err)
        return None
    return policy
