"""`bsm lsp`: starts the language server (package `bsm_lsp`) over standard I/O or TCP."""

from __future__ import annotations

import os
from typing import TextIO

from ..core.exit_status import EXIT_INVALID
from .common import UsageError

__all__ = ["MAX_PORT", "MIN_PORT", "add_parser", "run"]

MIN_PORT, MAX_PORT = 1, 65535  # 0 would listen on a port nobody is told


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
        host, port = _address(args.tcp)
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            return serve(tcp=(host, port))
        except OSError as error:  # the address is in use, or not one of this machine's
            # asyncio words a failed bind as a sentence of its own around the system's reason.
            reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
            print(f"bsm lsp: cannot listen on {where}: {reason}", file=err)
            return EXIT_INVALID
    return serve()


def _address(value: str) -> tuple[str, int]:
    """The host (127.0.0.1 when left out) and port of a `--tcp HOST:PORT` value."""
    host, _, port = value.rpartition(":")
    if not port.isascii() or not port.isdigit():
        raise UsageError(f"--tcp expects HOST:PORT, got {value!r}")
    if not MIN_PORT <= int(port) <= MAX_PORT:
        raise UsageError(f"--tcp {value}: the port must be from {MIN_PORT} to {MAX_PORT}")
    if host.startswith("[") and host.endswith("]"):  # an IPv6 address, as in a URL
        host = host[1:-1]
    return host or "127.0.0.1", int(port)
