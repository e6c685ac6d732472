"""One message's worth of input, as the readers yield it: a decoded JSON value, a message read
from email, or a located input error."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

__all__ = ["MAX_MESSAGE_BYTES", "InputItem", "decode_line", "json_error", "line_text", "too_large"]

#: The most one message may take in its input: an email (an `.eml` file, one message of an mbox),
#: a JSON Lines line, a JSON document (counted in characters where the input is read as text). A
#: larger one is an invalid input, found while reading, without reading all of it into memory.
MAX_MESSAGE_BYTES = 25 << 20


class InputItem(NamedTuple):
    """One message's worth of input: `value` (decoded JSON), `message` (an email already read as
    a message) or `error`, plus where it came from. `raw` is a JSON Lines line not decoded yet
    (`read_inputs(decode=False)`): bytes with its line end as in the file, or text."""

    default_id: str
    where: str
    value: Any = None
    error: str | None = None
    message: Any = None
    raw: bytes | str | None = None

    def decoded(self) -> InputItem:
        """This item with its `raw` line decoded into `value`, or into an `error`."""
        if self.raw is None:
            return self
        return decode_line(line_text(self.raw), self.default_id, self.where)


def line_text(line: bytes | str) -> str:
    """A JSON Lines line as text, as a text-mode reader gives it: UTF-8 with undecodable bytes
    replaced, and the line end (`\\n`, `\\r\\n` or `\\r`) read as `\\n`."""
    if isinstance(line, str):
        return line
    text = line.decode("utf-8", "replace")
    if text.endswith("\r"):
        return text[:-1] + "\n"
    if text.endswith("\r\n"):
        return text[:-2] + "\n"
    return text


def too_large(where: str) -> str:
    """The error of an input larger than `MAX_MESSAGE_BYTES`."""
    return f"{where}: larger than {MAX_MESSAGE_BYTES >> 20} MiB, the most one message may be; not read"


def json_error(error: json.JSONDecodeError) -> str:
    return f"not valid JSON: {error.msg} at column {error.colno}"


def decode_line(line: str, default_id: str, where: str) -> InputItem:
    try:
        return InputItem(default_id, where, json.loads(line))
    except json.JSONDecodeError as error:
        return InputItem(default_id, where, error=f"{where}: {json_error(error)}")
    except (ValueError, RecursionError) as error:  # an integer of thousands of digits, deep nesting
        return InputItem(default_id, where, error=f"{where}: not readable as JSON: {error}")
