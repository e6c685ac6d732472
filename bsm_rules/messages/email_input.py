"""Reads `.eml` (RFC 5322 / MIME) and `.mbox` files into messages of the message model; an mbox
is split as a stream, so a file of any size is read one message at a time."""

from __future__ import annotations

import datetime
import email
import email.errors
import email.policy
import mimetypes
import re
from collections.abc import Iterator
from email.message import EmailMessage, MIMEPart
from pathlib import Path

from ..core.errors import MessageError
from .items import MAX_MESSAGE_BYTES, InputItem, too_large
from .model import Attachment, Message, parse_timestamp

__all__ = ["is_marketplace_address", "parse_email", "read_email_file"]

# The buyer's side of Amazon's relay: `…@marketplace.amazon.com`, `.co.uk`, `.de`, `.com.au`, …
_MARKETPLACE_RELAY = re.compile(r"@marketplace\.amazon\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$", re.IGNORECASE)
# Defects after which the parts of a message cannot be trusted.
_FATAL_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)
_MBOX_ESCAPED_FROM = re.compile(rb"^>(>*From )")


def is_marketplace_address(address: str) -> bool:
    """True for an Amazon marketplace relay address (the buyer's side of a conversation)."""
    return bool(_MARKETPLACE_RELAY.search(address.strip()))


def read_email_file(path: Path, kind: str, contact_reason: str | None = None) -> Iterator[InputItem]:
    """Yield one item per message of an `.eml` (`kind` "eml") or `.mbox` (`kind` "mbox") file;
    a message larger than `MAX_MESSAGE_BYTES` is an error item, and is not read into memory."""
    if kind == "eml":
        with open(path, "rb") as stream:
            message = stream.read(MAX_MESSAGE_BYTES + 1)
        if len(message) > MAX_MESSAGE_BYTES:
            yield InputItem(path.name, path.name, error=too_large(path.name))
        else:
            yield _item(message, path.name, path.name, contact_reason)
        return
    with open(path, "rb") as stream:
        for index, (line, raw) in enumerate(_split_mbox(stream), start=1):
            message_id, where = f"{path.name}#{index}", f"{path.name}:{line}"
            if raw is None:
                yield InputItem(message_id, where, error=too_large(where))
            else:
                yield _item(raw, message_id, where, contact_reason)


# Lines of an mbox are read at most this many bytes at a time: a line may be as long as a message.
_MBOX_READ_SIZE = 1 << 16


def _split_mbox(stream) -> Iterator[tuple[int, bytes | None]]:
    """(line number of the `From ` line, message bytes) per message, None for a message larger
    than `MAX_MESSAGE_BYTES` (whose bytes are not kept); a `From ` line starts a message at the
    start of the file or after a blank line; `>From ` quoting is undone."""
    lines: list[bytes] = []
    size = 0
    too_large_message = False
    start_line = 0
    number = 0
    previous_blank = True
    at_line_start = True
    while line := stream.readline(_MBOX_READ_SIZE):
        starts_line, at_line_start = at_line_start, line.endswith(b"\n")
        number += starts_line
        if starts_line and line.startswith(b"From ") and previous_blank:
            if start_line:
                yield start_line, None if too_large_message else b"".join(lines[:-1] if lines else lines)
            lines, size, too_large_message, start_line = [], 0, False, number
            previous_blank = False
            continue
        previous_blank = (previous_blank or starts_line) and not line.strip(b"\r\n")  # the whole line so far
        unquote = starts_line and start_line and line.startswith(b">")
        if not start_line:
            if previous_blank:
                continue
            start_line = number  # text before any `From ` line: read it as a message too
        if too_large_message:
            continue
        size += len(line)
        if size > MAX_MESSAGE_BYTES:
            lines, too_large_message = [], True
            continue
        lines.append(_MBOX_ESCAPED_FROM.sub(rb"\1", line) if unquote else line)
    if start_line:
        yield start_line, None if too_large_message else b"".join(lines)


def _item(raw: bytes, message_id: str, where: str, contact_reason: str | None) -> InputItem:
    try:
        message = parse_email(raw, message_id, contact_reason)
    except MessageError as error:
        return InputItem(message_id, where, error=f"{where}: {error}")
    return InputItem(message_id, where, message=message)


def parse_email(raw: bytes, message_id: str | None = None, contact_reason: str | None = None) -> Message:
    """Read one RFC 5322 message into a `Message`; raises MessageError when it cannot be read."""
    try:
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        problem = _unreadable(mail)
        if problem is None:
            return _message(mail, message_id, contact_reason)
    except MessageError:
        raise
    except Exception as error:  # noqa: BLE001 - the email package raises many kinds on broken input
        raise MessageError("", f"malformed email message ({type(error).__name__}: {error})") from None
    raise MessageError("", problem)


