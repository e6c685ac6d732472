"""What compiled rules run against: a lazily computed view of one message (normalised text
segments, located findings, derived fields), the getters of its fields and the implementations of
the built-in functions (`registry` says which name each one has)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import attrs
import msgspec

from ..messages.model import Message
from . import finders
from .normalize import NormalizedText, normalize

__all__ = [
    "AttachmentValue", "Finding", "LinkFinding", "Location", "MessageView", "RecordValue", "Segment", "Text",
    "locations_of",
]
# the getters of message fields
__all__ += [
    "all_text", "attachment_values", "body_text", "html_text", "message_category", "message_language", "record_of",
    "reply_record", "subject_text", "text_field",
]
# the implementations of built-in functions
__all__ += [
    "emails_in", "found_by", "language_of", "length_of", "links_in", "on_segments", "order_ids_in", "primary_subtag",
    "sum_of", "tracking_pixels_in",
]


# A frozen msgspec struct rather than an attrs class: a text may hold a great many findings, and a
# struct is built several times faster.
class Location(msgspec.Struct, frozen=True):
    """Where a finding is: a message field and, when known, offsets into it as given."""

    field: str
    start: int | None
    end: int | None
    excerpt: str | None


class Segment:
    """One text field (or the visible text of the HTML body), normalised for matching, that maps
    match offsets back to the field as given."""

    __slots__ = ("cache", "field", "html", "norm", "raw", "text")

    def __init__(self, field: str, raw: str, html: Any = None):
        self.field = field
        self.raw = raw
        self.html = html
        source = html.visible_text if html is not None else raw
        # ASCII text is its own normal form: no offset map to build or consult.
        norm = None if source.isascii() else normalize(source)
        self.text: str = source if norm is None else norm.text
        self.norm: NormalizedText | None = None if norm is None or norm.maps_offsets_unchanged else norm
        self.cache: dict[str, Any] = {}

    def locate(self, start: int, end: int) -> Location:
        if self.norm is not None:
            start, end = self.norm.original_span(start, end)
        if self.html is not None:
            start, end = self.html.source_span(start, end)
        return Location(self.field, start, end, self.raw[start:end])

    def source_location(self, start: int, end: int) -> Location:
        """A location given directly in the field as written (HTML attribute spans)."""
        return Location(self.field, start, end, self.raw[start:end])


class Text:
    """A text value: the segments of one or more fields; `present` is false for an absent field."""

    __slots__ = ("present", "segments")

    def __init__(self, segments: tuple[Segment, ...], present: bool = True):
        self.segments = segments
        self.present = present

    def __str__(self) -> str:
        return "\n".join(s.raw if s.html is None else s.html.visible_text for s in self.segments)

    @property
    def original_length(self) -> int:
        return sum(len(s.raw) for s in self.segments)


class _Located:
    """A finding in a text segment. Most findings never need their location (it is needed only
    when a rule reports them), so it is worked out on first use."""

    __slots__ = ("_end", "_location", "_segment", "_start")

    def _place(self, location: Location | None, segment: Segment | None, start: int, end: int) -> None:
        self._location, self._segment, self._start, self._end = location, segment, start, end

    @property
    def location(self) -> Location:
        if self._location is None:
            if self._segment is None:  # an AttributeError, so that `getattr(finding, "location", None)` is None
                raise AttributeError(f"{type(self).__name__} {self} was found nowhere")
            self._location = self._segment.locate(self._start, self._end)
        return self._location

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._key()!r}"


class Finding(_Located):
    """A value a finder found: an e-mail address, a phone number (E.164), an order id…"""

    __slots__ = ("value",)

    def __init__(self, value: str, location: Location | None = None, segment: Segment | None = None,
                 start: int = 0, end: int = 0):
        # The fields are set here rather than by `_place`: a text may hold a great many findings.
        self.value = value
        self._location, self._segment, self._start, self._end = location, segment, start, end

    def _key(self) -> tuple:
        return self.value, self.location

    def __str__(self) -> str:
        return self.value


class LinkFinding(_Located):
    """A link: its URL as written, scheme (when given), host and registrable domain."""

    __slots__ = ("domain", "host", "scheme", "url")

    def __init__(self, url: str, scheme: str | None, host: str, domain: str, location: Location | None = None,
                 segment: Segment | None = None, start: int = 0, end: int = 0):
        self.url, self.scheme, self.host, self.domain = url, scheme, host, domain
        self._place(location, segment, start, end)

    def _key(self) -> tuple:
        return self.url, self.scheme, self.host, self.domain, self.location

    def __str__(self) -> str:
        return self.url


@attrs.frozen
class AttachmentValue:
    name: str
    size: int
    content_type: str | None
    extension: str
    location: Location


@attrs.frozen
class RecordValue:
    """A nested message object (recipient, sender, in_reply_to)."""

    role: str | None = None
    address: str | None = None
    language: str | None = None
    opted_out: bool | None = None
    id: str | None = None
    received_at: datetime.datetime | None = None


def _extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[1].strip().lower()


class MessageView:
    """A message as the compiled rules see it; every derived value is computed once, on demand."""

    def __init__(self, message: Message, context: dict, now: datetime.datetime, reason_categories: dict[str, str]):
        self.message = message
        self.context = context
        self.now = now
        self.reason_categories = reason_categories
        self.vars: dict[str, Any] = {}
        self.cache: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[MessageView], Any]) -> Any:
        value = self.cache.get(key, _UNSET)  # not try/except: most keys are computed on first use
        if value is _UNSET:
            value = self.cache[key] = compute(self)
        return value


_UNSET = object()


def text_field(field: str) -> Callable[[MessageView], Text]:
    """The getter of a plain text field of the message (`subject`, `body`): one segment."""
    def text(view: MessageView) -> Text:
        value = view.cache.get(field)
        if value is None:
            raw = getattr(view.message, field)
            value = view.cache[field] = Text((Segment(field, raw or ""),), present=raw is not None)
        return value

    return text


def html_text(view: MessageView) -> Text:
    def compute(view: MessageView) -> Text:
        raw = view.message.html
        if raw is None:
            return Text((), present=False)
        from .html_reader import parse_html  # loaded on first use: most messages are plain text

        return Text((Segment("html", raw, parse_html(raw)),))

    return view.memo("html", compute)


subject_text = text_field("subject")
body_text = text_field("body")


def all_text(view: MessageView) -> Text:
    value = view.cache.get("text")
    if value is None:
        html = html_text(view).segments if view.message.html is not None else ()
        value = view.cache["text"] = Text(subject_text(view).segments + body_text(view).segments + html)
    return value


def message_language(view: MessageView) -> str | None:
    if view.message.language:
        return view.message.language

    def detect(v: MessageView) -> str | None:
        prose = "\n".join(s.text for s in (body_text(v).segments + html_text(v).segments + subject_text(v).segments))
        return finders.detect_language(prose)

    return view.memo("language", detect)


def message_category(view: MessageView) -> str:
    message = view.message
    if message.category:
        return message.category
    if message.contact_reason:
        found = view.reason_categories.get(message.contact_reason.casefold())
        if found:
            return found
    return "non_critical"


def attachment_values(view: MessageView) -> list[AttachmentValue]:
    def compute(v: MessageView) -> list[AttachmentValue]:
        return [
            AttachmentValue(a.name, a.size, a.content_type, _extension(a.name),
                            Location(f"attachments[{i}]", None, None, a.name))
            for i, a in enumerate(v.message.attachments)
        ]

    return view.memo("attachments", compute)


def reply_record(view: MessageView) -> RecordValue | None:
    message = view.message
    if message.in_reply_to_received_at is None and message.in_reply_to_id is None:
        return None  # an email reply (In-Reply-To) may not say when the buyer's message arrived
    return RecordValue(id=message.in_reply_to_id, received_at=message.in_reply_to_received_at)


def record_of(attributes: dict[str, str]) -> Callable[[MessageView], RecordValue]:
    """The getter of a record whose fields are `Message` attributes (`{"role": "sender_role"}`)."""
    return lambda view: RecordValue(**{name: getattr(view.message, attribute) for name, attribute in attributes.items()})


# -- built-in functions ----------------------------------------------------------------------

def _as_text(value: Any) -> Text | None:
    if value is None or isinstance(value, Text):
        return value
    if isinstance(value, str):
        return Text((Segment("value", value),))
    return None


def on_segments(name: str, find: Callable[[Segment], list]) -> Callable[[Any], list | None]:
    """The built-in function of a text finder: what `find` finds in each segment of a text (or a
    string), cached in the segment under the function's `name`."""
    def run(value: Any) -> list | None:
        text = _as_text(value)
        if text is None:
            return None
        results: list = []
        for segment in text.segments:
            found = segment.cache.get(name)
            if found is None:
                found = segment.cache[name] = find(segment)
            results.extend(found)
        return results

    return run


