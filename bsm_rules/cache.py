"""Where bsm keeps what it can rebuild at any time (the policy parser's tables, the public suffix
list as objects): a directory in the user's cache (`$BSM_CACHE_DIR`, else
`$XDG_CACHE_HOME/bsm-rules`, else `~/.cache/bsm-rules`)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Callable, TypeVar

__all__ = ["cache_file", "cached_object"]

T = TypeVar("T")


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


def cached_object(name: str, key: str, build: Callable[[], T]) -> T:
    """`build()`, kept pickled under `name` and reused while `key` (what the object is made
    from) stays the same. Anything wrong with the cache only means building again."""
    path = cache_file(name)
    if path is not None:
        try:
            with open(path, "rb") as handle:
                stored_key, value = pickle.load(handle)
            if stored_key == key:
                return value
        except Exception:  # noqa: BLE001 - missing, damaged or foreign: rebuild
            pass
    value = build()
    if path is not None:
        try:
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as handle:
                pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except (OSError, pickle.PicklingError):
            pass
    return value
