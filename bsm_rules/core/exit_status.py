"""The exit statuses of every `bsm` command, defined once."""

from __future__ import annotations

__all__ = ["EXIT_BLOCKED", "EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK", "EXIT_TERMINATED"]

EXIT_OK = 0            # every message allowed or warned; a clean lint/test run; no change found by diff
EXIT_BLOCKED = 1       # some message blocked; lint errors; failed tests; fmt --check or diff found changes
EXIT_INVALID = 2       # invalid input or misuse of the command
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_TERMINATED = 143   # SIGTERM (128 + SIGTERM)
