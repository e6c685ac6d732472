"""The message model of docs/message-model.md: reads a message JSON object into a
validated `Message`, reporting a bad field by its JSON path (and reads the common case straight
from JSON text, in one pass)."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import ciso8601
import msgspec

from ..core.diagnostics import closest_name
from ..core.errors import MessageError

__all__ = ["MESSAGE_FIELDS", "Attachment", "Message", "parse_context", "parse_message", "parse_timestamp", "read_plain_message"]


# Records of the message model are frozen msgspec structs rather than attrs classes: a batch
# builds one per message, and a struct is built several times faster.
class Attachment(msgspec.Struct, frozen=True):
    """An attached file: its name, size in bytes and (optional) MIME type."""

    name: str
    size: int
    content_type: str | None = None


class Message(msgspec.Struct, frozen=True):
    """One message to check, with the defaults of the message model applied (each message gets
    its own empty `context`)."""

    id: str | None = None
    sender_role: str = "seller"
    sender_id: str | None = None
    recipient_role: str = "buyer"
    recipient_address: str | None = None
    recipient_language: str | None = None
    opted_out: bool = False
    contact_reason: str | None = None
    category: str | None = None
    subject: str = ""
    body: str = ""
    html: str | None = None
    language: str | None = None
    order_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime.datetime | None = None
    in_reply_to_id: str | None = None
    in_reply_to_received_at: datetime.datetime | None = None
    context: dict = {}
    #: What the reader noticed but did not refuse (a misspelt field name, ignored).
    notices: tuple[str, ...] = ()


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _string(obj: dict, key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MessageError(f"{path}.{key}", f"expected a string, found {_type_name(value)}")
    return value


def _object(obj: dict, key: str, path: str) -> dict:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MessageError(f"{path}.{key}", f"expected an object, found {_type_name(value)}")
    return value


_LEAP_SECOND = re.compile(r"[Tt ][0-9]{2}:[0-9]{2}:(60)(?![0-9])")


def parse_timestamp(value: Any, path: str) -> datetime.datetime | None:
    """An RFC 3339 timestamp with a time zone (`T`, `t` or a space between date and time)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise MessageError(path, f"expected an RFC 3339 timestamp string, found {_type_name(value)}")
    text = value.strip()
    leap_second = _LEAP_SECOND.search(text)
    if leap_second:  # RFC 3339 allows second 60; datetime does not: take the next second
        text = text[:leap_second.start(1)] + "59" + text[leap_second.end(1):]
    try:
        parsed = ciso8601.parse_rfc3339(text)
        if leap_second:
            parsed += datetime.timedelta(seconds=1)
    except OverflowError:
        raise MessageError(path, f"'{value}' is out of range") from None
    except ValueError as error:
        if _is_without_zone(text):
            raise MessageError(path, f"'{value}' has no time zone; add Z or an offset such as +01:00") from None
        reason = str(error).rstrip(".")
        if reason[1:2].islower():  # "Minute and second …", but not "RFC 3339 …"
            reason = reason[:1].lower() + reason[1:]
        raise MessageError(path, f"'{value}' is not an RFC 3339 timestamp ({reason}); "
                                 "e.g. 2026-11-22T09:30:00Z") from None
    return parsed


def _is_without_zone(text: str) -> bool:
    try:
        return ciso8601.parse_datetime(text).tzinfo is None
    except ValueError:
        return False


def _role(value: str | None, default: str, path: str) -> str:
    if value is None:
        return default
    if value not in ("seller", "buyer"):
        raise MessageError(path, f"expected 'seller' or 'buyer', found '{value}'")
    return value


