"""Messages in: the message model and seller context, and the JSON, JSON Lines and email readers
that turn input files into items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.exports import lazy_exports

if TYPE_CHECKING:
    from .email_input import parse_email, read_email_file
    from .inputs import InputError, read_inputs
    from .items import InputItem
    from .model import Attachment, Message, parse_context, parse_message, parse_timestamp

__all__ = [
    "Attachment", "InputError", "InputItem", "Message", "parse_context", "parse_email",
    "parse_message", "parse_timestamp", "read_email_file", "read_inputs",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "model": ("Message", "Attachment", "parse_message", "parse_context", "parse_timestamp"),
    "items": ("InputItem",),
    "inputs": ("InputError", "read_inputs"),
    "email_input": ("parse_email", "read_email_file"),
})
