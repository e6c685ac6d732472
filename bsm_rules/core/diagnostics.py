"""The one diagnostic type of the project and its caret renderer (shared by CLI, lint and LSP)."""

from __future__ import annotations

import difflib
import enum
import unicodedata
from collections.abc import Iterable

import attrs

from .source import Span

__all__ = ["BIDI_CONTROLS", "INVISIBLE_CHARACTERS", "Diagnostic", "Fix", "Related", "Severity", "caret_snippet",
           "closest_name", "render", "render_all", "unknown_name"]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@attrs.frozen
class Related:
    """Another place that explains a diagnostic ("first defined here")."""

    message: str
    span: Span


@attrs.frozen
class Fix:
    """A suggested edit: replace the text of `span` with `replacement`."""

    title: str
    span: Span
    replacement: str


@attrs.frozen
class Diagnostic:
    """A located problem in a policy, with a stable code (BSM1xx syntax, 2xx names, 3xx types,
    4xx patterns, 5xx lint)."""

    code: str
    severity: Severity
    message: str
    span: Span
    label: str = ""
    notes: tuple[str, ...] = ()
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        result: dict[str, object] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.source.name,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
        }
        if self.notes:
            result["notes"] = list(self.notes)
        if self.related:
            result["related"] = [
                {"message": r.message, "file": r.span.source.name, "line": r.span.line, "column": r.span.column}
                for r in self.related
            ]
        if self.fixes:
            result["fixes"] = [
                {
                    "title": f.title,
                    "line": f.span.line,
                    "column": f.span.column,
                    "end_line": f.span.end_line,
                    "end_column": f.span.end_column,
                    "replacement": f.replacement,
                }
                for f in self.fixes
            ]
        return result


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m", "note": "\x1b[1;34m"}
_RESET = "\x1b[0m"


def closest_name(name: str, candidates) -> str | None:
    """The candidate a misspelt `name` was probably meant to be, if one is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_name(code: str, what: str, name: str, span: Span, candidates, message: str = "") -> Diagnostic:
    """An error for a `name` that is none of `candidates`, with a did-you-mean fix writing the
    closest one in place of `span` (in quotes when `span` is a string)."""
    suggestion = closest_name(name, candidates)
    fixes: tuple[Fix, ...] = ()
    if suggestion:
        replacement = f'"{suggestion}"' if span.text.startswith('"') else suggestion
        fixes = (Fix(f"did you mean `{suggestion}`?", span, replacement),)
    return Diagnostic(code, Severity.ERROR, message or f"unknown {what} `{name}`", span, label=f"not a known {what}",
                      fixes=fixes)


def _paint(text: str, kind: str, color: bool) -> str:
    return f"{_COLORS[kind]}{text}{_RESET}" if color else text


#: Characters that reorder how a line is displayed, and characters that show nothing at all.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE_CHARACTERS = frozenset("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u2060\u2061\u2062"
                                 "\u2063\u2064\u3164\ufeff\uffa0")

# Characters that would misalign the carets or reorder the shown line are drawn as one visible
# character each: tabs as a space, invisible and bidirectional controls as U+FFFD.
_SHOWN_AS = {ord("\t"): " "} | {ord(char): "\ufffd" for char in BIDI_CONTROLS | INVISIBLE_CHARACTERS} | dict.fromkeys(
    range(0xD800, 0xE000), "\ufffd")  # lone surrogates (from JSON text) cannot be printed


#: Characters of a line that a snippet shows whole; of a longer one, the span with context.
_LONGEST_SHOWN_LINE = 1000
_CONTEXT_SHOWN = 100


def caret_snippet(text: str, start: int, end: int, label: str = "", marker: str = "^", gutter: int = 0,
                  color: bool = False, kind: str = "error", line_offset: int = 0) -> list[str]:
    """The line of `text` holding offset `start`, numbered, with markers under `start:end`
    (clipped to that line). The one caret renderer for policy diagnostics and message findings.
    Of a line longer than 1,000 characters, only the span and some context on
    either side are shown, the cuts marked with `…`."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    line_number = text.count("\n", 0, start) + 1 + line_offset
    gutter = max(gutter, len(str(line_number)))
    end = min(end, line_end)
    cut_before = cut_after = ""
    if line_end - line_start > _LONGEST_SHOWN_LINE:
        end = min(end, start + _LONGEST_SHOWN_LINE)
        if start - line_start > _CONTEXT_SHOWN:
            line_start, cut_before = start - _CONTEXT_SHOWN, "…"
        if line_end - end > _CONTEXT_SHOWN:
            line_end, cut_after = end + _CONTEXT_SHOWN, "…"
    shown = cut_before + text[line_start:line_end].translate(_SHOWN_AS) + cut_after
    width = max(1, _columns(text[start:end].translate(_SHOWN_AS)))
    bar = " " * gutter + " |"
    indent = " " * _columns(cut_before + text[line_start:start].translate(_SHOWN_AS))
    carets = indent + _paint(marker * width + (f" {label}" if label else ""), kind, color)
    return [f"{line_number:>{gutter}} | {shown}", f"{bar} {carets}"]


def _columns(shown: str) -> int:
    """Terminal columns of a shown line piece: wide East Asian characters and emoji take two,
    combining marks none."""
    if shown.isascii():
        return len(shown)
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in shown)


def _snippet(span: Span, label: str, marker: str, gutter: int, color: bool, kind: str) -> list[str]:
    return caret_snippet(span.source.text, span.start, span.end, label, marker, gutter, color, kind)


def render(diagnostic: Diagnostic, color: bool = False) -> str:
    """Render a diagnostic rustc-style: header, location, source line, carets, notes."""
    span = diagnostic.span
    kind = diagnostic.severity.value
    gutter = len(str(max([span.line] + [r.span.line for r in diagnostic.related])))
    lines = [
        _paint(f"{kind}[{diagnostic.code}]", kind, color) + f": {diagnostic.message}",
        " " * gutter + f"--> {span}",
    ]
    if span.source.text:  # a file that could not be read has no line to show
        lines.append(" " * gutter + " |")
        lines += _snippet(span, diagnostic.label, "^", gutter, color, kind)
    for related in diagnostic.related:
        if related.span.source is span.source:
            lines += _snippet(related.span, related.message, "-", gutter, color, "note")
        else:
            lines.append(" " * gutter + f" = note: {related.message} at {related.span}")
    for note in diagnostic.notes:
        lines.append(" " * gutter + f" = {note}")
    for fix in diagnostic.fixes:
        lines.append(" " * gutter + f" = help: {fix.title}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], color: bool = False) -> str:
    return "\n\n".join(render(d, color) for d in diagnostics)
