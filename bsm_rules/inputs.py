"""Reads messages from JSON, JSON Lines and standard input as a stream of items, each either a
decoded JSON value or a located input error (a bad line never stops the batch)."""

from __future__ import annotations

import io
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
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
    raw: str | None = None  # a JSON Lines line not decoded yet (`read_inputs(decode=False)`)

    def decoded(self) -> InputItem:
        """This item with its `raw` line decoded into `value`, or into an `error`."""
        if self.raw is None:
            return self
        return _decode_line(self.raw, self.default_id, self.where)


def _json_error(error: json.JSONDecodeError) -> str:
    return f"not valid JSON: {error.msg} at column {error.colno}"


def _decode_line(line: str, default_id: str, where: str) -> InputItem:
    try:
        return InputItem(default_id, where, json.loads(line))
    except json.JSONDecodeError as error:
        return InputItem(default_id, where, error=f"{where}: {_json_error(error)}")


def _read_jsonl(stream: Iterable[str], name: str, decode: bool) -> Iterator[InputItem]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if decode:
            yield _decode_line(line, f"#{number}", f"{name}:{number}")
        else:
            yield InputItem(f"#{number}", f"{name}:{number}", raw=line)


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


def _read_stream(stream: io.TextIOBase, name: str, kind: str | None, decode: bool) -> Iterator[InputItem]:
    if kind == "jsonl":
        yield from _read_jsonl(stream, name, decode)
        return
    if kind == "json":
        yield from _read_json_document(stream.read(), name)
        return
    # Unknown kind (standard input): JSON Lines when the first two non-blank lines are each JSON
    # on their own; decided from those lines alone so that a stream is never read whole.
    head: list[str] = []
    non_blank: list[str] = []
    for line in stream:
        head.append(line)
        if line.strip():
            non_blank.append(line)
            if len(non_blank) == 2:
                break
    if len(non_blank) == 2 and _is_json(non_blank[0]):
        yield from _read_jsonl(itertools.chain(head, stream), name, decode)
    else:
        yield from _read_json_document("".join(head) + stream.read(), name)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except json.JSONDecodeError:
        return False


def _email_items(path: Path, kind: str, contact_reason: str | None) -> Iterator[InputItem]:
    from . import email_input  # imported on demand: most runs read JSON

    yield from email_input.read_email_file(path, kind, contact_reason)


def read_inputs(paths: list[str], stdin: io.TextIOBase | None = None,
                contact_reason: str | None = None, decode: bool = True) -> Iterator[InputItem]:
    """Yield an item per message of every input, in order. Raises InputError for an input that
    cannot be opened (checked before anything is read). With `decode` false, JSON Lines items
    carry their line as `raw` (see `InputItem.decoded`), so that worker processes decode them."""
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
            yield from _read_stream(stream, "<stdin>", None, decode)
            continue
        suffix = path.suffix.lower()
        if suffix in (".eml", ".mbox"):
            yield from _email_items(path, suffix[1:], contact_reason)
            continue
        with open(path, encoding="utf-8-sig", errors="replace", newline=None) as stream:
            kind = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(suffix)
            yield from _read_stream(stream, name, kind, decode)
