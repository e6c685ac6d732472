"""Where bsm keeps files it can rebuild at any time (the policy parser's tables): a directory in
the user's cache (`$BSM_CACHE_DIR`, else `$XDG_CACHE_HOME/bsm-rules`, else `~/.cache/bsm-rules`)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_file"]


def cache_file(name: str) -> str | None:
    """The path for a cache file `name`, or None when no cache directory can be made (then
    nothing is cached and everything still works)."""
    base = os.environ.get("BSM_CACHE_DIR")
    if base:
        directory = Path(base)
    else:
        directory = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bsm-rules"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(directory / name)
