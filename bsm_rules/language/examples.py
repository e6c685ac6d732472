"""Examples written in policies (`example`, `examples … for each row in`): checks them (located
BSM6xx diagnostics) and expands table rows into cases (`testing.examples` runs them)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import attrs

from ..core.diagnostics import Diagnostic, Severity, unknown_name
from ..core.errors import MessageError
from ..core.source import Span
from ..library.registry import message_vocabulary
from ..messages.model import Message, parse_context, parse_message
from . import ast
from .templates import placeholder_span

__all__ = [
    "ROW_KEYS", "VERDICT_NAMES", "ExampleCase", "Vocabulary", "check_examples", "collect_cases", "expand_example",
    "load_message_file", "message_to_json", "vocabulary_of",
]

VERDICT_NAMES = ("allow", "warn", "block")
#: Row columns with a meaning of their own: they change the expectations of that row.
ROW_KEYS = ("expect", "fires", "not_fires")

# What an example message may give: the message model's keys, from the registry of fields.
_MESSAGE_FIELDS: dict[str, Any] = message_vocabulary()
_CONTEXT_FIELDS = _MESSAGE_FIELDS["context"]
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@attrs.frozen
class Vocabulary:
    """What example expectations and messages may name: the policy's rules and contact reasons."""

    rules: Collection[str]
    disabled: Collection[str] = ()
    categories: Collection[str] = ()
    reasons: Collection[str] = ()


@attrs.frozen
class ExampleCase:
    """One message to run with what it must produce (a table example gives one case per row)."""

    name: str
    span: Span
    message: dict
    context: dict
    expect: str | None
    fires: tuple[str, ...]
    not_fires: tuple[str, ...]

    @property
    def location(self) -> str:
        return f"{self.span.source.name}:{self.span.line}"