def parse_context(obj: Any, path: str = "$.context") -> dict:
    """Seller figures: `avg_daily_orders` (number >= 0) and `sent_today` (integer >= 0)."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise MessageError(path, f"expected an object, found {_type_name(obj)}")
    context: dict = {}
    for key, integer in (("avg_daily_orders", False), ("sent_today", True)):
        value = obj.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integer and isinstance(value, float) and not value.is_integer()):
            kind = "a whole number" if integer else "a number"
            raise MessageError(f"{path}.{key}", f"expected {kind} >= 0, found {_type_name(value) if not isinstance(value, (int, float)) or isinstance(value, bool) else value}")
        if not value >= 0 or value == float("inf"):
            raise MessageError(f"{path}.{key}", f"expected a value >= 0, found {value}")
        context[key] = int(value) if integer else value
    return context


# The message model's JSON shape as typed records, so that a JSON Lines line is decoded and its
# types checked in one pass (the common case); see `read_plain_message`.
class _SenderJson(msgspec.Struct, gc=False):
    role: str | None = None
    id: str | None = None


class _RecipientJson(msgspec.Struct, gc=False):
    role: str | None = None
    address: str | None = None
    language: str | None = None
    opted_out: bool | None = None


class _AttachmentJson(msgspec.Struct, gc=False):
    name: str | None = None
    size: int | None = None
    content_type: str | None = None


class _ReplyJson(msgspec.Struct, gc=False):
    id: str | None = None
    received_at: str | None = None


class _ContextJson(msgspec.Struct, gc=False):
    avg_daily_orders: int | float | None = None
    sent_today: int | float | None = None


class _MessageJson(msgspec.Struct, gc=False, forbid_unknown_fields=True):  # unknown fields: the careful way
    id: str | int | None = None
    sender: _SenderJson | None = None
    recipient: _RecipientJson | None = None
    contact_reason: str | None = None
    category: str | None = None
    subject: str | None = None
    body: str | None = None
    html: str | None = None
    language: str | None = None
    order_id: str | None = None
    attachments: list[_AttachmentJson] | None = None
    sent_at: str | None = None
    in_reply_to: _ReplyJson | None = None
    context: _ContextJson | None = None


#: The top-level fields of a message JSON object.
MESSAGE_FIELDS: tuple[str, ...] = _MessageJson.__struct_fields__
_KNOWN_FIELDS = frozenset(MESSAGE_FIELDS)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_decode_message_json = msgspec.json.Decoder(_MessageJson).decode
_ROLES = ("seller", "buyer")


def read_plain_message(line: bytes, default_id: str | None = None) -> Message | None:
    """A JSON text (UTF-8) read as a message in one pass, for the common case: a well-formed
    object whose known fields are absent, null or of their plain types (strings, integers,
    true/false, timestamps as RFC 3339 writes them). Returns None for anything
    else (malformed JSON, a wrong type, a float where a whole number belongs, a value out of
    range), which `json.loads` and `parse_message` then read the careful way, with the same
    result for the common case."""
    try:
        plain = _decode_message_json(line)
    except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: a string that is not UTF-8
        return None
    sender = plain.sender
    sender_role: str | None = "seller"
    sender_id = None
    if sender is not None:
        sender_role, sender_id = _plain_role(sender.role, "seller"), sender.id
    recipient = plain.recipient
    recipient_role: str | None = "buyer"
    recipient_address, recipient_language, opted_out = None, None, False
    if recipient is not None:
        recipient_role, recipient_address = _plain_role(recipient.role, "buyer"), recipient.address
        recipient_language, opted_out = recipient.language, recipient.opted_out is True
    if sender_role is None or recipient_role is None:
        return None
    message_id: str | None
    if plain.id is None:
        message_id = default_id
    elif isinstance(plain.id, int):  # never a bool: the decoder refuses true and false for an id
        try:
            message_id = str(plain.id)
        except ValueError:  # more digits than Python converts to text
            return None
    else:
        message_id = plain.id
    attachments = _plain_attachments(plain.attachments) if plain.attachments else ()
    if attachments is None:
        return None
    sent_at = None
    if plain.sent_at is not None:
        sent_at = _plain_timestamp(plain.sent_at)
        if sent_at is None:
            return None
    reply_id = reply_received = None
    if plain.in_reply_to is not None:
        reply_id = plain.in_reply_to.id
        reply_received = _plain_timestamp(plain.in_reply_to.received_at)
        if reply_received is None:
            return None
    context: dict = {}
    if plain.context is not None:
        try:
            context = parse_context({"avg_daily_orders": plain.context.avg_daily_orders,
                                     "sent_today": plain.context.sent_today})
        except MessageError:
            return None
    return Message(message_id, sender_role, sender_id, recipient_role, recipient_address, recipient_language,
                   opted_out, plain.contact_reason, plain.category, plain.subject or "", plain.body or "",
                   plain.html, plain.language, plain.order_id, attachments, sent_at, reply_id, reply_received,
                   context)


def _plain_role(role: str | None, default: str) -> str | None:
    if role is None:
        return default
    return role if role in _ROLES else None


def _plain_attachments(values: list[_AttachmentJson]) -> tuple[Attachment, ...] | None:
    attachments = []
    for value in values:
        if value.name is None or value.size is None or value.size < 0:
            return None
        attachments.append(Attachment(value.name, value.size, value.content_type))
    return tuple(attachments)


def _plain_timestamp(value: str | None) -> datetime.datetime | None:
    # Only a timestamp as RFC 3339 writes it: `parse_timestamp` also strips blanks, reads second 60,
    # and words the errors.
    if value is None:
        return None
    try:
        return ciso8601.parse_rfc3339(value)
    except (ValueError, OverflowError):
        return None


def _unknown_fields(obj: dict, strict: bool) -> tuple[str, ...]:
    """Notices for the top-level fields the model does not know that look like misspelt known
    ones; with `strict`, any unknown field is an error."""
    notices = []
    for key in obj:
        if key in _KNOWN_FIELDS:
            continue
        meant = closest_name(key, MESSAGE_FIELDS) if isinstance(key, str) else None
        suggestion = f"; did you mean `{meant}`?" if meant else ""
        if strict:
            path = f"$.{key}" if _IDENTIFIER.fullmatch(key) else f"$[{json.dumps(key, ensure_ascii=False)}]"
            raise MessageError(path, f"unknown field `{key}`{suggestion}")
        if meant:
            notices.append(f"unknown field `{key}` ignored{suggestion}")
    return tuple(notices)


def parse_message(obj: Any, default_id: str | None = None, strict: bool = False) -> Message:
    """Validate a decoded JSON value as a message. Unknown fields are kept out of the message;
    one that looks like a misspelt known field gets a notice, and with `strict` any unknown
    field is an error."""
    if not isinstance(obj, dict):
        raise MessageError("$", f"a message is a JSON object, found {_type_name(obj)}")
    notices = _unknown_fields(obj, strict) if not _KNOWN_FIELDS.issuperset(obj) else ()
    root = "$"
    sender = _object(obj, "sender", root)
    recipient = _object(obj, "recipient", root)
    opted_out = recipient.get("opted_out")
    if opted_out is not None and not isinstance(opted_out, bool):
        raise MessageError("$.recipient.opted_out", f"expected true or false, found {_type_name(opted_out)}")
    category = _string(obj, "category", root)
    attachments_value = obj.get("attachments")
    attachments: list[Attachment] = []
    if attachments_value is not None:
        if not isinstance(attachments_value, list):
            raise MessageError("$.attachments", f"expected a list, found {_type_name(attachments_value)}")
        for index, item in enumerate(attachments_value):
            path = f"$.attachments[{index}]"
            if not isinstance(item, dict):
                raise MessageError(path, f"expected an object, found {_type_name(item)}")
            name = _string(item, "name", path)
            if name is None:
                raise MessageError(f"{path}.name", "an attachment needs a name")
            size = item.get("size")
            if (isinstance(size, bool) or not isinstance(size, (int, float)) or size < 0
                    or (isinstance(size, float) and not size.is_integer())):
                found = _type_name(size) if not isinstance(size, (int, float)) or isinstance(size, bool) else size
                raise MessageError(f"{path}.size", f"expected a whole number of bytes >= 0, found {found}")
            attachments.append(Attachment(name, int(size), _string(item, "content_type", path)))
    reply = obj.get("in_reply_to")
    reply_id = reply_received = None
    if reply is not None:
        if not isinstance(reply, dict):
            raise MessageError("$.in_reply_to", f"expected an object, found {_type_name(reply)}")
        reply_id = _string(reply, "id", "$.in_reply_to")
        reply_received = parse_timestamp(reply.get("received_at"), "$.in_reply_to.received_at")
        if reply_received is None:
            raise MessageError("$.in_reply_to.received_at", "a reply needs the time the buyer's message arrived")
    message_id = obj.get("id")
    if (message_id is not None and not isinstance(message_id, (str, int))) or isinstance(message_id, bool):
        raise MessageError("$.id", f"expected a string, found {_type_name(message_id)}")
    return Message(
        id=str(message_id) if message_id is not None else default_id,
        sender_role=_role(_string(sender, "role", "$.sender"), "seller", "$.sender.role"),
        sender_id=_string(sender, "id", "$.sender"),
        recipient_role=_role(_string(recipient, "role", "$.recipient"), "buyer", "$.recipient.role"),
        recipient_address=_string(recipient, "address", "$.recipient"),
        recipient_language=_string(recipient, "language", "$.recipient"),
        opted_out=bool(opted_out),
        contact_reason=_string(obj, "contact_reason", root),
        category=category,
        subject=_string(obj, "subject", root) or "",
        body=_string(obj, "body", root) or "",
        html=_string(obj, "html", root),
        language=_string(obj, "language", root),
        order_id=_string(obj, "order_id", root),
        attachments=tuple(attachments),
        sent_at=parse_timestamp(obj.get("sent_at"), "$.sent_at"),
        in_reply_to_id=reply_id,
        in_reply_to_received_at=reply_received,
        context=parse_context(obj.get("context")),
        notices=notices,
    )
