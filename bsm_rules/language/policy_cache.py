"""A cache of checked policy files, so that a run does not parse and check an unchanged policy
again: the checked form is pickled in the user's cache directory, keyed by the policy's path and
validated by the text of every file it includes and by the code that checked it."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.cache import cache_file, write_pickles
from .checker import CheckedPolicy

__all__ = ["load_cached", "store"]

_FORMAT = 3
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # bsm_rules/


def _code_fingerprint() -> str:
    """Changes whenever a module of the package (and so possibly the checker) changes."""
    digest = hashlib.sha256(f"{_FORMAT} {sys.version}".encode())
    for module in sorted(_PACKAGE_DIR.rglob("*.py")):
        stat = module.stat()
        digest.update(f"{module.relative_to(_PACKAGE_DIR)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _entry_path(policy_path: Path, include_paths: Sequence[str | os.PathLike]) -> str | None:
    # The folders includes may read from are part of the key: a policy checked with more of them
    # may include what it may not include without them.
    names = [str(policy_path.resolve()), *(str(Path(folder).resolve()) for folder in include_paths)]
    key = hashlib.sha256("\0".join(names).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return cache_file(f"checked-{key}.pickle")


def store(policy_path: Path, checked: CheckedPolicy, include_paths: Sequence[str | os.PathLike] = ()) -> None:
    """Keep a checked policy for the next run; a failure to write only means no cache."""
    entry = _entry_path(policy_path, include_paths)
    if entry is None or any(unit.path.startswith("<") for unit in checked.units):
        return
    sources = [(unit.path, _text_digest(unit.ast.span.source.text)) for unit in checked.units]
    if write_pickles(entry, (_code_fingerprint(), sources, checked)):
        _prune(Path(entry).parent)


_MAX_ENTRIES = 64


def _prune(directory: Path) -> None:
    """Keep the most recently written entries only (policies in temporary places come and go)."""
    try:
        entries = sorted(directory.glob("checked-*.pickle"), key=lambda path: path.stat().st_mtime_ns)
        for stale in entries[:-_MAX_ENTRIES]:
            stale.unlink(missing_ok=True)
    except OSError:  # another run pruned at the same time
        pass


def load_cached(policy_path: Path, include_paths: Sequence[str | os.PathLike] = ()) -> CheckedPolicy | None:
    """The checked policy kept for this file, if every file it is made of is unchanged."""
    entry = _entry_path(policy_path, include_paths)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as handle:
            fingerprint, sources, checked = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged or foreign cache entry is rebuilt, never trusted
        return None
    if fingerprint != _code_fingerprint():
        return None
    for path, digest in sources:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):
            return None
        if _text_digest(text) != digest:
            return None
    return checked