class _Expander:
    """Turns one example into cases, collecting diagnostics on the way."""

    def __init__(self, example: ast.ExampleDef, vocabulary: Vocabulary | None):
        self.example = example
        self.vocabulary = vocabulary
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span, label: str = "", **extra) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, span, label=label, **extra))

    def unknown(self, code: str, what: str, name: str, span: Span, candidates) -> None:
        self.diagnostics.append(unknown_name(code, what, name, span, candidates))

    # -- structure
    def expand(self) -> list[ExampleCase]:
        example = self.example
        kinds: dict[type, list] = {}
        for entry in example.entries:
            kinds.setdefault(type(entry), []).append(entry)
        for kind in (ast.ExampleMessage, ast.ExampleContext, ast.ExampleExpect, ast.ExampleRows):
            for extra in kinds.get(kind, [])[1:]:
                self.error("BSM606", "this example already has one; an example has at most one of each",
                           extra.span, label="given twice")
        messages = kinds.get(ast.ExampleMessage, [])
        rows = kinds.get(ast.ExampleRows, [])
        if not messages:
            self.error("BSM606", f"example \"{example.name.value}\" has no message", example.name.span,
                       label="needs `message { … }` or `message from \"file.json\"`")
        if example.table and not rows:
            self.error("BSM606", f"table example \"{example.name.value}\" has no rows", example.name.span,
                       label="needs `for each row in [ { … }, … ]`",
                       notes=("help: write `example` instead of `examples` for a single message",))
        if not example.table and rows:
            self.error("BSM606", "`for each row in` belongs to a table example", rows[0].span,
                       label="rows in a single example", notes=("help: write `examples` instead of `example`",))
        fires = [rule for entry in kinds.get(ast.ExampleFires, []) if not entry.negated for rule in entry.rules]
        not_fires = [rule for entry in kinds.get(ast.ExampleFires, []) if entry.negated for rule in entry.rules]
        for rule in fires + not_fires:
            self.check_rule(rule.name, rule.span)
        expect = kinds.get(ast.ExampleExpect, [None])[0]
        if expect is not None and expect.verdict.name not in VERDICT_NAMES:
            self.unknown("BSM604", "verdict", expect.verdict.name, expect.verdict.span, VERDICT_NAMES)
        table_rows = rows[0].rows if rows and example.table else (None,)
        if expect is None and not fires and not not_fires and not any(
                row is not None and any(e.key.name in ROW_KEYS for e in row.entries) for row in table_rows):
            self.error("BSM606", f"example \"{example.name.value}\" expects nothing", example.name.span,
                       label="add `expect allow|warn|block`, `fires RULE` or `not fires RULE`")
        if not messages:
            return []
        if messages[0].fields is not None:
            self.check_keys(messages[0].fields, _MESSAGE_FIELDS, "message field")
        for context_entry in kinds.get(ast.ExampleContext, [])[:1]:
            self.check_keys(context_entry.fields, _CONTEXT_FIELDS, "context value")
        columns = self.columns(table_rows)
        cases = []
        for number, row in enumerate(table_rows, start=1):
            case = self.case(messages[0], kinds.get(ast.ExampleContext, [None])[0], expect, fires, not_fires,
                             row, number, columns)
            if case is not None:
                cases.append(case)
        return cases

    def columns(self, rows) -> set[str]:
        names: set[str] = set()
        for row in rows:
            if row is not None:
                names.update(entry.key.name for entry in row.entries if entry.key.name not in ROW_KEYS)
        return names

    def check_rule(self, name: str, span: Span) -> None:
        if self.vocabulary is None:
            return
        if name in self.vocabulary.disabled:
            self.error("BSM601", f"rule `{name}` is disabled in this policy, so it never fires", span,
                       label="disabled rule", notes=("help: remove it from the example, or do not disable it",))
        elif name not in self.vocabulary.rules:
            self.unknown("BSM601", "rule id", name, span, self.vocabulary.rules)

    # -- one case
    def case(self, message_entry: ast.ExampleMessage, context_entry: ast.ExampleContext | None,
             expect: ast.ExampleExpect | None, fires, not_fires, row: ast.ObjectLit | None, number: int,
             columns: set[str]) -> ExampleCase | None:
        values = {}
        row_expect, row_fires, row_not_fires = None, None, None
        if row is not None:
            for entry in row.entries:
                if entry.key.name == "expect":
                    row_expect = self.row_verdict(entry)
                elif entry.key.name in ("fires", "not_fires"):
                    found = self.row_rules(entry)
                    if entry.key.name == "fires":
                        row_fires = found
                    else:
                        row_not_fires = found
                else:
                    values[entry.key.name] = self.to_json(entry.value, None)
            missing = sorted(columns - values.keys())
            if missing:
                self.error("BSM607", f"this row has no value for {', '.join(missing)}", row.span,
                           label="missing column", notes=("note: every row gives a value for every column",))
                return None
        errors_before = len(self.diagnostics)
        message = self.message(message_entry, values if row is not None else None)
        context = {}
        if context_entry is not None:
            context_value = self.to_json(context_entry.fields, values if row is not None else None)
            try:
                context = parse_context(context_value, "context")
            except MessageError as error:
                self.error("BSM603", f"invalid context: {error.reason}",
                           _span_at(context_entry.fields, error.path, "context") or context_entry.span,
                           label="invalid value")
        if message is None or len(self.diagnostics) > errors_before:
            return None
        verdict = row_expect if row_expect is not None else (expect.verdict.name if expect else None)
        name = self.example.name.value
        if row is not None:
            name = _substitute(name, values) if "{" in name else name
            if name == self.example.name.value:
                name = f"{name} [row {number}]"
        return ExampleCase(
            name, row.span if row is not None else self.example.span, message, context, verdict,
            tuple(row_fires if row_fires is not None else (r.name for r in fires)),
            tuple(row_not_fires if row_not_fires is not None else (r.name for r in not_fires)),
        )

    def row_verdict(self, entry: ast.ObjectEntry) -> str | None:
        if not isinstance(entry.value, ast.StringLit):
            self.error("BSM604", "`expect` in a row is a verdict string: \"allow\", \"warn\" or \"block\"",
                       entry.value.span, label="not a verdict")
            return None
        if entry.value.value not in VERDICT_NAMES:
            self.unknown("BSM604", "verdict", entry.value.value, entry.value.span, VERDICT_NAMES)
            return None
        return entry.value.value

    def row_rules(self, entry: ast.ObjectEntry) -> tuple[str, ...]:
        items = entry.value.items if isinstance(entry.value, ast.ListLit) else (entry.value,)
        found = []
        for item in items:
            if not isinstance(item, ast.StringLit):
                self.error("BSM601", f"`{entry.key.name}` in a row lists rule ids as strings", item.span,
                           label="not a rule id string")
                continue
            self.check_rule(item.value, item.span)
            found.append(item.value)
        return tuple(found)

    def message(self, entry: ast.ExampleMessage, row: dict | None) -> dict | None:
        base: dict = {}
        if entry.source is not None:
            loaded = self.load_file(entry.source)
            if loaded is None:
                return None
            base = loaded
        if entry.fields is not None:
            base = _merge(base, self.to_json(entry.fields, row))
        try:
            parse_message(base)
        except MessageError as error:
            self.error("BSM603", f"invalid message: {error}",
                       _span_at(entry.fields, error.path, "$") or entry.span, label="invalid value")
            return None
        self.check_vocabulary(base, entry)
        return base

    def check_vocabulary(self, message: dict, entry: ast.ExampleMessage) -> None:
        vocabulary = self.vocabulary
        if vocabulary is None or not vocabulary.categories:
            return
        for key, known, what in (("category", vocabulary.categories, "category"),
                                 ("contact_reason", vocabulary.reasons, "contact reason")):
            value = message.get(key)
            if isinstance(value, str) and value.casefold() not in {k.casefold() for k in known}:
                node = _node_at(entry.fields, "$." + key)
                if node is None:  # from a message file: no place in the policy to correct
                    self.unknown("BSM603", what, value, entry.span, ())
                else:
                    self.unknown("BSM603", what, value, node.span, known)

    def load_file(self, source: ast.StringLit) -> dict | None:
        base = Path(source.span.source.name).parent if not source.span.source.name.startswith("<") else Path.cwd()
        path = base / source.value
        try:
            return load_message_file(path)
        except (OSError, ValueError, MessageError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self.error("BSM605", f"cannot read the example message {source.value!r}: {reason}", source.span,
                       label=str(path), notes=("note: the path is relative to the policy file; "
                                               ".json holds one message object, .eml one email",))
            return None

    def check_keys(self, obj: ast.ObjectLit, schema: dict, what: str) -> None:
        for entry in obj.entries:
            key = entry.key.name
            if key not in schema:
                self.unknown("BSM602", what, key, entry.key.span, schema)
                continue
            nested = schema[key]
            if isinstance(nested, dict) and isinstance(entry.value, ast.ObjectLit):
                self.check_keys(entry.value, nested, f"field of {key}")
            elif isinstance(nested, list) and isinstance(entry.value, ast.ListLit):
                for item in entry.value.items:
                    if isinstance(item, ast.ObjectLit):
                        self.check_keys(item, nested[0], f"field of {key}")

    def to_json(self, value, row: dict | None) -> Any:
        if isinstance(value, ast.ObjectLit):
            return {entry.key.name: self.to_json(entry.value, row) for entry in value.entries}
        if isinstance(value, ast.ListLit):
            return [self.to_json(item, row) for item in value.items]
        if isinstance(value, ast.StringLit):
            if row is None:
                return value.value
            whole = re.fullmatch(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value.value)
            if whole and whole.group(1) in row:
                return row[whole.group(1)]
            unknown = [m.group(1) for m in _PLACEHOLDER.finditer(value.value) if m.group(1) and m.group(1) not in row]
            if unknown:
                self.unknown("BSM607", "column", unknown[0], placeholder_span(value, unknown[0]), row)
            return _substitute(value.value, row)
        if isinstance(value, (ast.NumberLit, ast.BoolLit)):
            return value.value
        return None


def _substitute(text: str, row: dict) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        value = row.get(match.group(1))
        if value is None:
            return match.group(0)
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _PLACEHOLDER.sub(replace, text)


def _merge(base: dict, overrides: dict) -> dict:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _node_at(obj: ast.ObjectLit | None, path: str):
    """The value node of an inline object at a JSON path such as `$.attachments[1].size`."""
    node: Any = obj
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path.removeprefix("$")):
        key, index = part
        if isinstance(node, ast.ObjectLit) and key:
            node = next((e.value for e in node.entries if e.key.name == key), None)
        elif isinstance(node, ast.ListLit) and index and int(index) < len(node.items):
            node = node.items[int(index)]
        else:
            return None
    return node


