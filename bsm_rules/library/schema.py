"""The types of policy expressions, with the records a policy reads fields of (attachments,
links, findings, sender, recipient, reply), each field documented for hovers and the language
reference. What a policy can name is declared in `registry`."""

from __future__ import annotations

import attrs

__all__ = [
    "ANY", "ATTACHMENT", "BOOL", "BYTES", "DOMAINS", "DURATION", "FOUND", "LINK", "NUMBER", "PATTERN", "RECIPIENT",
    "REPLY", "SENDER", "STRING", "TEXT", "TIME", "WORDS", "Type", "list_of",
]


@attrs.frozen
class Type:
    """A type: a name, the element type of a list, or the fields of a record."""

    name: str
    element: Type | None = None
    fields: tuple[tuple[str, Type, str], ...] = ()
    # The fields of a record that a message does not give: they are computed from the others.
    computed: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return self.name == "list"

    def field(self, name: str) -> tuple[Type, str] | None:
        for field_name, field_type, doc in self.fields:
            if field_name == name:
                return field_type, doc
        return None

    def __str__(self) -> str:
        if self.is_list:
            return f"list of {self.element}"
        return self.name


BOOL = Type("boolean")
NUMBER = Type("number")
BYTES = Type("size")
DURATION = Type("duration")
TIME = Type("timestamp")
STRING = Type("string")
TEXT = Type("text")
PATTERN = Type("pattern")
WORDS = Type("word list")
DOMAINS = Type("domain list")
ANY = Type("unknown")


def list_of(element: Type) -> Type:
    return Type("list", element)


ATTACHMENT = Type("attachment", fields=(
    ("name", STRING, "the file name as sent"),
    ("size", BYTES, "the size in bytes"),
    ("content_type", STRING, "the MIME type, when given"),
    ("extension", STRING, "the final extension of the name, lower-case, without the dot (`invoice.pdf.exe` → `exe`); empty when there is none"),
), computed=("extension",))
LINK = Type("link", fields=(
    ("url", STRING, "the link as written"),
    ("scheme", STRING, "`https` or `http`; absent for `www.…` and bare domains"),
    ("host", STRING, "the host name, lower-case"),
    ("domain", STRING, "the registrable domain (public-suffix aware): `amazon.co.uk`, `returns-help.net`"),
))
FOUND = Type("finding", fields=(
    ("value", STRING, "what was found (an address, an order ID, a phone number in E.164 form…)"),
))
RECIPIENT = Type("recipient", fields=(
    ("role", STRING, "`buyer` (default) or `seller`"),
    ("address", STRING, "the relay address the message goes to"),
    ("language", STRING, "the buyer's preferred language (BCP 47, e.g. `de`, `en-GB`)"),
    ("opted_out", BOOL, "the buyer opted out of non-critical messages (default false)"),
))
SENDER = Type("sender", fields=(
    ("role", STRING, "`seller` (default) or `buyer`"),
    ("id", STRING, "the sender's id"),
))
REPLY = Type("reply", fields=(
    ("id", STRING, "the id of the buyer message this answers"),
    ("received_at", TIME, "when the buyer message arrived"),
))
