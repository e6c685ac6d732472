"""Offsets in policy text and client positions convert both ways, in every position encoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import PositionCodec

from bsm_lsp.positions import LineIndex
from bsm_rules.core.source import SourceFile

_text = st.text(st.sampled_from(["a", "é", "😀", "\n", "\r", "\t", "文", "\u200b"]), max_size=40)
_encodings = st.sampled_from([types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16,
                              types.PositionEncodingKind.Utf32])


@given(_text, _encodings, st.data())
def test_offset_position_round_trip(text, encoding, data):
    source = SourceFile("p.bsm", text)
    lines = LineIndex(source, PositionCodec(encoding))
    offset = data.draw(st.integers(0, len(text)))
    position = lines.position(offset)
    assert position.line + 1 == source.line_col(offset)[0]
    assert lines.offset(position) == offset


def test_utf16_columns_count_non_bmp_characters_twice():
    lines = LineIndex(SourceFile("p.bsm", "ab\n😀é x\n"), PositionCodec(types.PositionEncodingKind.Utf16))
    assert lines.position(6) == types.Position(line=1, character=4)
    assert lines.offset(types.Position(line=1, character=4)) == 6
    assert lines.offset(types.Position(line=1, character=99)) == 7  # clamped to the line's end
    assert lines.offset(types.Position(line=9, character=0)) == 8
    assert lines.end == types.Position(line=2, character=0)
