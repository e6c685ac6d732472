"""Operations on values that compiled rules, the generated runner and traces share: three-valued
truth, case folding, arithmetic on numbers, sizes, durations and timestamps, phrase lists prepared
for matching, and the way values read in messages and traces."""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import re2

from ..library.normalize import normalize
from ..library.runtime import Text

__all__ = ["WordList", "arith", "fold", "format_value", "phrase_regex", "truth"]

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def truth(value: Any) -> bool | None:
    """The truth of a condition result: None stays unknown."""
    if value is None:
        return None
    return bool(value)


@attrs.frozen
class WordList:
    """A phrase list prepared for matching (one RE2 alternation) and for membership."""

    regex: Any
    values: frozenset


def phrase_regex(phrases) -> Any:
    alternatives = []
    # Phrases are normalised like the text they are searched in (which also makes them valid UTF-8 for RE2).
    normalized = {text for text in (normalize(p).text.strip() for p in phrases) if text}
    for phrase in sorted(normalized, key=len, reverse=True):
        escaped = re2.escape(phrase)
        if phrase[0].isalnum() or phrase[0] == "_":
            escaped = r"\b" + escaped
        if phrase[-1].isalnum() or phrase[-1] == "_":
            escaped = escaped + r"\b"
        alternatives.append(escaped)
    if not alternatives:
        return re2.compile(r"[^\s\S]", _RE2_OPTIONS)
    return re2.compile("(?i)(?:" + "|".join(alternatives) + ")", _RE2_OPTIONS)


def fold(value: Any) -> Any:
    if isinstance(value, Text):
        return str(value).casefold()
    if isinstance(value, str):
        return value.casefold()
    return value


def format_value(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if attrs.has(type(value)):
        # A record reads as what names it (an attachment's name, a link's URL, a finding's
        # value), else as its given fields.
        for naming in ("name", "url", "value"):
            if isinstance(getattr(value, naming, None), str):
                return getattr(value, naming)
        return ", ".join(f"{field.name} {format_value(getattr(value, field.name))}"
                         for field in attrs.fields(type(value)) if getattr(value, field.name) is not None)
    return str(value)


def arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, datetime.datetime) or isinstance(b, datetime.datetime):
        try:
            if op == "-" and isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
                return (a - b).total_seconds()
            if isinstance(a, datetime.datetime):
                delta = datetime.timedelta(seconds=b)
                return a + delta if op == "+" else a - delta
            return b + datetime.timedelta(seconds=a)
        except OverflowError:
            return None  # a time before year 1 or after year 9999 is unknown
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    return a / b
