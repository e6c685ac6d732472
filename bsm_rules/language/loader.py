"""Finds and reads policy files and resolves `include`s (relative paths and `bundled:NAME`),
reporting missing files, includes outside the allowed folders and include cycles at the include
statement. Only regular files up to `MAX_POLICY_BYTES` are read, so a device, a FIFO or a huge
file is an error instead of a hang."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from ..core.diagnostics import Diagnostic, Related, Severity
from ..core.resources import bundled_policy_path
from ..core.source import SourceFile
from . import ast
from .checker import PolicyUnit
from .parser import parse_source

__all__ = [
    "MAX_INCLUDE_DEPTH", "MAX_POLICY_BYTES", "PolicyFileError", "describe_read_error", "load_units", "policy_files", "read_source",
    "resolve_include", "unreadable_diagnostic",
]

#: The largest policy file read (the bundled Amazon policy is about 20 KB).
MAX_POLICY_BYTES = 4 * 1024 * 1024
#: How long a chain of files including each other may be (BSM214).
MAX_INCLUDE_DEPTH = 32
_BUNDLED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class PolicyFileError(OSError):
    """A path that names no policy file that can be read: a directory, a device or FIFO, a file
    over `MAX_POLICY_BYTES`, a name the system cannot take."""


def read_source(path: str | os.PathLike) -> SourceFile:
    """Read a policy file as UTF-8 (a BOM is dropped); raises OSError (`PolicyFileError` for what
    is not a regular file of a policy's size) or UnicodeDecodeError."""
    try:
        # Opened without blocking, so that a FIFO is refused below instead of waiting for a writer.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except ValueError:  # a NUL in the name
        raise PolicyFileError(errno.EINVAL, "is not a valid file name") from None
    except UnicodeEncodeError:  # a lone surrogate in the name
        raise PolicyFileError(errno.EINVAL, "is not a valid file name") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise PolicyFileError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            raise PolicyFileError(errno.EINVAL, "is not a regular file")
        data = handle.read(MAX_POLICY_BYTES + 1)
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyFileError(errno.EFBIG, f"is larger than {MAX_POLICY_BYTES // (1024 * 1024)} MiB, the largest policy read")
    text = data.decode("utf-8-sig")
    return SourceFile(str(path), text.replace("\r\n", "\n"))


def policy_files(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """The policy files named by `paths` (directories give their `*.bsm` files, recursively, in
    name order); a path that does not exist gets a BSM001 diagnostic."""
    files: list[str] = []
    missing: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(str(found) for found in sorted(Path(path).rglob("*.bsm")) if found.is_file())
        elif os.path.exists(path):
            files.append(path)
        else:
            missing.append(unreadable_diagnostic(path, "no such file or directory"))
    return list(dict.fromkeys(files)), missing


def describe_read_error(error: OSError | UnicodeDecodeError) -> str:
    """Why a policy file could not be read, in words that follow its name."""
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(error, PolicyFileError):
        return str(error.strerror)
    return (getattr(error, "strerror", None) or str(error)).lower()


def unreadable_diagnostic(path: str, reason: str) -> Diagnostic:
    return Diagnostic("BSM001", Severity.ERROR, f"cannot read policy {path}: {reason}", SourceFile(path, "").span(0, 0))


def resolve_include(target: str, including: str) -> Path:
    """The file an include names, with symbolic links resolved. Raises ValueError for a target
    that names no file (a NUL or a lone surrogate, a bundled name that is not a plain name)."""
    if "\x00" in target or any("\ud800" <= char <= "\udfff" for char in target):
        raise ValueError("is not a valid file name")
    if target.startswith("bundled:"):
        name = target.removeprefix("bundled:").removesuffix(".bsm")
        if not _BUNDLED_NAME.fullmatch(name):
            raise ValueError("is not the name of a bundled policy")
        return bundled_policy_path(name).resolve()
    base = Path(including).parent if including and not including.startswith("<") else Path.cwd()
    return (base / target).resolve()


def include_roots(main: str, extra: Sequence[str | os.PathLike] = ()) -> tuple[Path, ...]:
    """The folders a policy may include files from: the main policy's folder (the working
    directory for policy text), the bundled policies, and the folders named by the user."""
    own = Path(main).parent if main and not main.startswith("<") else Path.cwd()
    return tuple(Path(folder).resolve() for folder in (own, bundled_policy_path().parent, *extra))


def _outside(target: Path, roots: tuple[Path, ...]) -> bool:
    return not any(target == root or root in target.parents for root in roots)


def load_units(source: SourceFile, overlay: dict[str, str] | None = None, parse=parse_source,
               include_paths: Sequence[str | os.PathLike] = ()) -> tuple[list[PolicyUnit], list[Diagnostic]]:
    """Parse a policy and everything it includes; included files come first, the main file last.
    Includes may name files below the main policy's folder, the bundled policies, and files below
    `include_paths`. `overlay` maps resolved paths to unsaved text and `parse` may reuse earlier
    parses (both used by the language server)."""
    roots = include_roots(source.name, include_paths)
    units: list[PolicyUnit] = []
    diagnostics: list[Diagnostic] = []
    loaded: set[str] = set()

    def visit(current: SourceFile, stack: list[tuple[str, ast.Include | None]], included: bool) -> None:
        policy, syntax = parse(current)
        diagnostics.extend(syntax)
        for statement in policy.statements:
            if not isinstance(statement, ast.Include):
                continue
            try:
                target = resolve_include(statement.path.value, current.name)
            except (ValueError, OSError) as error:
                diagnostics.append(_include_error("BSM209", statement, f"{error}", None))
                continue
            if _outside(target, roots):
                diagnostics.append(_include_error(
                    "BSM211", statement, "is outside the folders a policy may include from", target,
                    "note: a policy includes files below its own folder and `bundled:NAME`; "
                    "`--include-path DIR` (or `load_policy(..., include_paths=[DIR])`) allows another folder"))
                continue
            key = str(target)
            if key in [name for name, _ in stack] or key == _key(current.name):
                names = [name for name, _ in stack]
                first = names.index(key) if key in names else 0
                cycle = " → ".join([Path(name).name for name in names[first:]] + [Path(key).name])
                opening = stack[first + 1][1] if first + 1 < len(stack) else None
                diagnostics.append(Diagnostic(
                    "BSM210", Severity.ERROR, f"include cycle: {cycle}", statement.path.span,
                    label="includes a file that is already being included",
                    related=(Related("the cycle starts with this include", opening.path.span),) if opening else (),
                    notes=("help: remove one of the includes; a policy cannot include itself",),
                ))
                continue
            if key in loaded:
                continue
            if len(stack) > MAX_INCLUDE_DEPTH:
                diagnostics.append(_include_error(
                    "BSM214", statement, f"is more than {MAX_INCLUDE_DEPTH} includes deep", target,
                    "help: include the deeper files from a policy higher up the chain"))
                continue
            try:
                if overlay and key in overlay:
                    included_source = SourceFile(key, overlay[key])
                else:
                    included_source = read_source(target)
                    included_source = SourceFile(key, included_source.text)
            except (OSError, UnicodeDecodeError) as error:
                if isinstance(error, UnicodeDecodeError):
                    reason = "is not UTF-8 text"
                elif isinstance(error, PolicyFileError):
                    reason = str(error.strerror)
                elif isinstance(error, FileNotFoundError):
                    reason = "was not found"
                else:
                    reason = f"cannot be read ({describe_read_error(error)})"
                diagnostics.append(_include_error(
                    "BSM209", statement, reason, target,
                    "note: include paths are relative to the including file; `bundled:amazon` names a bundled policy"))
                continue
            loaded.add(key)
            visit(included_source, [*stack, (key, statement)], True)
        units.append(PolicyUnit(policy, current.name, included, syntax_errors=bool(syntax)))

    visit(source, [(_key(source.name), None)], False)
    return units, diagnostics


def _key(name: str) -> str:
    if name.startswith("<"):
        return name
    return str(Path(name).resolve())


def _include_error(code: str, statement: ast.Include, reason: str, target: Path | None, note: str = "") -> Diagnostic:
    # The file's content is never quoted: only its name and why it is not included.
    return Diagnostic(code, Severity.ERROR, f"included file {statement.path.value!r} {reason}", statement.path.span,
                      label=str(target) if target is not None else "", notes=(note,) if note else ())
