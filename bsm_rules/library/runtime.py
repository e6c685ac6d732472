"""What compiled rules run against: a lazily computed view of one message (normalised text
segments, located findings, derived fields) and the built-in functions."""

from __future__ import annotations

import datetime
from typing import Any, Callable

import attrs

from . import finders
from ..messages.model import Message
from .normalize import NormalizedText, normalize

__all__ = ["Location", "Segment", "Text", "MessageView", "Finding", "LinkFinding", "AttachmentValue",
           "FIELD_GETTERS", "RECORD_ATTRIBUTES", "SEGMENT_FINDERS", "BUILTIN_FUNCTIONS", "locations_of"]


@attrs.frozen
class Location:
    """Where a finding is: a message field and, when known, offsets into it as given."""

    field: str
    start: int | None
    end: int | None
    excerpt: str | None


class Segment:
    """One text field (or the visible text of the HTML body), normalised for matching, that maps
    match offsets back to the field as given."""

    __slots__ = ("field", "raw", "text", "norm", "html", "cache")

    def __init__(self, field: str, raw: str, html: Any = None):
        self.field = field
        self.raw = raw
        self.html = html
        source = html.visible_text if html is not None else raw
        # ASCII text is its own normal form: no offset map to build or consult.
        self.norm: NormalizedText | None = None if source.isascii() else normalize(source)
        self.text: str = source if self.norm is None else self.norm.text
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

    __slots__ = ("segments", "present")

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

    __slots__ = ("_location", "_segment", "_start", "_end")

    def _place(self, location: Location | None, segment: Segment | None, start: int, end: int) -> None:
        self._location, self._segment, self._start, self._end = location, segment, start, end

    @property
    def location(self) -> Location:
        if self._location is None:
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
        self.value = value
        self._place(location, segment, start, end)

    def _key(self) -> tuple:
        return self.value, self.location

    def __str__(self) -> str:
        return self.value


class LinkFinding(_Located):
    """A link: its URL as written, scheme (when given), host and registrable domain."""

    __slots__ = ("url", "scheme", "host", "domain")

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


def _segment_text(field: str) -> Callable[[MessageView], Text]:
    def text(view: MessageView) -> Text:
        value = view.cache.get(field)
        if value is None:
            raw = getattr(view.message, field)
            value = view.cache[field] = Text((Segment(field, raw or ""),), present=raw is not None)
        return value

    return text


def _html(view: MessageView) -> Text:
    def compute(view: MessageView) -> Text:
        raw = view.message.html
        if raw is None:
            return Text((), present=False)
        from .html_reader import parse_html  # loaded on first use: most messages are plain text

        return Text((Segment("html", raw, parse_html(raw)),))

    return view.memo("html", compute)


_subject = _segment_text("subject")
_body = _segment_text("body")


def _all_text(view: MessageView) -> Text:
    value = view.cache.get("text")
    if value is None:
        html = _html(view).segments if view.message.html is not None else ()
        value = view.cache["text"] = Text(_subject(view).segments + _body(view).segments + html)
    return value


def _language(view: MessageView) -> str | None:
    if view.message.language:
        return view.message.language

    def detect(v: MessageView) -> str | None:
        prose = "\n".join(s.text for s in (_body(v).segments + _html(v).segments + _subject(v).segments))
        return finders.detect_language(prose)

    return view.memo("language", detect)


def _category(view: MessageView) -> str:
    message = view.message
    if message.category:
        return message.category
    if message.contact_reason:
        found = view.reason_categories.get(message.contact_reason.casefold())
        if found:
            return found
    return "non_critical"


def _attachments(view: MessageView) -> list[AttachmentValue]:
    def compute(v: MessageView) -> list[AttachmentValue]:
        return [
            AttachmentValue(a.name, a.size, a.content_type, _extension(a.name),
                            Location(f"attachments[{i}]", None, None, a.name))
            for i, a in enumerate(v.message.attachments)
        ]

    return view.memo("attachments", compute)


def _reply(view: MessageView) -> RecordValue | None:
    message = view.message
    if message.in_reply_to_received_at is None and message.in_reply_to_id is None:
        return None  # an email reply (In-Reply-To) may not say when the buyer's message arrived
    return RecordValue(id=message.in_reply_to_id, received_at=message.in_reply_to_received_at)


