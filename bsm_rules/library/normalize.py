"""Text normalisation (NFKC, zero-width removal) with a map back to the original offsets."""

from __future__ import annotations

import re
import unicodedata

import attrs

__all__ = ["NormalizedText", "normalize", "searchable"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_ZERO_WIDTH_JOINER = "\u200d"
_ZERO_WIDTH_CHARS = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Characters that may sit between an emoji and a following zero-width joiner
# inside one emoji sequence (variation selector 16, skin-tone modifiers).
_EMOJI_SEQUENCE_MODIFIERS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


@attrs.frozen
class NormalizedText:
    """A field as given (`original`) and its normalised form (`text`).

    `text` is the NFKC normal form of `original` with zero-width characters
    (U+200B..U+200D, U+2060, U+FEFF, U+00AD) removed; a zero-width joiner is
    kept only inside an emoji ZWJ sequence. A lone surrogate (valid in JSON
    text, not in UTF-8) becomes U+FFFD.
    """

    original: str
    text: str
    # For text[i]: the half-open span of `original` it came from. `None` means
    # the identity mapping (text == original), which costs nothing to store.
    _char_starts: tuple[int, ...] | None = attrs.field(
        default=None, repr=False, eq=False, alias="char_starts"
    )
    _char_ends: tuple[int, ...] | None = attrs.field(
        default=None, repr=False, eq=False, alias="char_ends"
    )

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span in `text` to the smallest half-open span in `original` covering it."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside text of length {len(self.text)}")
        if self._char_starts is None or self._char_ends is None:
            return start, end
        if start == end:
            position = self._char_starts[start] if start < len(self.text) else len(self.original)
            return position, position
        return self._char_starts[start], self._char_ends[end - 1]


def normalize(value: str) -> NormalizedText:
    """NFKC-normalise `value` and drop zero-width characters, remembering where each character came from."""
    if value.isascii():
        return NormalizedText(value, value)
    text = searchable(value)
    has_zero_width = any(char in text for char in _ZERO_WIDTH_CHARS)
    if not has_zero_width and unicodedata.is_normalized("NFKC", text):
        return NormalizedText(value, text)
    normalized = _normalize_with_mapping(text)
    return normalized if text is value else attrs.evolve(normalized, original=value)


def searchable(value: str) -> str:
    """`value` with lone surrogates replaced by U+FFFD (same length), so that it can be UTF-8 encoded for RE2."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", value)
    return value


def _normalize_with_mapping(value: str) -> NormalizedText:
    segments = _segments(value)
    outputs = [unicodedata.normalize("NFKC", text) for _, _, text in segments]
    expected = unicodedata.normalize("NFKC", "".join(text for _, _, text in segments))
    if "".join(outputs) != expected:
        # Composition can reach across a starter (half-width katakana voicing
        # marks, Hangul jamo, some Indic vowel signs): join those segments.
        segments = _merge_interacting_segments(segments)
        outputs = [unicodedata.normalize("NFKC", text) for _, _, text in segments]
        if "".join(outputs) != expected:
            segments = [(segments[0][0], segments[-1][1], "".join(t for _, _, t in segments))]
            outputs = [expected]

    char_starts: list[int] = []
    char_ends: list[int] = []
    for (segment_start, segment_end, _), output in zip(segments, outputs):
        char_starts.extend([segment_start] * len(output))
        char_ends.extend([segment_end] * len(output))
    return NormalizedText(
        value, "".join(outputs), char_starts=tuple(char_starts), char_ends=tuple(char_ends)
    )


def _segments(value: str) -> list[tuple[int, int, str]]:
    """Split `value` (minus zero-width characters) into (start, end, text) runs that each begin at a starter."""
    segments: list[tuple[int, int, str]] = []
    current_start = current_end = -1
    current_chars: list[str] = []
    for index, char in enumerate(value):
        if char in _ZERO_WIDTH_CHARS and not (
            char == _ZERO_WIDTH_JOINER and _joins_emoji(value, index)
        ):
            continue
        if current_chars and unicodedata.combining(char) == 0:
            segments.append((current_start, current_end, "".join(current_chars)))
            current_chars = []
        if not current_chars:
            current_start = index
        current_chars.append(char)
        current_end = index + 1
    if current_chars:
        segments.append((current_start, current_end, "".join(current_chars)))
    return segments


def _merge_interacting_segments(
    segments: list[tuple[int, int, str]],
) -> list[tuple[int, int, str]]:
    merged = [segments[0]]
    for start, end, text in segments[1:]:
        previous_start, _, previous_text = merged[-1]
        joined = previous_text + text
        if unicodedata.normalize("NFKC", joined) != unicodedata.normalize(
            "NFKC", previous_text
        ) + unicodedata.normalize("NFKC", text):
            merged[-1] = (previous_start, end, joined)
        else:
            merged.append((start, end, text))
    return merged


def _joins_emoji(value: str, joiner_index: int) -> bool:
    """True when the zero-width joiner at `joiner_index` links two emoji (e.g. 👩‍💻)."""
    import emoji  # deferred: only needed for the rare text with a ZWJ

    before = joiner_index - 1
    while before >= 0 and value[before] in _EMOJI_SEQUENCE_MODIFIERS:
        before -= 1
    after = joiner_index + 1
    return (
        before >= 0
        and after < len(value)
        and emoji.is_emoji(value[before])
        and emoji.is_emoji(value[after])
    )
