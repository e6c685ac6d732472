"""Where bsm keeps what it can rebuild at any time (the policy parser's tables, the public suffix
list as objects, checked policies): a directory in the user's cache (`$BSM_CACHE_DIR`, else
`$XDG_CACHE_HOME/bsm-rules`, else `~/.cache/bsm-rules`)."""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["cache_file", "cached_object", "write_pickles"]

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
    _remove_obsolete(directory)
    return str(directory / name)


# Entries of earlier versions that nothing reads any more (the unpacked 95 MB language model).
_OBSOLETE = ("language-identifier.pickle",)


@functools.cache
def _remove_obsolete(directory: Path) -> None:
    for name in _OBSOLETE:
        with contextlib.suppress(OSError):
            (directory / name).unlink()


def write_pickles(path: str, *values: Any) -> bool:
    """Pickle `values` one after another into `path`, replacing it whole or not at all: a
    read-only or full disk leaves neither a half-written entry nor a stray temporary file.
    Returns whether the entry was written."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as handle:
            for value in values:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def cached_object(name: str, key: str, build: Callable[[], T]) -> T:
    """`build()`, kept pickled under `name` and reused while `key` (what the object is made
    from) stays the same. Anything wrong with the cache only means building again."""
    path = cache_file(name)
    if path is not None:
        try:
            with open(path, "rb") as handle:
                # The key comes first, so that a stale entry is known without loading its object.
                if pickle.load(handle) == key:
                    return pickle.load(handle)
        except Exception:  # noqa: BLE001 - missing, damaged or foreign: rebuild
            pass
    value = build()
    if path is not None:
        write_pickles(path, key, value)
    return value
