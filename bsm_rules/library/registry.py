"""The registry of what a policy can name: one declaration per built-in function, message field
and context value, read by the checker, the compiler and its generated code, the prefilter, the
derived properties of `bsm test --properties`, traces, the examples' message vocabulary, the
language server and the tests of the language reference.

Adding a built-in function
--------------------------
Write its implementation, then declare it in `BUILTINS`: no other code names it.

- A text finder is a function of one text (`finders.find_…`, returning `Found` spans); declare it
  with `finder=found_by(finders.find_…)` (or a segment finder of its own, as `links_in`, when its
  findings are not plain values), a `trigger` (an RE2 pattern that matches a text wherever the
  finder finds anything: rules built on the finder are skipped for messages it does not match)
  and `samples` (texts in which it finds something: `bsm test --properties` plants them).
  `reads_html_targets` says that it also reads the link targets of an HTML body, which the
  trigger cannot see; `html_only` that it finds things only in the markup of an HTML body.
- Any other function is declared with `function=`, a function of the argument values that gives
  None (absent) for an absent argument. `inline=True` lets the generated rule runner call it
  directly (no side effects, no per-message caches, cheap); `inline_source` writes the call out as
  Python source instead, for an argument that is present (`"len({0})"`).
- Add a row to the table of built-ins in docs/language.md, its name to the built-in names of the
  TextMate grammar (lsp/vscode/syntaxes/bsm.tmLanguage.json), and a rule using its example to the
  policy after that table; tests/test_registry.py checks that they agree with the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from . import finders
from .runtime import (
    MessageView,
    Segment,
    all_text,
    attachment_values,
    body_text,
    emails_in,
    found_by,
    html_text,
    language_of,
    length_of,
    links_in,
    message_category,
    message_language,
    on_segments,
    order_ids_in,
    primary_subtag,
    record_of,
    reply_record,
    subject_text,
    sum_of,
    tracking_pixels_in,
)
from .schema import (
    ATTACHMENT,
    BOOL,
    BYTES,
    DURATION,
    FOUND,
    LINK,
    NUMBER,
    RECIPIENT,
    REPLY,
    SENDER,
    STRING,
    TEXT,
    TIME,
    Type,
    list_of,
)

__all__ = ["BUILTINS", "CONTEXT", "FIELDS", "Builtin", "Field", "message_vocabulary", "readable"]

Getter = Callable[[MessageView], Any]


def _record_getter(field: Field) -> Getter:
    if not field.message_attributes:
        raise TypeError(f"the field `{field.name}` needs a getter")
    return record_of(dict(field.message_attributes))


@attrs.frozen
class Field:
    """A name a policy can read from a message (or from the seller context): its type, its
    documentation, what it means when the message does not give it, and how it is read."""

    name: str
    type: Type
    doc: str
    absent: str
    # A record read straight from the message: each of its fields and the `Message` attribute it
    # reads (code generation reads them there, without building the record).
    message_attributes: tuple[tuple[str, str], ...] = ()
    getter: Getter = attrs.field(default=attrs.Factory(_record_getter, takes_self=True), eq=False, repr=False)
    # Computed on demand only (text normalised, a language detected): code generation never
    # computes it up front.
    lazy: bool = False
    # Given by a message (or the seller context) under this name; false for a value computed
    # from others (`text`, `declared_category`, `now`).
    given: bool = True

    @property
    def is_text(self) -> bool:
        """A text field: finders and the prefilter's pattern set read its segments."""
        return self.type == TEXT

    def message_attribute(self, name: str) -> str | None:
        """The `Message` attribute that the record field `name` reads, if it reads one."""
        return dict(self.message_attributes).get(name)

    def __reduce__(self):
        # A checked policy is pickled (the policy cache) with the fields it names: by name, as
        # their getters are functions of this module.
        return readable, (self.name,)


def _finder_function(builtin: Builtin) -> Callable[..., Any]:
    if builtin.finder is None:
        raise TypeError(f"the built-in `{builtin.name}` needs a function or a finder")
    return on_segments(builtin.name, builtin.finder)


