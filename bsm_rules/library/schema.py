"""The types of policy expressions and what a policy can name: message fields, context values
and built-in functions, each with the documentation shown in hovers and the language reference."""

from __future__ import annotations

import attrs

__all__ = [
    "Type", "BOOL", "NUMBER", "BYTES", "DURATION", "TIME", "STRING", "TEXT", "PATTERN", "WORDS",
    "DOMAINS", "ANY", "list_of", "Field", "FIELDS", "CONTEXT", "Builtin", "BUILTINS",
    "ATTACHMENT", "LINK", "FOUND", "RECIPIENT", "SENDER", "REPLY",
]


@attrs.frozen
class Type:
    """A type: a name, the element type of a list, or the fields of a record."""

    name: str
    element: Type | None = None
    fields: tuple[tuple[str, Type, str], ...] = ()

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
))
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


@attrs.frozen
class Field:
    """A name a policy can read from a message (or from the seller context)."""

    name: str
    type: Type
    doc: str
    absent: str


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("id", STRING, "the caller's id of the message", "absent (`bsm check` reports the input position, `#3`, instead)"),
    Field("sender", SENDER, "who sends the message", "role `seller`"),
    Field("recipient", RECIPIENT, "who receives the message", "role `buyer`, not opted out, no language"),
    Field("contact_reason", STRING, "why the seller writes, as given (a contact reason or an SP-API action alias)", "absent"),
    Field("category", STRING, "the message category: as given, else derived from `contact_reason`, else `non_critical`", "never absent"),
    Field("declared_category", STRING, "the category exactly as the message gives it", "absent when the message names none"),
    Field("subject", TEXT, "the subject line", "empty text"),
    Field("body", TEXT, "the plain-text body", "empty text"),
    Field("html", TEXT, "the visible text of the HTML body (link functions also see every href and src)", "empty text; `html is absent` holds"),
    Field("text", TEXT, "all visible text: subject, body and the HTML's visible text", "empty text"),
    Field("language", STRING, "the language the message is written in: as declared, else detected from its text", "absent when there is too little text to tell"),
    Field("order_id", STRING, "the Amazon order the message is about", "absent"),
    Field("attachments", list_of(ATTACHMENT), "the attached files", "an empty list"),
    Field("sent_at", TIME, "when the message is sent", "the time of the check (`now`)"),
    Field("in_reply_to", REPLY, "the buyer message this answers; its presence makes the message a reply", "absent: the message is not a reply"),
)}

CONTEXT: dict[str, Field] = {f.name: f for f in (
    Field("avg_daily_orders", NUMBER, "the seller's average number of orders a day", "absent: limits that need it do not apply"),
    Field("sent_today", NUMBER, "messages the seller already sent today (UTC)", "0"),
    Field("now", TIME, "the time of the check", "never absent"),
)}


@attrs.frozen
class Builtin:
    """A built-in function: its parameter types, result type and documentation."""

    name: str
    params: tuple[tuple[Type, ...], ...]
    result: Type | None
    doc: str
    example: str

    @property
    def signature(self) -> str:
        params = ", ".join(" | ".join(str(t) for t in alternatives) for alternatives in self.params)
        return f"{self.name}({params}) -> {self.result if self.result else 'same as argument'}"


_TEXTLIKE = (TEXT, STRING)
BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("links", (_TEXTLIKE,), list_of(LINK), "web addresses in the text: `https://…`, `http://…`, `www.…` and bare domains with a real public suffix (`e.g.` is not one); in HTML also every href, src, srcset, CSS url() and meta refresh target", "any(l in links(text): not is_amazon(l.domain))"),
    Builtin("emails", (_TEXTLIKE,), list_of(FOUND), "email addresses, including `mailto:` links", "emails(text)"),
    Builtin("obfuscated_emails", (_TEXTLIKE,), list_of(FOUND), "addresses spelled out to dodge filters: `john at gmail dot com`, `jsmith[at]outlook[dot]com`", "obfuscated_emails(body)"),
    Builtin("phone_numbers", (_TEXTLIKE,), list_of(FOUND), "telephone numbers (order IDs, dates and tracking numbers are not); the value is in E.164 form", "phone_numbers(text)"),
    Builtin("order_ids", (_TEXTLIKE,), list_of(FOUND), "Amazon order IDs: 17 digits as `NNN-NNNNNNN-NNNNNNN`", "count(order_ids(text)) > 0"),
    Builtin("order_id_near_misses", (_TEXTLIKE,), list_of(FOUND), "digit groups shaped like an order ID but with the wrong digit counts (`112-345678-0123456`)", "order_id_near_misses(text)"),
    Builtin("emoji", (_TEXTLIKE,), list_of(FOUND), "emoji, a skin-tone or ZWJ sequence counting as one", "emoji(subject)"),
    Builtin("tracking_pixels", (_TEXTLIKE,), list_of(FOUND), "HTML images of 1×1 pixels or hidden by style (open trackers)", "tracking_pixels(html)"),
    Builtin("detect_language", (_TEXTLIKE,), STRING, "the language of a text (ISO 639-1), absent when there is too little text", "detect_language(body) == \"de\""),
    Builtin("primary", ((STRING,),), STRING, "the primary subtag of a language tag: `en-GB` → `en`", "primary(language) == primary(recipient.language)"),
    Builtin("is_amazon", ((STRING,),), BOOL, "whether a registrable domain is Amazon's (`amazon.<public suffix>`)", "is_amazon(l.domain)"),
    Builtin("count", ((Type("list"),),), NUMBER, "the number of elements of a list", "count(attachments) > 5"),
    Builtin("sum", ((Type("list"),),), None, "the sum of a list of numbers, sizes or durations (0 for an empty list)", "sum(attachments.size) > 10 MiB"),
    Builtin("length", (_TEXTLIKE,), NUMBER, "the number of characters of a text, as written", "length(body) > 2000"),
    Builtin("lower", ((STRING,),), STRING, "the text in lower case", "lower(recipient.address) ends with \"@marketplace.amazon.com\""),
)}
