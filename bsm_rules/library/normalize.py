"""Text normalisation (NFKC, zero-width removal) with a map back to the original offsets."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator

import attrs
import re2

__all__ = ["NormalizedText", "normalize", "searchable"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_ZERO_WIDTH_JOINER = "\u200d"
_ZERO_WIDTH_CHARS = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
# Every character of a nonzero combining class is a mark; a run without marks is one segment per character.
_COMBINING_MARK = re2.compile(r"\p{M}", _RE2_OPTIONS)
# Characters that may sit between an emoji and a following zero-width joiner
# inside one emoji sequence (variation selector 16, skin-tone modifiers).
_EMOJI_SEQUENCE_MODIFIERS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


@attrs.frozen
class _OffsetMap:
    """Pieces of a normalised text, each either copied verbatim from the original or standing for a
    whole original span (what one segment became)."""

    text_starts: tuple[int, ...]
    original_starts: tuple[int, ...]
    original_ends: tuple[int, ...]
    verbatim: tuple[bool, ...]

    def char_span(self, index: int) -> tuple[int, int]:
        piece = bisect.bisect_right(self.text_starts, index) - 1
        if self.verbatim[piece]:
            source = self.original_starts[piece] + index - self.text_starts[piece]
            return source, source + 1
        return self.original_starts[piece], self.original_ends[piece]


class _OffsetMapBuilder:
    def __init__(self) -> None:
        self.text_starts: list[int] = []
        self.original_starts: list[int] = []
        self.original_ends: list[int] = []
        self.verbatim: list[bool] = []
        self.length = 0  # of the normalised text so far

    def copied(self, start: int, end: int) -> None:
        """original[start:end] is in the text as it is."""
        if start == end:
            return
        if self.verbatim and self.verbatim[-1] and self.original_ends[-1] == start:
            self.original_ends[-1] = end
        else:
            self._add(start, end, True)
        self.length += end - start

    def replaced(self, start: int, end: int, length: int) -> None:
        """original[start:end] became `length` characters of the text."""
        if length:
            self._add(start, end, False)
            self.length += length

    def _add(self, start: int, end: int, verbatim: bool) -> None:
        self.text_starts.append(self.length)
        self.original_starts.append(start)
        self.original_ends.append(end)
        self.verbatim.append(verbatim)

    def build(self) -> _OffsetMap:
        return _OffsetMap(tuple(self.text_starts), tuple(self.original_starts), tuple(self.original_ends),
                          tuple(self.verbatim))


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
    # Where the characters of `text` come from in `original` less the dropped zero-width
    # characters. `None` means the identity mapping, which costs nothing to store.
    _offsets: _OffsetMap | None = attrs.field(default=None, repr=False, eq=False, alias="offsets")
    # For each dropped character, in order: the position in `original` less the dropped ones
    # where it was (so that position p there is p + bisect_right(_dropped, p) in `original`).
    _dropped: tuple[int, ...] = attrs.field(default=(), repr=False, eq=False, alias="dropped")

    @property
    def maps_offsets_unchanged(self) -> bool:
        """Whether every offset of `text` is the same offset in `original` (only lone surrogates, if
        any, were replaced)."""
        return self._offsets is None and not self._dropped

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span in `text` to the smallest half-open span in `original` covering it."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside text of length {len(self.text)}")
        if start == end:
            if start == len(self.text):
                return (len(self.original),) * 2 if self._offsets is not None or self._dropped else (start, start)
            position = self._offsets.char_span(start)[0] if self._offsets is not None else start
            position = self._in_original(position)
            return position, position
        first, last = start, end
        if self._offsets is not None:
            first, last = self._offsets.char_span(start)[0], self._offsets.char_span(end - 1)[1]
        return self._in_original(first), self._in_original(last - 1) + 1

    def _in_original(self, position: int) -> int:
        return position + bisect.bisect_right(self._dropped, position) if self._dropped else position


def normalize(value: str) -> NormalizedText:
    """NFKC-normalise `value` and drop zero-width characters, remembering where each character came from."""
    if value.isascii():
        return NormalizedText(value, value)
    text = searchable(value)
    if not any(char in text for char in _ZERO_WIDTH_CHARS) and unicodedata.is_normalized("NFKC", text):
        return NormalizedText(value, text)
    dropped = _dropped_zero_width(text)
    kept = text
    if dropped:
        kept = text[:dropped[0]] + "".join(text[at + 1:next_at]
                                           for at, next_at in itertools.pairwise([*dropped, len(text)]))
    normalized, offsets = _normalize_with_mapping(kept)
    return NormalizedText(value, normalized, offsets=offsets,
                          dropped=tuple(at - count for count, at in enumerate(dropped)))


def searchable(value: str) -> str:
    """`value` with lone surrogates replaced by U+FFFD (same length), so that it can be UTF-8 encoded for RE2."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", value)
    return value


def _dropped_zero_width(text: str) -> list[int]:
    """The positions of the zero-width characters that normalising drops (not a joiner inside an emoji sequence)."""
    return [match.start() for match in _ZERO_WIDTH.finditer(text)
            if not (match.group() == _ZERO_WIDTH_JOINER and _joins_emoji(text, match.start()))]


