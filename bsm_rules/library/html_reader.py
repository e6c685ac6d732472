"""The HTML reader: an HTML body's visible text (mapped back to source offsets), the URLs it
references (`href`, `src`, `srcset`, CSS `url()`, meta refresh) and its tracking pixels."""

from __future__ import annotations

import bisect
import collections
import html
import html.parser
import re

import attrs

from .finders import Found

__all__ = ["HtmlContent", "parse_html"]


@attrs.frozen
class _SpanMap:
    """Pieces of visible text, each either copied verbatim from the source or standing for a whole source span."""

    visible_starts: tuple[int, ...]
    source_starts: tuple[int, ...]
    source_ends: tuple[int, ...]
    verbatim: tuple[bool, ...]

    def char_span(self, index: int) -> tuple[int, int]:
        piece = bisect.bisect_right(self.visible_starts, index) - 1
        if self.verbatim[piece]:
            source = self.source_starts[piece] + index - self.visible_starts[piece]
            return source, source + 1
        return self.source_starts[piece], self.source_ends[piece]


@attrs.frozen
class HtmlContent:
    """An HTML body as a reader sees it, with the URLs it references and its tracking pixels."""

    visible_text: str
    _span_map: _SpanMap = attrs.field(repr=False, eq=False, alias="span_map")
    link_targets: tuple[Found, ...]
    tracking_pixels: tuple[Found, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of `visible_text` to the smallest span of the HTML source covering it."""
        if not 0 <= start <= end <= len(self.visible_text):
            raise ValueError(
                f"span ({start}, {end}) is outside visible text of length {len(self.visible_text)}"
            )
        if start == end:
            if start < len(self.visible_text):
                position = self._span_map.char_span(start)[0]
            elif self.visible_text:
                position = self._span_map.char_span(start - 1)[1]
            else:
                position = 0
            return position, position
        return self._span_map.char_span(start)[0], self._span_map.char_span(end - 1)[1]


def parse_html(html: str) -> HtmlContent:
    """Read an HTML document (malformed is normal); never raises."""
    reader = _HtmlReader(html)
    reader.read()
    return reader.content()


_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
     "param", "source", "track", "wbr"}
)
_HIDDEN_ELEMENTS = frozenset({"head", "script", "style", "template", "title", "iframe", "noembed"})
_BLOCK_ELEMENTS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
     "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
     "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)
_CELL_ELEMENTS = frozenset({"td", "th"})
_PREFORMATTED_ELEMENTS = frozenset({"pre", "textarea", "listing", "plaintext"})
# Elements whose start tag closes an open one of the same name ("<li>a<li>b").
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "poster", "background", "cite", "longdesc",
     "lowsrc", "dynsrc", "xlink:href", "data-src", "data-href"}
)

_TAG_NAME = re.compile(r"<[a-zA-Z][^\t\n\r\f />\x00]*(?:\s|/(?!>))*")
_ATTRIBUTE = re.compile(
    r"""([^\s/>][^\s/=>]*)(\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?(?:\s|/(?!>))*"""
)
_HTML_WHITESPACE_RUNS = re.compile(r"[ \t\n\r\f]+|[^ \t\n\r\f]+")
_HTML_WHITESPACE = " \t\n\r\f"
_CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^\s'"()]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_QUOTE_ENTITY = r"(?:&quot;|&apos;|&#0*3[49];|&#[xX]0*2[27];)"
_QUOTE_ENTITY_AT_START = re.compile(_QUOTE_ENTITY)
_QUOTE_ENTITY_AT_END = re.compile(_QUOTE_ENTITY + r"\Z")
_CSS_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(?:px)?\s*", re.IGNORECASE)
_REFRESH_PREFIX = re.compile(r"\s*[0-9.]*\s*[;,]?\s*(?:url\s*=\s*)?", re.IGNORECASE)


@attrs.frozen
class _Attribute:
    name: str
    value: str | None  # entities decoded; None when written without a value
    raw: str  # as in the source, without quotes
    start: int  # span of `raw` in the source
    end: int


# What stands in the text handed to html.parser for a "<" or "&" that is to be read as text.
_AS_TEXT = "\x01"
# A "&#" that is not a character reference: html.parser would stop reading normally there.
_BAD_CHARACTER_REFERENCE = r"&#(?!(?:[0-9]+|[xX][0-9a-fA-F]+)[^0-9a-fA-F])"
# "<![" starts a marked section html.parser knows only with one of these keywords; others make it raise.
_UNKNOWN_MARKED_SECTION = r"<!\[(?!(?i:temp|cdata|ignore|include|rcdata|if|else|endif)(?![-_.a-zA-Z0-9]))"
# Start tags that never end (no ">" html.parser accepts) read as text one by one, up to this many;
# after that every later "<" before a letter is text: each one costs a scan to the end of the document.
_MAX_UNFINISHED_TAGS = 4
_RAW_TEXT_ELEMENTS = frozenset({"script", "style"})  # html.parser's CDATA_CONTENT_ELEMENTS


def _as_text(text: str, pattern: str, start: int = 0) -> str:
    """`text` with the first character of every match of the regular expression `pattern` at or
    after `start` read as text."""
    pieces, done = [], 0
    for match in re.finditer(pattern, text[start:]):
        at = start + match.start()
        pieces += [text[done:at], _AS_TEXT]
        done = at + 1
    return "".join(pieces) + text[done:] if pieces else text


def _readable(source: str) -> str:
    """The source as html.parser is first given it: the same length and lines, with the "&" of
    every "&#" that is not a character reference and the "<" of every marked section html.parser
    does not know read as text."""
    fed = source
    if "&#" in fed:
        fed = _as_text(fed, _BAD_CHARACTER_REFERENCE)
    if "<![" in fed:
        fed = _as_text(fed, _UNKNOWN_MARKED_SECTION)
    return fed


class _HtmlReader(html.parser.HTMLParser):
    """Reads a document with html.parser, with its positions mapped back to the source. html.parser
    gets a copy of the source with a few "<" and "&" read as text (`_AS_TEXT`, same length): at
    the end of a document it reads a construct that never ends (a comment without "-->", a tag
    without ">") by looking for the end again at every later "<", which takes time quadratic in
    the length; here such a "<" is read as text and reading goes on right after it."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self._source = source
        self._fed = _readable(source)
        self._base = 0  # where in the source the text html.parser has now starts
        self._base_line = 0  # the number of line ends before `_base`
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self._open: list[tuple[str, bool]] = []  # (tag, hides its content)
        self._open_count: collections.Counter[str] = collections.Counter()  # of each tag in `_open`
        self._hidden_depth = 0
        self._preformatted_depth = 0
        self._visible: list[str] = []
        self._visible_length = 0
        self._last_char = ""
        self._pending_space: tuple[int, int] | None = None
        self._visible_starts: list[int] = []
        self._source_starts: list[int] = []
        self._source_ends: list[int] = []
        self._verbatim: list[bool] = []
        self._link_targets: list[Found] = []
        self._tracking_pixels: list[Found] = []

    def content(self) -> HtmlContent:
        span_map = _SpanMap(
            tuple(self._visible_starts),
            tuple(self._source_starts),
            tuple(self._source_ends),
            tuple(self._verbatim),
        )
        return HtmlContent(
            "".join(self._visible),
            span_map=span_map,
            link_targets=tuple(sorted(self._link_targets, key=lambda found: found.start)),
            tracking_pixels=tuple(self._tracking_pixels),
        )

    # -- positions and output

    def read(self) -> None:
        """Read the whole source; never raises (html.parser can assert on odd markup: what was
        read until then is kept)."""
        unfinished_tags = 0
        last_tag_end = self._source.rfind(">")
        while True:
            self.reset()
            try:
                self.feed(self._fed[self._base:])
                stop = self._position()
                if self._in_raw_text() or not self._unfinished_at(stop):
                    self.close()
                    return
            except Exception:  # noqa: BLE001
                return
            fed = self._fed
            if stop > last_tag_end:  # nothing after it can end: every "<" is text
                self._fed = _as_text(fed, "<", stop)
            elif fed.startswith("<!--", stop):
                self._fed = _as_text(fed, "<!--", stop)  # no later comment can end either
            elif fed.startswith("<![", stop):
                self._fed = _as_text(fed, "<!\\[", stop)
            else:
                unfinished_tags += 1
                if unfinished_tags >= _MAX_UNFINISHED_TAGS:
                    self._fed = _as_text(fed, "<[a-zA-Z]", stop)
                else:
                    self._fed = fed[:stop] + _AS_TEXT + fed[stop + 1:]
            self._base = stop
            self._base_line = bisect.bisect_right(self._line_starts, stop) - 1

    def _unfinished_at(self, stop: int) -> bool:
        """Whether html.parser stopped before a construct that never ends (it stops at the end of
        the text, and before a lone "<" or "</" at the end, too)."""
        return self._fed.startswith("<", stop) and len(self._fed) - stop > 1 and self._fed[stop:] != "</"

    def _in_raw_text(self) -> bool:
        return bool(self._open) and self._open[-1][0] in _RAW_TEXT_ELEMENTS

    def _position(self) -> int:
        line, offset = self.getpos()
        if line == 1:
            return self._base + offset
        return self._line_starts[self._base_line + line - 1] + offset

    def _emit(self, text: str, source_start: int, source_end: int, verbatim: bool) -> None:
        if not text:
            return
        self._visible_starts.append(self._visible_length)
        self._source_starts.append(source_start)
        self._source_ends.append(source_end)
        self._verbatim.append(verbatim)
        self._visible.append(text)
        self._visible_length += len(text)
        self._last_char = text[-1]

    def _emit_text(self, text: str, source_start: int, source_end: int, verbatim: bool) -> None:
        if self._pending_space is not None:
            if self._last_char and self._last_char != "\n":
                self._emit(" ", *self._pending_space, verbatim=False)
            self._pending_space = None
        self._emit(text, source_start, source_end, verbatim)

    def _whitespace(self, source_start: int, source_end: int) -> None:
        if self._pending_space is None:
            self._pending_space = (source_start, source_end)
        else:
            self._pending_space = (self._pending_space[0], source_end)

    def _line_break(self, source_start: int, source_end: int, always: bool = False) -> None:
        self._pending_space = None
        if self._visible_length and (always or self._last_char != "\n"):
            self._emit("\n", source_start, source_end, verbatim=False)

    # -- parser callbacks

    def handle_data(self, data: str) -> None:
        start = self._position()
        verbatim = self._fed.startswith(data, start)
        if verbatim:
            data = self._source[start:start + len(data)]
        if self._open and self._open[-1][0] == "style":
            if verbatim:
                self._add_css_urls(data, start, decode_entities=False)
            return
        if self._hidden_depth:
            return
        if not verbatim:
            self._emit_text(data, start, min(start + len(data), len(self._source)), verbatim=False)
            return
        if self._preformatted_depth:
            self._emit_text(data, start, start + len(data), verbatim=True)
            return
        for match in _HTML_WHITESPACE_RUNS.finditer(data):
            run_start, run_end = start + match.start(), start + match.end()
            if match.group()[0] in _HTML_WHITESPACE:
                self._whitespace(run_start, run_end)
            else:
                self._emit_text(match.group(), run_start, run_end, verbatim=True)

    def handle_entityref(self, name: str) -> None:
        self._reference(1 + len(name))

    def handle_charref(self, name: str) -> None:
        self._reference(2 + len(name))

    def _reference(self, length_without_semicolon: int) -> None:
        if self._hidden_depth:
            return
        start = self._position()
        end = start + length_without_semicolon
        if self._source.startswith(";", end):
            end += 1
        decoded = html.unescape(self._source[start:end])
        if decoded.strip(_HTML_WHITESPACE) or self._preformatted_depth:
            self._emit_text(decoded, start, end, verbatim=False)
        elif decoded:
            self._whitespace(start, end)

    def handle_starttag(self, tag: str, attrs_: list) -> None:
        self._start_tag(tag, self_closing=False)

    def handle_startendtag(self, tag: str, attrs_: list) -> None:
        self._start_tag(tag, self_closing=True)

    def handle_endtag(self, tag: str) -> None:
        start = self._position()
        end = self._source.find(">", start) + 1 or len(self._source)
        if self._open_count[tag]:
            while self._open:
                name, _ = self._pop()
                if name == tag:
                    break
        self._layout_boundary(tag, start, end)

    # -- tags

    def _pop(self) -> tuple[str, bool]:
        name, hides = self._open.pop()
        self._open_count[name] -= 1
        if hides:
            self._hidden_depth -= 1
        if name in _PREFORMATTED_ELEMENTS:
            self._preformatted_depth -= 1
        return name, hides

    def _layout_boundary(self, tag: str, start: int, end: int) -> None:
        if self._hidden_depth:
            return
        if tag == "br":
            self._line_break(start, end, always=True)
        elif tag in _BLOCK_ELEMENTS:
            self._line_break(start, end)
        elif tag in _CELL_ELEMENTS and self._visible_length:
            self._whitespace(start, end)

    def _start_tag(self, tag: str, self_closing: bool) -> None:
        start = self._position()
        tag_text = self.get_starttag_text() or ""
        tag_text = self._source[start:start + len(tag_text)] if self._fed.startswith(tag_text, start) else ""
        end = start + len(tag_text) if tag_text else start
        # "<b>": no attributes to read (most tags of a long document are like it)
        attributes = [] if len(tag_text) == len(tag) + 2 else _parse_attributes(tag_text, start)

        if tag == "body" and self._open_count["head"]:
            while self._open and self._pop()[0] != "head":
                pass
        if self._open and (
            (tag in _SELF_CLOSING_SIBLINGS and self._open[-1][0] == tag)
            or (tag in _BLOCK_ELEMENTS and self._open[-1][0] == "p")
        ):
            self._pop()

        self._collect_link_targets(tag, attributes)
        by_name = {attribute.name: attribute for attribute in attributes}
        style = _css_declarations(by_name["style"].value or "") if "style" in by_name else {}
        if tag == "img":
            self._check_tracking_pixel(start, end, by_name, style)

        self._layout_boundary(tag, start, end)
        if self_closing or tag in _VOID_ELEMENTS:
            return
        hides = tag in _HIDDEN_ELEMENTS or "hidden" in by_name or (bool(style) and _hides_element(style))
        self._open.append((tag, hides))
        self._open_count[tag] += 1
        if hides:
            self._hidden_depth += 1
        if tag in _PREFORMATTED_ELEMENTS:
            self._preformatted_depth += 1

    def _collect_link_targets(self, tag: str, attributes: list[_Attribute]) -> None:
        for attribute in attributes:
            if attribute.value is None:
                continue
            if attribute.name in _URL_ATTRIBUTES:
                self._add_target(attribute.raw, attribute.start, decode_entities=True)
            elif attribute.name in ("srcset", "imagesrcset"):
                for offset, candidate in _srcset_candidates(attribute.raw):
                    self._add_target(candidate, attribute.start + offset, decode_entities=True)
            elif attribute.name == "style":
                self._add_css_urls(attribute.raw, attribute.start, decode_entities=True)
        if tag == "meta":
            by_name = {attribute.name: attribute for attribute in attributes}
            equiv, content = by_name.get("http-equiv"), by_name.get("content")
            if equiv and content and (equiv.value or "").strip().lower() == "refresh":
                prefix = _REFRESH_PREFIX.match(content.raw)
                offset = prefix.end() if prefix else 0
                url = content.raw[offset:]
                if url[:1] in ("'", '"'):
                    quote = url[0]
                    url = url[1:].split(quote, 1)[0]
                    offset += 1
                self._add_target(url, content.start + offset, decode_entities=True)

    def _add_target(self, raw: str, start: int, decode_entities: bool) -> None:
        stripped = raw.strip(_HTML_WHITESPACE)
        if not stripped:
            return
        start += len(raw) - len(raw.lstrip(_HTML_WHITESPACE))
        value = html.unescape(stripped) if decode_entities else stripped
        self._link_targets.append(Found(start, start + len(stripped), value.strip()))

    def _add_css_urls(self, css: str, start: int, decode_entities: bool) -> None:
        if "url" not in css.lower() and "@import" not in css.lower():
            return
        for match in _CSS_URL.finditer(css):
            group = next(index for index in range(1, 6) if match.group(index) is not None)
            url, url_start = match.group(group), start + match.start(group)
            if decode_entities:
                # In a style attribute the quotes may be written as entities: url(&quot;…&quot;).
                opening = _QUOTE_ENTITY_AT_START.match(url)
                closing = _QUOTE_ENTITY_AT_END.search(url)
                if opening and closing and opening.end() <= closing.start():
                    url, url_start = url[opening.end() : closing.start()], url_start + opening.end()
            self._add_target(url, url_start, decode_entities)

    def _check_tracking_pixel(self, start: int, end: int, by_name: dict, style: dict) -> None:
        width = _css_pixels(style.get("width")) if "width" in style else None
        height = _css_pixels(style.get("height")) if "height" in style else None
        if width is None and "width" in by_name:
            width = _css_pixels(by_name["width"].value)
        if height is None and "height" in by_name:
            height = _css_pixels(by_name["height"].value)
        tiny = width is not None and height is not None and width <= 1 and height <= 1
        flat = width == 0 or height == 0
        hidden = self._hidden_depth > 0 or "hidden" in by_name or _hides_element(style)
        if tiny or flat or hidden:
            source = by_name.get("src")
            self._tracking_pixels.append(
                Found(start, end, (source.value or "").strip() if source else "")
            )


def _parse_attributes(tag_text: str, tag_start: int) -> list[_Attribute]:
    name_match = _TAG_NAME.match(tag_text)
    if name_match is None:
        return []
    attributes: list[_Attribute] = []
    position = name_match.end()
    while position < len(tag_text):
        match = _ATTRIBUTE.match(tag_text, position)
        if match is None or match.end() == position:
            break
        name = match.group(1).lower()
        if match.group(2) is None:
            attributes.append(_Attribute(name, None, "", tag_start + match.end(1), tag_start + match.end(1)))
        else:
            raw, raw_start = match.group(3), match.start(3)
            if raw[:1] in ("'", '"') and raw[:1] == raw[-1:] and len(raw) >= 2:
                raw, raw_start = raw[1:-1], raw_start + 1
            attributes.append(
                _Attribute(name, html.unescape(raw), raw, tag_start + raw_start, tag_start + raw_start + len(raw))
            )
        position = match.end()
    return attributes


def _srcset_candidates(srcset: str) -> list[tuple[int, str]]:
    """(offset, url) of each image candidate in a srcset attribute value."""
    candidates: list[tuple[int, str]] = []
    position, length = 0, len(srcset)
    while position < length:
        while position < length and (srcset[position] in _HTML_WHITESPACE or srcset[position] == ","):
            position += 1
        url_start = position
        while position < length and srcset[position] not in _HTML_WHITESPACE:
            position += 1
        url = srcset[url_start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # skip descriptors up to the next comma outside parentheses
            while position < length and (srcset[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(srcset[position], 0)
                position += 1
        if url:
            candidates.append((url_start, url))
    return candidates


def _css_declarations(style: str) -> dict[str, str]:
    declarations: dict[str, str] = {}
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        if colon:
            value = value.strip().lower()
            if value.endswith("!important"):
                value = value[: -len("!important")].strip()
            declarations[name.strip().lower()] = value
    return declarations


def _css_pixels(value: str | None) -> float | None:
    if value is None:
        return None
    match = _CSS_LENGTH.fullmatch(value)
    return float(match.group(1)) if match else None


def _hides_element(style: dict[str, str]) -> bool:
    opacity = style.get("opacity")
    return (
        style.get("display") == "none"
        or style.get("visibility") in ("hidden", "collapse")
        or (opacity is not None and _css_pixels(opacity.rstrip("%")) == 0)
    )
