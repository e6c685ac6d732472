"""The `bsm` command line: one module per command, each adding its parser and running it;
`main(argv) -> int` returns one of the exit statuses of `core.exit_status`."""

from __future__ import annotations

import signal
import sys
from typing import TextIO

from ..core.exit_status import EXIT_BLOCKED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, EXIT_TERMINATED
from . import check, compile, diff, fmt, lint, lsp, test
from .common import ArgumentParser, UsageError, suggest

__all__ = ["EXIT_BLOCKED", "EXIT_INVALID", "EXIT_OK", "main", "run"]

COMMANDS = (check, lint, fmt, lsp, test, diff, compile)


def _build_parser() -> tuple[ArgumentParser, dict[str, ArgumentParser]]:
    """The `bsm` parser and the parser of each command by name."""
    parser = ArgumentParser(prog="bsm", description="Check Amazon Buyer-Seller messages against bsm policies.")
    parser.add_argument("--version", action="version", version=f"bsm {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser, dict(commands.choices)


def _usage_error(message: str, argv: list[str], parser: ArgumentParser, commands: dict[str, ArgumentParser]) -> str:
    """The message of a usage error, with the option or command a misspelt one was meant to be."""
    command = next((commands[word] for word in argv if word in commands), None)
    options = parser.option_names + (command.option_names if command is not None else [])
    return suggest(message, options, list(commands))


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    for stream in (out, err):
        # JSON text may hold lone surrogates (`"\ud800"`); they are written as that escape, which
        # keeps JSON output valid, instead of failing the whole run.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser, commands = _build_parser()
    argv = sys.argv[1:] if argv is None else argv
    try:
        try:
            args = parser.parse_args(argv)
        except UsageError as error:
            raise UsageError(_usage_error(str(error), argv, parser, commands)) from None
        if not getattr(args, "handler", None):
            parser.print_help(err)
            return EXIT_INVALID
        return args.handler(args, out, err)
    except UsageError as error:
        print(f"{error}", file=err)
        return EXIT_INVALID
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Terminated:
        return EXIT_TERMINATED


class Terminated(BaseException):  # like KeyboardInterrupt, not caught as an error of one message
    """SIGTERM arrived: the command stops as on Ctrl-C, cleaning up (worker processes, output)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def run() -> None:
    """The `bsm` program: `main` with SIGTERM turned into an orderly stop."""
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())

