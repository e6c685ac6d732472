"""Source files and spans: offsets in policy text and their 1-based line/column positions."""

from __future__ import annotations

import bisect

import attrs

__all__ = ["SourceFile", "Span"]


@attrs.frozen(eq=False)
class SourceFile:
    """A policy text and the name it is reported under (a path, or `<text>`)."""

    name: str
    text: str
    _line_starts: list[int] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        starts.extend(index + 1 for index, char in enumerate(self.text) if char == "\n")
        object.__setattr__(self, "_line_starts", starts)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in code points) of a 0-based offset."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return line_index + 1, offset - self._line_starts[line_index] + 1

    def offset(self, line: int, column: int) -> int:
        """0-based offset of a 1-based line and column, clamped to the text."""
        line_index = max(0, min(line - 1, len(self._line_starts) - 1))
        start = self._line_starts[line_index]
        end = self.line_end(line_index + 1)
        return min(start + max(column - 1, 0), end)

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        return self.text[start : self.line_end(line)]

    def line_end(self, line: int) -> int:
        if line < len(self._line_starts):
            return self._line_starts[line] - 1
        return len(self.text)

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, end)


@attrs.frozen(eq=False)
class Span:
    """A half-open range of code-point offsets in a source file."""

    source: SourceFile
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def end_line(self) -> int:
        return self.source.line_col(self.end)[0]

    @property
    def end_column(self) -> int:
        return self.source.line_col(self.end)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def cover(self, other: Span) -> Span:
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    def contains(self, offset: int) -> bool:
        return self.start <= offset <= self.end

    def __str__(self) -> str:
        return f"{self.source.name}:{self.line}:{self.column}"
