"""Reads messages from JSON, JSON Lines and standard input as a stream of items, each either a
decoded JSON value or a located input error (a bad line never stops the batch)."""

from __future__ import annotations

import codecs
import io
import itertools
import json
import os
import stat
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from . import items
from .items import InputItem, decode_line, json_error, line_text, too_large

__all__ = ["InputError", "InputItem", "line_text", "read_inputs", "utf8_bytes"]

READ_SIZE = 1 << 16  # bytes asked of a JSON Lines stream at a time
_BOM = codecs.BOM_UTF8


#: What standard input is read as: `sys.stdin`, or any text stream (`io.StringIO` in tests).
TextStream = typing.TextIO | io.TextIOBase


class InputError(Exception):
    """An input file cannot be opened at all (a usage error, not an invalid message)."""


def _is_blank(line: bytes | str) -> bool:
    """Whether a line's text holds only white space (Unicode white space included, as in text mode)."""
    return not line_text(line).strip()


_new_item = tuple.__new__  # builds an InputItem from all its fields without the keyword handling
# Stands for a line longer than a message may be, in the lines a reader yields: the line itself
# is not kept.
_LINE_TOO_LARGE = b"<line too large>"


def _read_jsonl(lines: Iterable[bytes | str], name: str, decode: bool) -> Iterator[InputItem]:
    limit = items.MAX_MESSAGE_BYTES
    for number, line in enumerate(lines, start=1):
        if line is _LINE_TOO_LARGE or len(line) > limit:
            yield InputItem(f"#{number}", f"{name}:{number}", error=too_large(f"{name}:{number}"))
            continue
        if line[:1] != b"{" and _is_blank(line):
            continue
        item = _new_item(InputItem, (f"#{number}", f"{name}:{number}", None, None, None, line))
        yield item.decoded() if decode else item