def _normalize_with_mapping(value: str) -> tuple[str, _OffsetMap | None]:
    """The normal form of `value` (no zero-width character left to drop) and where its characters
    come from, as if normalised segment by segment (a starter and the marks after it) as a whole.
    The work is done by region: ASCII text is its own normal form, and a character before an ASCII
    one never composes with it, so only the runs of other characters (with the character before
    each, which may compose with the run's first) need it."""
    if _COMBINING_MARK.search(value) is None and unicodedata.is_normalized("NFKC", value):
        return value, None  # one segment per character, each its own normal form
    offsets = _OffsetMapBuilder()
    pieces: list[str] = []
    done = 0
    try:
        for run_start, end in _regions(value):
            start = run_start - 1 if run_start > done else run_start  # "e" + U+0301 composes
            pieces.append(value[done:start])
            offsets.copied(done, start)
            pieces.append(_normalize_region(value, start, end, offsets))
            done = end
    except _SegmentsInteract:
        offsets = _OffsetMapBuilder()
        return _normalize_segments(value, 0, len(value), offsets, whole=True), offsets.build()
    pieces.append(value[done:])
    offsets.copied(done, len(value))
    return "".join(pieces), offsets.build()


# Runs of other characters less than this far apart are normalised as one region.
_REGION_GAP = 32


def _regions(value: str) -> Iterator[tuple[int, int]]:
    """The spans of `value` that hold its non-ASCII characters, runs close together joined."""
    region_start = region_end = -1
    for run in _NON_ASCII_RUN.finditer(value):
        start, end = run.span()
        if region_end >= 0 and start - region_end < _REGION_GAP:
            region_end = end
            continue
        if region_end >= 0:
            yield region_start, region_end
        region_start, region_end = start, end
    if region_end >= 0:
        yield region_start, region_end


class _SegmentsInteract(Exception):
    """Segments of a region compose across each other in a way that joining pairs does not undo."""


def _normalize_region(value: str, start: int, end: int, offsets: _OffsetMapBuilder) -> str:
    """The normal form of value[start:end], its pieces added to `offsets`."""
    region = value[start:end]
    if _COMBINING_MARK.search(region) is None and unicodedata.is_normalized("NFKC", region):
        offsets.copied(start, end)
        return region
    return _normalize_segments(value, start, end, offsets, whole=False)


def _normalize_segments(value: str, start: int, end: int, offsets: _OffsetMapBuilder, whole: bool) -> str:
    """The normal form of value[start:end] segment by segment; raises _SegmentsInteract when that
    does not give the normal form of the whole, unless `whole` (then it is one segment)."""
    segments = _segments(value, start, end)
    if not segments:
        return ""
    outputs = list(map(_nfkc, [text for _, _, text in segments]))
    expected = "".join(outputs)
    # NFKC(a + b) is NFKC(NFKC(a) + NFKC(b)): the joined outputs are the normal form of the whole
    # exactly when they are in normal form.
    if not unicodedata.is_normalized("NFKC", expected):
        # Composition can reach across a starter (half-width katakana voicing
        # marks, Hangul jamo, some Indic vowel signs): join those segments.
        expected = unicodedata.normalize("NFKC", value[start:end])
        segments = _merge_interacting_segments(segments)
        outputs = [unicodedata.normalize("NFKC", text) for _, _, text in segments]
        if "".join(outputs) != expected:
            if not whole:
                raise _SegmentsInteract
            segments = [(start, end, value[start:end])]
            outputs = [expected]
    copied_from = -1  # the start of the characters copied as they are since the last replaced segment
    for (segment_start, segment_end, text), output in zip(segments, outputs, strict=True):
        if segment_end - segment_start == 1 and output == text:
            if copied_from < 0:
                copied_from = segment_start
            continue
        if copied_from >= 0:
            offsets.copied(copied_from, segment_start)
            copied_from = -1
        offsets.replaced(segment_start, segment_end, len(output))
    if copied_from >= 0:
        offsets.copied(copied_from, end)
    return expected


@functools.lru_cache(maxsize=4096)
def _nfkc(segment: str) -> str:
    # Most segments are one character, and a text uses few different ones.
    return unicodedata.normalize("NFKC", segment)


def _segments(value: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Split value[start:end] into (start, end, text) runs that each begin at a starter."""
    if start == end:
        return []
    combining = unicodedata.combining
    starts = [index for index in range(start + 1, end) if not combining(value[index])]
    starts.insert(0, start)
    starts.append(end)
    return [(first, after, value[first:after]) for first, after in itertools.pairwise(starts)]


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
    before = joiner_index - 1
    while before >= 0 and value[before] in _EMOJI_SEQUENCE_MODIFIERS:
        before -= 1
    after = joiner_index + 1
    if before < 0 or after >= len(value):
        return False
    single_emoji = _single_character_emoji()
    return value[before] in single_emoji and value[after] in single_emoji


@functools.cache
def _single_character_emoji() -> frozenset[str]:
    import emoji  # deferred: only needed for the rare text with a ZWJ

    return frozenset(sequence for sequence in emoji.EMOJI_DATA if len(sequence) == 1)
