"""Reads messages from JSON, JSON Lines and standard input as a stream of items, each either a
decoded JSON value or a located input error (a bad line never stops the batch)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = ["InputItem", "read_inputs", "InputError"]


class InputError(Exception):
    """An input file cannot be opened at all (a usage error, not an invalid message)."""


@attrs.frozen
class InputItem:
    """One message's worth of input: `value` (decoded JSON) or `error`, plus where it came from."""

    default_id: str
    where: str
    value: Any = None
    error: str | None = None
    message: Any = None


def _json_error(error: json.JSONDecodeError) -> str:
    return f"not valid JSON: {error.msg} at column {error.colno}"


def _read_jsonl(stream: io.TextIOBase, name: str) -> Iterator[InputItem]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield InputItem(f"#{number}", where, json.loads(line))
        except json.JSONDecodeError as error:
            yield InputItem(f"#{number}", where, error=f"{where}: {_json_error(error)}")


def _read_json_document(text: str, name: str) -> Iterator[InputItem]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield InputItem("#1", f"{name}:{error.lineno}", error=f"{name}:{error.lineno}: {_json_error(error)}")
        return
    if isinstance(document, list):
        for index, value in enumerate(document, start=1):
            yield InputItem(f"#{index}", f"{name}[{index - 1}]", value)
    else:
        yield InputItem("#1", name, document)


def _looks_like_jsonl(head: str) -> bool:
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        json.loads(lines[0])
        return True
    except json.JSONDecodeError:
        return False


def _read_stream(stream: io.TextIOBase, name: str, kind: str | None) -> Iterator[InputItem]:
    if kind == "jsonl":
        yield from _read_jsonl(stream, name)
        return
    if kind == "json":
        yield from _read_json_document(stream.read(), name)
        return
    text = stream.read()
    if _looks_like_jsonl(text):
        yield from _read_jsonl(io.StringIO(text), name)
    else:
        yield from _read_json_document(text, name)


def _email_items(path: Path, kind: str, contact_reason: str | None) -> Iterator[InputItem]:
    from . import email_input  # imported on demand: most runs read JSON

    yield from email_input.read_email_file(path, kind, contact_reason)


def read_inputs(paths: list[str], stdin: io.TextIOBase | None = None,
                contact_reason: str | None = None) -> Iterator[InputItem]:
    """Yield an item per message of every input, in order. Raises InputError for an input that
    cannot be opened (checked before anything is read)."""
    resolved = []
    for name in paths:
        if name == "-":
            resolved.append((name, None))
            continue
        path = Path(name)
        if not path.is_file():
            raise InputError(f"{name}: no such file" if not path.exists() else f"{name}: not a file")
        resolved.append((name, path))
    for name, path in resolved:
        if path is None:
            stream = stdin if stdin is not None else sys.stdin
            yield from _read_stream(stream, "<stdin>", None)
            continue
        suffix = path.suffix.lower()
        if suffix in (".eml", ".mbox"):
            yield from _email_items(path, suffix[1:], contact_reason)
            continue
        with open(path, encoding="utf-8-sig", errors="replace", newline=None) as stream:
            kind = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(suffix)
            yield from _read_stream(stream, name, kind)
