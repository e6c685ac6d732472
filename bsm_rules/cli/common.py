"""What every `bsm` command shares: usage errors, the argument parser that reports them instead
of exiting, colour on terminals, and loading a policy with its diagnostics shown."""

from __future__ import annotations

import argparse
import datetime
import os
import re
from typing import NoReturn, TextIO

from ..core.diagnostics import closest_name, render
from ..core.errors import MessageError, PolicyError
from ..messages.model import parse_timestamp

__all__ = ["ArgumentParser", "UsageError", "add_include_path", "load_or_report", "parse_now", "suggest", "use_color"]


class UsageError(Exception):
    """The command was misused: the message is printed and the exit status is `EXIT_INVALID`."""


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser that raises `UsageError` instead of exiting, and suggests the option or
    command a misspelt one was meant to be."""

    def __init__(self, *args, **kwargs) -> None:
        self.option_names: list[str] = []  # before argparse adds --help
        super().__init__(*args, **kwargs)

    def add_argument(self, *names, **kwargs):
        self.option_names.extend(name for name in names if isinstance(name, str) and name.startswith("-"))
        return super().add_argument(*names, **kwargs)

    def error(self, message: str) -> NoReturn:  # argparse would exit; main() returns instead
        raise UsageError(f"{self.prog}: {message}")


def suggest(message: str, options: list[str], commands: list[str]) -> str:
    """A usage error with "did you mean" added for misspelt options and commands."""
    hints = []
    unrecognized = re.search(r"unrecognized arguments: (.*)$", message)
    for word in unrecognized.group(1).split() if unrecognized else ():
        meant = closest_name(word.split("=", 1)[0], options) if word.startswith("--") else None
        if meant:
            hints.append(f"`{word}`: did you mean `{meant}`?")
    choice = re.search(r"invalid choice: '([^']*)'", message)
    if choice:
        meant = closest_name(choice.group(1), commands)
        if meant:
            hints.append(f"did you mean `{meant}`?")
    return message + "".join(f"\n  help: {hint}" for hint in hints)


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