@attrs.frozen
class Builtin:
    """A built-in function: its parameter types (the alternatives for each), result type and
    documentation, its implementation, and what the prefilter, code generation and the derived
    properties may know of it."""

    name: str
    params: tuple[tuple[Type, ...], ...]
    result: Type | None  # None: the element type of the list argument (see `result_elements`)
    doc: str
    example: str
    # A text finder: what it finds in one segment of a text (cached in the segment by name).
    finder: Callable[[Segment], list] | None = attrs.field(default=None, eq=False, repr=False)
    # The implementation, a function of the argument values (for a finder: the finder run on
    # each segment of the text).
    function: Callable[..., Any] = attrs.field(default=attrs.Factory(_finder_function, takes_self=True),
                                               eq=False, repr=False)
    # An RE2 pattern that matches a text wherever the finder can find anything: the compiled
    # policy runs a rule built on the finder only when its trigger matched the message text in the
    # one pass of its pattern set. A finder change must keep this true (a property test checks it).
    trigger: str | None = None
    # Texts in which the finder finds something: planted in generated messages by the derived
    # properties of `bsm test --properties`.
    samples: tuple[str, ...] = ()
    # The finder also reads the link targets (href, src…) of an HTML body, which its trigger does
    # not see: in an HTML body the trigger always counts as matched.
    reads_html_targets: bool = False
    # The finder finds things only in the markup of an HTML body (its samples are HTML).
    html_only: bool = False
    # Code generation may call it inline: no side effects, no per-message caches, cheap.
    inline: bool = False
    # Python source of an inline call with every argument present, `{0}` the first argument.
    inline_source: str | None = None
    # For a result that is the element type of the list argument: the element types it takes.
    result_elements: tuple[Type, ...] = ()

    def __reduce__(self):
        return _builtin_named, (self.name,)  # by name, as `Field` is

    @property
    def signature(self) -> str:
        params = ", ".join(" | ".join(str(t) for t in alternatives) for alternatives in self.params)
        return f"{self.name}({params}) -> {self.result if self.result else 'same as argument'}"

    @property
    def documented_call(self) -> str:
        """The call as the language reference writes it, each parameter by its first type: `links(text)`."""
        return f"{self.name}({', '.join(_type_name(alternatives[0]) for alternatives in self.params)})"

    @property
    def documented_result(self) -> str:
        """The result type as the language reference writes it: `list of link`, `number, size or duration`."""
        if self.result is not None:
            return str(self.result)
        names = [str(t) for t in self.result_elements]
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def _type_name(found: Type) -> str:
    return "list" if found.is_list and found.element is None else str(found)


def _by_name(*declarations):
    return {declaration.name: declaration for declaration in declarations}


FIELDS: dict[str, Field] = _by_name(
    Field("id", STRING, "the caller's id of the message",
          "absent (`bsm check` reports the input position, `#3`, instead)",
          getter=lambda v: v.message.id),
    Field("sender", SENDER, "who sends the message", "role `seller`",
          message_attributes=(("role", "sender_role"), ("id", "sender_id"))),
    Field("recipient", RECIPIENT, "who receives the message", "role `buyer`, not opted out, no language",
          message_attributes=(("role", "recipient_role"), ("address", "recipient_address"),
                              ("language", "recipient_language"), ("opted_out", "opted_out"))),
    Field("contact_reason", STRING,
          "why the seller writes, as given (a contact reason or an SP-API action alias)", "absent",
          getter=lambda v: v.message.contact_reason),
    Field("category", STRING,
          "the message category: as given, else derived from `contact_reason`, else `non_critical`", "never absent",
          getter=message_category),
    Field("declared_category", STRING, "the category exactly as the message gives it",
          "absent when the message names none",
          getter=lambda v: v.message.category, given=False),
    Field("subject", TEXT, "the subject line", "empty text", getter=subject_text, lazy=True),
    Field("body", TEXT, "the plain-text body", "empty text", getter=body_text, lazy=True),
    Field("html", TEXT, "the visible text of the HTML body (link functions also see every href and src)",
          "empty text; `html is absent` holds",
          getter=html_text, lazy=True),
    Field("text", TEXT, "all visible text: subject, body and the HTML's visible text", "empty text",
          getter=all_text, lazy=True, given=False),
    Field("language", STRING, "the language the message is written in: as declared, else detected from its text",
          "absent when there is too little text to tell",
          getter=message_language, lazy=True),
    Field("order_id", STRING, "the Amazon order the message is about", "absent", getter=lambda v: v.message.order_id),
    Field("attachments", list_of(ATTACHMENT), "the attached files", "an empty list", getter=attachment_values),
    Field("sent_at", TIME, "when the message is sent", "the time of the check (`now`)",
          getter=lambda v: v.message.sent_at or v.now),
    Field("in_reply_to", REPLY, "the buyer message this answers; its presence makes the message a reply",
          "absent: the message is not a reply",
          getter=reply_record),
)