def _span_at(obj: ast.ObjectLit | None, path: str, root: str) -> Span | None:
    if obj is None:
        return None
    node = _node_at(obj, "$" + path.removeprefix(root))
    return node.span if node is not None else None


def load_message_file(path: Path) -> dict:
    """One message from a `.json` file (an object) or an `.eml` file, as message-model JSON."""
    if path.suffix.lower() == ".eml":
        from ..messages.email_input import parse_email

        return message_to_json(parse_email(path.read_bytes(), path.name))
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(document, list) and len(document) == 1:
        document = document[0]
    if not isinstance(document, dict):
        raise ValueError("expected one message object")  # noqa: TRY004 - callers report ValueErrors, as json.loads raises
    return document


def message_to_json(message: Message) -> dict:
    """A `Message` back in the message-model JSON shape (fields at their defaults left out)."""
    def stamp(value: datetime.datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    result: dict[str, Any] = {}
    for key in ("id", "contact_reason", "category", "subject", "body", "html", "language", "order_id"):
        value = getattr(message, key)
        if value is not None and (value or key not in ("subject", "body")):  # "" is a value, but the default of these two
            result[key] = value
    recipient = {k: v for k, v in (("role", message.recipient_role if message.recipient_role != "buyer" else None),
                                   ("address", message.recipient_address), ("language", message.recipient_language),
                                   ("opted_out", message.opted_out or None)) if v is not None}
    if recipient:
        result["recipient"] = recipient
    sender = {k: v for k, v in (("role", message.sender_role if message.sender_role != "seller" else None),
                                ("id", message.sender_id)) if v is not None}
    if sender:
        result["sender"] = sender
    if message.attachments:
        result["attachments"] = [
            {"name": a.name, "size": a.size, **({"content_type": a.content_type} if a.content_type else {})}
            for a in message.attachments
        ]
    if message.sent_at is not None:
        result["sent_at"] = stamp(message.sent_at)
    if message.in_reply_to_received_at is not None:
        reply = {"received_at": stamp(message.in_reply_to_received_at)}
        if message.in_reply_to_id is not None:
            reply["id"] = message.in_reply_to_id
        result["in_reply_to"] = reply
    if message.context:
        result["context"] = dict(message.context)
    return result


def expand_example(example: ast.ExampleDef, vocabulary: Vocabulary | None = None
                   ) -> tuple[list[ExampleCase], list[Diagnostic]]:
    """The cases of one example and the problems found in it."""
    expander = _Expander(example, vocabulary)
    cases = expander.expand()
    unique = {(d.code, d.span.start, d.span.end, d.message): d for d in expander.diagnostics}
    return cases, list(unique.values())


def check_examples(units, vocabulary: Vocabulary) -> list[Diagnostic]:
    """Diagnostics for every example of every policy file taking part."""
    diagnostics: list[Diagnostic] = []
    for unit in units:
        for statement in unit.ast.statements:
            if isinstance(statement, ast.ExampleDef):
                diagnostics.extend(expand_example(statement, vocabulary)[1])
    return diagnostics


def vocabulary_of(checked) -> Vocabulary:
    """The rules, categories and contact reasons (as first written) of a checked policy."""
    reasons: dict[str, str] = {}
    for category in checked.categories.values():
        for ident in (*category.reasons, *category.aliases):
            reasons.setdefault(ident.name.casefold(), ident.name)
    return Vocabulary(
        [r.id for r in checked.rules if not r.disabled], [r.id for r in checked.rules if r.disabled],
        list(checked.categories), list(reasons.values()),
    )


def collect_cases(checked) -> list[ExampleCase]:
    """The cases of the examples written in the main file of a checked policy (an included file's
    examples belong to that file's own policy)."""
    main = [unit for unit in checked.units if not unit.included]
    cases: list[ExampleCase] = []
    vocabulary = vocabulary_of(checked)
    for unit in main:
        for statement in unit.ast.statements:
            if isinstance(statement, ast.ExampleDef):
                cases.extend(expand_example(statement, vocabulary)[0])
    return cases