def _unreadable(mail: EmailMessage) -> str | None:
    """Why a parsed message cannot be trusted to say what the buyer would see, if it cannot."""
    if not mail.keys():
        return "not an email message: no header fields"
    for defect in mail.defects:
        if isinstance(defect, _FATAL_DEFECTS):
            return f"malformed MIME structure: {_describe(defect)}"
    return None


def _describe(defect: Exception) -> str:
    text = str(defect) or type(defect).__doc__ or type(defect).__name__
    return text.strip().rstrip(".")


def _message(mail: EmailMessage, message_id: str | None, contact_reason: str | None) -> Message:
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    bodies = [part for part in (plain, html) if part is not None]
    body_texts: list[str] = [_text(plain)] if plain is not None else []
    html_texts: list[str] = [_text(html)] if html is not None else []
    attachments: list[Attachment] = []
    _collect_parts(mail, bodies, body_texts, html_texts, attachments)

    recipient = _first_address(mail, "to")
    sender = _first_address(mail, "from")
    reply_to_id = _header(mail, "in-reply-to")
    return Message(
        id=message_id,
        sender_id=sender,
        recipient_role="buyer" if recipient is None or is_marketplace_address(recipient) else "seller",
        recipient_address=recipient,
        recipient_language=_header(mail, "x-bsm-recipient-language"),
        opted_out=_flag(mail, "X-BSM-Opted-Out"),
        contact_reason=_header(mail, "x-bsm-contact-reason") or contact_reason,
        category=_header(mail, "x-bsm-category"),
        subject=_header(mail, "subject") or "",
        body="\n".join(body_texts),
        html="\n".join(html_texts) if html_texts else None,
        language=_header(mail, "content-language"),
        order_id=_header(mail, "x-bsm-order-id"),
        attachments=tuple(attachments),
        sent_at=_date(mail),
        in_reply_to_id=reply_to_id,
        in_reply_to_received_at=parse_timestamp(_header(mail, "x-bsm-reply-received-at"),
                                                "X-BSM-Reply-Received-At"),
    )


def _collect_parts(part: MIMEPart, bodies: list, body_texts: list[str], html_texts: list[str],
                   attachments: list[Attachment]) -> None:
    """Walk the MIME tree: every leaf that is not a body part is an attachment, except inline
    text without a file name, which the reader sees as more body text."""
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        attachments.append(_forwarded(part))
        return
    if part.is_multipart():
        for child in part.iter_parts():
            _collect_parts(child, bodies, body_texts, html_texts, attachments)
        return
    if any(part is body for body in bodies):
        return
    name = part.get_filename()
    inline_text = name is None and part.get_content_disposition() != "attachment"
    if inline_text and content_type == "text/plain":
        body_texts.append(_text(part))
    elif inline_text and content_type == "text/html":
        html_texts.append(_text(part))
    else:
        payload = _decoded_payload(part)
        attachments.append(Attachment(name or _unnamed(part, len(attachments) + 1), len(payload), content_type))


def _forwarded(part: MIMEPart) -> Attachment:
    inner = part.get_payload(0) if part.is_multipart() else None
    size = len(inner.as_bytes()) if isinstance(inner, email.message.Message) else len(_decoded_payload(part))
    return Attachment(part.get_filename() or "forwarded-message.eml", size, "message/rfc822")


def _unnamed(part: MIMEPart, number: int) -> str:
    """A name for an attachment without a file name (an inline image referenced by Content-ID)."""
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    content_id = (part.get("content-id") or "").strip().strip("<>").split("@", 1)[0]
    stem = re.sub(r"[^0-9A-Za-z._-]+", "-", content_id).strip("-.") or f"inline-{number}"
    return stem + extension


def _text(part: MIMEPart) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):  # unknown or wrong charset: keep the text readable
        text = _decoded_payload(part).decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")


def _header(mail: EmailMessage, name: str) -> str | None:
    value = mail.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(mail: EmailMessage, name: str) -> bool:
    value = _header(mail, name)
    if value is None:
        return False
    if value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0"):
        return False
    raise MessageError(name, f"expected true or false, found '{value}'")


def _first_address(mail: EmailMessage, name: str) -> str | None:
    header = mail.get(name)
    if header is None:
        return None
    addresses = getattr(header, "addresses", ())
    for address in addresses:
        if "@" in address.addr_spec:
            return address.addr_spec
    if not addresses:  # an empty group such as "undisclosed-recipients:;"
        return None
    raise MessageError(name.title(), f"no email address in '{str(header).strip()}'")


def _date(mail: EmailMessage) -> datetime.datetime | None:
    header = mail.get("date")
    if header is None:
        return None
    value = getattr(header, "datetime", None)
    if value is None:
        raise MessageError("Date", f"'{str(header).strip()}' is not an RFC 5322 date")
    if value.tzinfo is None:  # "-0000": the time is UTC, the sender's zone is unknown
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def _decoded_payload(part: MIMEPart) -> bytes:
    """A leaf part's bytes with its transfer encoding undone (none for an empty part)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""