def found_by(finder: Callable[[str], list]) -> Callable[[Segment], list]:
    """A segment finder of a text finder (`finders.find_emoji`), its findings located lazily."""
    return lambda segment: [Finding(f.value, None, segment, f.start, f.end) for f in finder(segment.text)]


def links_in(segment: Segment) -> list[LinkFinding]:
    results = [
        LinkFinding(link.url, link.scheme, link.host, link.domain, None, segment, link.start, link.end)
        for link in finders.find_links(segment.text)
    ]
    if segment.html is not None:
        for target in segment.html.link_targets:
            for link in finders.find_links(target.value):
                if target.value.lower().startswith("mailto:"):
                    continue
                results.append(LinkFinding(link.url, link.scheme, link.host, link.domain,
                                           segment.source_location(target.start, target.end)))
    return results


def emails_in(segment: Segment) -> list[Finding]:
    results = found_by(finders.find_emails)(segment)
    if segment.html is not None:
        for target in segment.html.link_targets:
            for found in finders.find_emails(target.value):
                results.append(Finding(found.value, segment.source_location(target.start, target.end)))
    return results


def order_ids_in(segment: Segment) -> list[Finding]:
    return [Finding(segment.text[start:end], None, segment, start, end)
            for start, end in finders.order_id_spans(segment.text)]


def tracking_pixels_in(segment: Segment) -> list[Finding]:
    if segment.html is None:
        return []
    return [Finding(p.value, segment.source_location(p.start, p.end)) for p in segment.html.tracking_pixels]


def language_of(value: Any) -> str | None:
    text = _as_text(value)
    if text is None:
        return None
    return finders.detect_language("\n".join(s.text for s in text.segments))


def primary_subtag(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).replace("_", "-").split("-", 1)[0].strip().lower() or None


def length_of(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, Text):
        return value.original_length
    return len(str(value))


def sum_of(values: Any) -> Any:
    if values is None:
        return None
    present = [v for v in values if v is not None]
    return sum(present) if present else 0


def locations_of(values: list) -> tuple[Location, ...]:
    return tuple(location for v in values if (location := getattr(v, "location", None)) is not None)
