"""Code-point offsets of policy text ↔ LSP positions in the client's units (UTF-16 by default)."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import PositionCodec

from bsm_rules.core import SourceFile, Span

__all__ = ["LineIndex"]


class LineIndex:
    """Converts between the core's code-point offsets and client positions for one source file.

    Lines are the core's (`SourceFile`: they end at `\\n` only), so both sides agree on line
    numbers; the column is converted with pygls's position codec for the negotiated encoding, so
    characters outside the Basic Multilingual Plane count as two UTF-16 units."""

    def __init__(self, source: SourceFile, codec: PositionCodec):
        self.source = source
        self.codec = codec

    def position(self, offset: int) -> types.Position:
        line, column = self.source.line_col(offset)
        before = self.source.line_text(line)[: column - 1]
        return types.Position(line=line - 1, character=self.codec.client_num_units(before))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def span_range(self, span: Span) -> types.Range:
        return self.range(span.start, span.end)

    def offset(self, position: types.Position) -> int:
        """The code-point offset of a client position, clamped to the text."""
        if position.line < 0:
            return 0
        if position.line >= self.source.line_count:
            return len(self.source.text)
        line = position.line + 1
        line_text = self.source.line_text(line)
        if position.character >= self.codec.client_num_units(line_text):
            return self.source.line_end(line)
        server = self.codec.position_from_client_units(
            [line_text], types.Position(line=0, character=max(0, position.character)))
        return self.source.offset(line, server.character + 1)

    @property
    def end(self) -> types.Position:
        return self.position(len(self.source.text))