CONTEXT: dict[str, Field] = _by_name(
    Field("avg_daily_orders", NUMBER, "the seller's average number of orders a day",
          "absent: limits that need it do not apply",
          getter=lambda v: v.context.get("avg_daily_orders")),
    Field("sent_today", NUMBER, "messages the seller already sent today (UTC)", "0",
          getter=lambda v: v.context.get("sent_today", 0)),
    Field("now", TIME, "the time of the check", "never absent", getter=lambda v: v.now, given=False),
)

_TEXTLIKE = (TEXT, STRING)
BUILTINS: dict[str, Builtin] = _by_name(
    Builtin("links", (_TEXTLIKE,), list_of(LINK),
            "web addresses in the text: `https://…`, `http://…`, `www.…` and bare domains with a real public "
            "suffix (`e.g.` is not one); in HTML also every href, src, srcset, CSS url() and meta refresh target",
            "any(l in links(text): not is_amazon(l.domain))",
            finder=links_in, reads_html_targets=True,
            # A scheme, or a dot between two characters that can end and start a domain label.
            trigger=r"://|(?:[0-9A-Za-z]|\pL|\pM)\.(?:[0-9A-Za-z]|\pL|\pM)",
            samples=("https://shop-example.com/setup", "www.router-help.net", "http://example.org/manual")),
    Builtin("emails", (_TEXTLIKE,), list_of(FOUND),
            "email addresses, including `mailto:` links",
            "emails(text)",
            finder=emails_in, reads_html_targets=True,
            trigger=r"[@\x{FF20}\x{FE6B}]",
            samples=("jane.doe@example.com", "support@shop-example.net", "j.smith@gmail.com")),
    Builtin("obfuscated_emails", (_TEXTLIKE,), list_of(FOUND),
            "addresses spelled out to dodge filters: `john at gmail dot com`, `jsmith[at]outlook[dot]com`",
            "obfuscated_emails(body)",
            finder=found_by(finders.find_obfuscated_emails),
            # An "at" (@, [at], a spaced "at"), a word and the start of a "dot": every address has them.
            trigger=(r"(?i:@|[\[({<]\s*at\s*[\])}>]|\sat\s)\s*[0-9A-Za-z](?:[0-9A-Za-z_%+\-]*[0-9A-Za-z])?"
                     r"(?:\s*[\[({<.]|\s+dot\s)"),
            samples=("jane at gmail dot com", "jsmith[at]outlook[dot]com", "jane (at) yahoo (dot) com")),
    Builtin("phone_numbers", (_TEXTLIKE,), list_of(FOUND),
            "telephone numbers (order IDs, dates and tracking numbers are not); the value is in E.164 form",
            "phone_numbers(text)",
            finder=found_by(finders.find_phone_numbers),
            # Counting the digits a number needs would make the set's automaton much larger.
            trigger=r"\p{Nd}",
            samples=("+1 206-555-0100", "+44 20 7946 0958", "+49 30 901820")),
    Builtin("order_ids", (_TEXTLIKE,), list_of(FOUND),
            "Amazon order IDs: 17 digits as `NNN-NNNNNNN-NNNNNNN`",
            "count(order_ids(text)) > 0",
            finder=order_ids_in,
            trigger="[0-9]{3}-[0-9]{7}-[0-9]{7}",
            samples=("171-2345678-9012345", "112-3456789-0123456")),
    Builtin("order_id_near_misses", (_TEXTLIKE,), list_of(FOUND),
            "digit groups shaped like an order ID but with the wrong digit counts (`112-345678-0123456`)",
            "order_id_near_misses(text)",
            finder=found_by(finders.find_order_id_near_misses),
            trigger="[0-9]{2,5}-[0-9]{5,9}-[0-9]{5,9}",
            samples=("112-345678-0123456", "1712-345678-9012345")),
    Builtin("emoji", (_TEXTLIKE,), list_of(FOUND),
            "emoji, a skin-tone or ZWJ sequence counting as one",
            "emoji(subject)",
            finder=found_by(finders.find_emoji),
            trigger=r"[^\x00-\x7f]",
            samples=("😀", "👍", "🎉")),
    Builtin("tracking_pixels", (_TEXTLIKE,), list_of(FOUND),
            "HTML images of 1×1 pixels or hidden by style (open trackers)",
            "tracking_pixels(html)",
            finder=tracking_pixels_in, html_only=True,
            samples=('<img src="https://www.amazon.com/p.gif" width="1" height="1">',)),
    Builtin("detect_language", (_TEXTLIKE,), STRING,
            "the language of a text (ISO 639-1), absent when there is too little text",
            "detect_language(body) == \"de\"",
            function=language_of),
    Builtin("primary", ((STRING,),), STRING,
            "the primary subtag of a language tag: `en-GB` → `en`",
            "primary(language) == primary(recipient.language)",
            function=primary_subtag, inline=True),
    Builtin("is_amazon", ((STRING,),), BOOL,
            "whether a registrable domain is Amazon's (`amazon.<public suffix>`)",
            "is_amazon(l.domain)",
            function=lambda domain: None if domain is None else finders.is_amazon_domain(str(domain)), inline=True),
    Builtin("count", ((Type("list"),),), NUMBER,
            "the number of elements of a list",
            "count(attachments) > 5",
            function=lambda values: None if values is None else len(values), inline=True, inline_source="len({0})"),
    Builtin("sum", ((Type("list"),),), None,
            "the sum of a list of numbers, sizes or durations (0 for an empty list)",
            "sum(attachments.size) > 10 MiB",
            function=sum_of, inline=True, result_elements=(NUMBER, BYTES, DURATION)),
    Builtin("length", (_TEXTLIKE,), NUMBER,
            "the number of characters of a text, as written",
            "length(body) > 2000",
            function=length_of),
    Builtin("lower", ((STRING,),), STRING,
            "the text in lower case",
            "lower(recipient.address) ends with \"@marketplace.amazon.com\"",
            function=lambda value: None if value is None else str(value).lower(), inline=True,
            inline_source="str({0}).lower()"),
)


def readable(name: str) -> Field | None:
    """The message field or context value called `name`, if there is one."""
    return FIELDS.get(name) or CONTEXT.get(name)


def _builtin_named(name: str) -> Builtin | None:
    return BUILTINS.get(name)


def message_vocabulary() -> dict[str, Any]:
    """The keys of a message (JSON object) that give fields, nested as the message model nests
    them: None for a value, a dict for an object, a one-element list for a list of objects; under
    "context" the context values a message may give."""
    vocabulary = {field.name: _keys_of(field.type) for field in FIELDS.values() if field.given}
    vocabulary["context"] = {value.name: None for value in CONTEXT.values() if value.given}
    return vocabulary


def _keys_of(found: Type) -> Any:
    if found.is_list and found.element is not None:
        keys = _keys_of(found.element)
        return [keys] if keys is not None else None
    if not found.fields:
        return None
    return {name: _keys_of(field_type) for name, field_type, _ in found.fields if name not in found.computed}