# The fields of the sender and recipient records, as the `Message` attributes they read.
RECORD_ATTRIBUTES: dict[str, dict[str, str]] = {
    "sender": {"role": "sender_role", "id": "sender_id"},
    "recipient": {"role": "recipient_role", "address": "recipient_address", "language": "recipient_language",
                  "opted_out": "opted_out"},
}


def _record(field: str) -> Callable[[MessageView], RecordValue]:
    attributes = RECORD_ATTRIBUTES[field]
    return lambda view: RecordValue(**{name: getattr(view.message, attribute) for name, attribute in attributes.items()})


FIELD_GETTERS: dict[str, Callable[[MessageView], Any]] = {
    "id": lambda v: v.message.id,
    "sender": _record("sender"),
    "recipient": _record("recipient"),
    "contact_reason": lambda v: v.message.contact_reason,
    "category": _category,
    "declared_category": lambda v: v.message.category,
    "subject": _subject,
    "body": _body,
    "html": _html,
    "text": _all_text,
    "language": _language,
    "order_id": lambda v: v.message.order_id,
    "attachments": _attachments,
    "sent_at": lambda v: v.message.sent_at or v.now,
    "in_reply_to": _reply,
    "avg_daily_orders": lambda v: v.context.get("avg_daily_orders"),
    "sent_today": lambda v: v.context.get("sent_today", 0),
    "now": lambda v: v.now,
}


# -- built-in functions ----------------------------------------------------------------------

def _as_text(value: Any) -> Text | None:
    if value is None or isinstance(value, Text):
        return value
    if isinstance(value, str):
        return Text((Segment("value", value),))
    return None


def _per_segment(name: str, find: Callable[[Segment], list]) -> Callable[[Any], list | None]:
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


def _found(finder: Callable[[str], list]) -> Callable[[Segment], list]:
    return lambda segment: [Finding(f.value, None, segment, f.start, f.end) for f in finder(segment.text)]


def _links(segment: Segment) -> list[LinkFinding]:
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


def _emails(segment: Segment) -> list[Finding]:
    results = _found(finders.find_emails)(segment)
    if segment.html is not None:
        for target in segment.html.link_targets:
            for found in finders.find_emails(target.value):
                results.append(Finding(found.value, segment.source_location(target.start, target.end)))
    return results


def _tracking_pixels(segment: Segment) -> list[Finding]:
    if segment.html is None:
        return []
    return [Finding(p.value, segment.source_location(p.start, p.end)) for p in segment.html.tracking_pixels]


def _detect_language(value: Any) -> str | None:
    text = _as_text(value)
    if text is None:
        return None
    return finders.detect_language("\n".join(s.text for s in text.segments))


def _primary(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).replace("_", "-").split("-", 1)[0].strip().lower() or None


def _length(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, Text):
        return value.original_length
    return len(str(value))


def _sum(values: Any) -> Any:
    if values is None:
        return None
    present = [v for v in values if v is not None]
    return sum(present) if present else 0


# The finders, each run on one segment; their results are cached in the segment under the name.
SEGMENT_FINDERS: dict[str, Callable[[Segment], list]] = {
    "links": _links,
    "emails": _emails,
    "obfuscated_emails": _found(finders.find_obfuscated_emails),
    "phone_numbers": _found(finders.find_phone_numbers),
    "order_ids": lambda segment: [Finding(segment.text[start:end], None, segment, start, end)
                                  for start, end in finders.order_id_spans(segment.text)],
    "order_id_near_misses": _found(finders.find_order_id_near_misses),
    "emoji": _found(finders.find_emoji),
    "tracking_pixels": _tracking_pixels,
}

BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{name: _per_segment(name, find) for name, find in SEGMENT_FINDERS.items()},
    "detect_language": _detect_language,
    "primary": _primary,
    "is_amazon": lambda domain: None if domain is None else finders.is_amazon_domain(str(domain)),
    "count": lambda values: None if values is None else len(values),
    "sum": _sum,
    "length": _length,
    "lower": lambda value: None if value is None else str(value).lower(),
}


def locations_of(values: list) -> tuple[Location, ...]:
    return tuple(v.location for v in values if getattr(v, "location", None) is not None)