def _byte_lines(stream: BinaryIO, on_wait: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The lines of a binary stream, each with its line end, split where a text-mode reader
    splits (`\\n`, `\\r\\n`, `\\r`); a UTF-8 byte order mark at the start is dropped. The stream is
    read a block at a time (as much as a pipe has, up to `READ_SIZE`); `on_wait` is called before
    each read. A line longer than a message may be is yielded as `_LINE_TOO_LARGE`, its bytes not kept."""
    read = getattr(stream, "read1", stream.read)
    held: list[bytes] = []  # the start of a line that is not complete yet
    held_size = 0
    dropping = False  # in a line longer than a message may be: its bytes are not kept
    dropped_cr = False  # the dropped line ended with a `\r` at the end of a block: a `\n` may follow
    at_start = True
    while True:
        if on_wait is not None:
            on_wait()
        block = read(READ_SIZE)
        if not block:
            break
        if dropped_cr:
            dropped_cr, block = False, block[1:] if block.startswith(b"\n") else block
        if dropping:
            end = _line_end(block)
            if end < 0:
                continue
            yield _LINE_TOO_LARGE
            dropping, dropped_cr, block = False, end == len(block) and block.endswith(b"\r"), block[end:]
        if not block:
            continue
        if at_start:
            if len(block) < len(_BOM) and _BOM.startswith(b"".join(held) + block):
                held.append(block)  # too little to tell whether the file starts with a mark
                continue
            block = b"".join(held) + block
            held = []
            at_start = False
            if block.startswith(_BOM):
                block = block[len(_BOM):]
        if b"\n" not in block and b"\r" not in block:
            held.append(block)
            held_size += len(block)
            if held_size > items.MAX_MESSAGE_BYTES:
                held, held_size, dropping = [], 0, True
            continue
        if held:
            held.append(block)
            block = b"".join(held)
            held, held_size = [], 0
        if b"\r" in block:
            lines = block.splitlines(True)
            if lines[-1][-1:] != b"\n":  # no line end yet, or `\r` that may be the start of `\r\n`
                held.append(lines.pop())
                held_size = len(held[0])
            yield from lines
            continue
        find = block.find  # only `\n` ends lines here: found much faster than by splitlines
        start = 0
        end = find(b"\n")
        while end >= 0:
            yield block[start:end + 1]
            start = end + 1
            end = find(b"\n", start)
        if start < len(block):
            held.append(block[start:])
            held_size = len(block) - start
    if dropping:
        yield _LINE_TOO_LARGE
    rest = b"".join(held)
    if at_start and _BOM.startswith(rest):
        rest = b""  # only (the start of) a byte order mark: an empty file, as a text-mode reader has it
    if rest:
        yield from rest.splitlines(True)


def _line_end(block: bytes) -> int:
    """Where in `block` the first line end ends (after `\\n`, `\\r` or `\\r\\n`), or -1."""
    ends = [at for at in (block.find(b"\n"), block.find(b"\r")) if at >= 0]
    if not ends:
        return -1
    at = min(ends)
    return at + 2 if block.startswith(b"\r\n", at) else at + 1


def _read_json_document(text: str | None, name: str) -> Iterator[InputItem]:
    """The items of one JSON document (None: one larger than a message may be)."""
    if text is None or len(text) > items.MAX_MESSAGE_BYTES:
        yield InputItem("#1", name, error=too_large(name))
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield InputItem("#1", f"{name}:{error.lineno}", error=f"{name}:{error.lineno}: {json_error(error)}")
        return
    except (ValueError, RecursionError) as error:
        yield InputItem("#1", name, error=f"{name}: not readable as JSON: {error}")
        return
    if isinstance(document, list):
        for index, value in enumerate(document, start=1):
            yield InputItem(f"#{index}", f"{name}[{index - 1}]", value)
    else:
        yield InputItem("#1", name, document)


def _read_unknown(lines: Iterator[bytes | str], name: str, decode: bool) -> Iterator[InputItem]:
    # Unknown kind (standard input): JSON Lines when the first two non-blank lines are each JSON
    # on their own; decided from those lines alone so that a stream is never read whole.
    head: list = []
    non_blank: list = []
    for line in lines:
        head.append(line)
        if line is _LINE_TOO_LARGE or not _is_blank(line):
            non_blank.append(line)
            if len(non_blank) == 2:
                break
    if len(non_blank) == 2 and (non_blank[0] is _LINE_TOO_LARGE
                                or decode_line(line_text(non_blank[0]), "", "").error is None):
        yield from _read_jsonl(itertools.chain(head, lines), name, decode)
    else:
        yield from _read_json_document(_joined(itertools.chain(head, lines)), name)


def _joined(lines: Iterable[bytes | str]) -> str | None:
    """The text of `lines`, or None when it is larger than a message may be (then the lines are
    read no further)."""
    pieces: list[str] = []
    size = 0
    for line in lines:
        size += len(line)
        if line is _LINE_TOO_LARGE or size > items.MAX_MESSAGE_BYTES:
            return None
        pieces.append(line_text(line))
    return "".join(pieces)


def _read_text_stream(stream: TextStream, name: str, kind: str | None, decode: bool) -> Iterator[InputItem]:
    if kind == "jsonl":
        yield from _read_jsonl(_text_lines(stream), name, decode)
    elif kind == "json":
        text = stream.read(items.MAX_MESSAGE_BYTES + 1)
        yield from _read_json_document(text if len(text) <= items.MAX_MESSAGE_BYTES else None, name)
    else:
        yield from _read_unknown(_text_lines(stream), name, decode)


def _text_lines(stream: TextStream, on_wait: Callable[[], None] | None = None) -> Iterator[str | bytes]:
    """The lines of a text stream, with `on_wait` called before each line is read; a line longer
    than a message may be is read (and dropped) a block at a time and yielded as `_LINE_TOO_LARGE`."""
    limit = items.MAX_MESSAGE_BYTES
    while True:
        if on_wait is not None:
            on_wait()
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            while line and not line.endswith("\n"):
                line = stream.readline(READ_SIZE)
            yield _LINE_TOO_LARGE
            continue
        yield line


def _read_standard_input(stream: TextStream, decode: bool, on_wait: Callable[[], None] | None
                         ) -> Iterator[InputItem]:
    """JSON Lines or one JSON document, read through the byte stream when it is UTF-8 (as a file is
    read); `on_wait` is called before a read only where one can wait (a pipe, a terminal)."""
    if on_wait is not None and not _may_wait(stream):
        on_wait = None
    binary = utf8_bytes(stream)
    if binary is not None:
        yield from _read_unknown(_byte_lines(binary, on_wait), "<stdin>", decode)
    else:
        yield from _read_unknown(_text_lines(stream, on_wait), "<stdin>", decode)


def utf8_bytes(stream: Any) -> BinaryIO | None:
    """The byte stream under a UTF-8 text stream (standard input or output), else None."""
    buffer = getattr(stream, "buffer", None)
    encoding = getattr(stream, "encoding", None)
    if buffer is None or not encoding or codecs.lookup(encoding).name != "utf-8":
        return None
    return buffer


def _may_wait(stream: TextStream) -> bool:
    """Whether reading `stream` can wait for its writer (a pipe or a terminal, not a file)."""
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False


def _email_items(path: Path, kind: str, contact_reason: str | None) -> Iterator[InputItem]:
    from . import email_input  # imported on demand: most runs read JSON

    yield from email_input.read_email_file(path, kind, contact_reason)


def read_inputs(paths: list[str], stdin: TextStream | None = None,
                contact_reason: str | None = None, decode: bool = True,
                on_wait: Callable[[], None] | None = None) -> Iterator[InputItem]:
    """Yield an item per message of every input, in order. Raises InputError for an input that
    cannot be opened (checked before anything is read). With `decode` false, JSON Lines items
    carry their line as `raw` (see `InputItem.decoded`), so that the caller (or a worker process)
    decodes them. `on_wait` is called before a read of standard input that may have to wait for
    its writer, so that the caller can first write the results it has (the writer may be waiting
    for them)."""
    resolved: list[tuple[str, Path | None]] = []
    for name in paths:
        if name == "-":
            resolved.append((name, None))
            continue
        path = Path(name)
        if not path.is_file():
            raise InputError(f"{name}: no such file" if not path.exists() else f"{name}: not a file")
        try:
            open(path, "rb").close()
        except OSError as error:
            raise InputError(f"{name}: cannot be read: {error.strerror or error}") from None
        resolved.append((name, path))
    for name, given in resolved:
        if given is None:
            yield from _read_standard_input(stdin if stdin is not None else sys.stdin, decode, on_wait)
            continue
        path = given
        suffix = path.suffix.lower()
        if suffix in (".eml", ".mbox"):
            yield from _email_items(path, suffix[1:], contact_reason)
        elif suffix in (".jsonl", ".ndjson"):
            with open(path, "rb") as binary_file:
                yield from _read_jsonl(_byte_lines(binary_file), name, decode)
        else:
            with open(path, encoding="utf-8-sig", errors="replace", newline=None) as text_file:
                yield from _read_text_stream(text_file, name, "json" if suffix == ".json" else None, decode)
