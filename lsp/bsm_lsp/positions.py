"""Code-point offsets of policy text ↔ LSP positions in the client's units (UTF-16 by default)."""

from __future__ import annotations

import bisect

from lsprotocol import types
from pygls.workspace import PositionCodec

from bsm_rules.source import Span

__all__ = ["LineIndex"]


class LineIndex:
    """Converts between the core's code-point offsets and client positions for one text.

    Lines end at `\\n` only, as in `bsm_rules.source`, so both sides agree on line numbers; the
    column is converted with pygls's position codec for the negotiated encoding, so characters
    outside the Basic Multilingual Plane count as two UTF-16 units."""

    def __init__(self, text: str, codec: PositionCodec):
        self.text = text
        self.codec = codec
        self._starts = [0]
        self._starts.extend(index + 1 for index, char in enumerate(text) if char == "\n")

    def _line(self, line: int) -> str:
        start = self._starts[line]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self.text)
        return self.text[start:end]

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        column = offset - self._starts[line]
        return types.Position(line=line, character=self.codec.client_num_units(self._line(line)[:column]))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def span_range(self, span: Span) -> types.Range:
        return self.range(span.start, span.end)

    def offset(self, position: types.Position) -> int:
        """The code-point offset of a client position, clamped to the text."""
        if position.line < 0:
            return 0
        if position.line >= len(self._starts):
            return len(self.text)
        line_text = self._line(position.line)
        if position.character >= self.codec.client_num_units(line_text):
            return self._starts[position.line] + len(line_text)
        server = self.codec.position_from_client_units(
            [line_text], types.Position(line=0, character=max(0, position.character)))
        return self._starts[position.line] + server.character

    @property
    def end(self) -> types.Position:
        return self.position(len(self.text))
