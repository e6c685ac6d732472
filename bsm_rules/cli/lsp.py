"""`bsm lsp`: starts the language server (package `bsm_lsp`) over standard I/O or TCP."""

from __future__ import annotations

from typing import TextIO

from ..core.exit_status import EXIT_INVALID
from .common import UsageError

__all__ = ["add_parser", "run"]


def add_parser(commands) -> None:
    """Adds `bsm lsp` and its options to the command parser."""
    lsp = commands.add_parser("lsp", help="run the language server (stdio by default)")
    lsp.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    lsp.set_defaults(handler=run)


def run(args, out: TextIO, err: TextIO) -> int:
    try:
        from bsm_lsp.server import serve
    except ImportError as error:
        print(f"bsm lsp: the language server is not installed ({error})", file=err)
        return EXIT_INVALID
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            raise UsageError(f"--tcp expects HOST:PORT, got {args.tcp!r}")
        return serve(tcp=(host or "127.0.0.1", int(port)))
    return serve()
