"""Hypothesis strategies of fuzz inputs, as the bytes the targets of `contracts` take: policy text
built from the grammar's keywords and the bundled policies' fragments, mutations of the bundled
policies, of `examples/*.json*` and of `tests/data/mail/*`, JSON Lines of message-shaped values,
MIME messages and mboxes. Inputs stay under `MAX_INPUT` bytes, so that a brief run is fast."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

from contracts import bytes_of, workspace
from hypothesis import strategies as st
from policy_strategies import checked_policy_asts, messy_text, policy_asts

from bsm_rules.core import SourceFile
from bsm_rules.language import ast, check_source, grammar_keywords, parse_source
from bsm_rules.language.build import UNITS
from bsm_rules.library import BUILTINS, CONTEXT, FIELDS

ROOT = Path(__file__).resolve().parents[2]
MAX_INPUT = 10_000


# -- mutations ------------------------------------------------------------------------------------

@st.composite
def mutated(draw, seeds: st.SearchStrategy, insertions: st.SearchStrategy, max_steps: int = 4):
    """A seed (text or bytes) after a few random edits: a slice deleted, duplicated, repeated,
    moved or replaced by an insertion, the end cut off."""
    value = draw(seeds)
    for _ in range(draw(st.integers(1, max_steps))):
        size = len(value)
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, min(size, start + 300)))
        operation = draw(st.sampled_from(("delete", "insert", "replace", "duplicate", "repeat", "move", "cut")))
        piece = value[start:end]
        if operation == "delete":
            value = value[:start] + value[end:]
        elif operation in ("insert", "replace"):
            inserted = draw(insertions)
            value = value[:start] + inserted + value[start if operation == "insert" else end:]
        elif operation == "duplicate":
            value = value[:end] + piece + value[end:]
        elif operation == "repeat":
            value = value[:start] + piece * draw(st.integers(2, 120)) + value[end:]
        elif operation == "move":
            rest = value[:start] + value[end:]
            at = draw(st.integers(0, len(rest)))
            value = rest[:at] + piece + rest[at:]
        else:
            value = value[:start]
    return value[:MAX_INPUT]


# -- policy text ----------------------------------------------------------------------------------

def _seed_files() -> list[Path]:
    return sorted([*(ROOT / "policies").glob("*.bsm"), *(ROOT / "tests" / "golden").glob("*/*.bsm"),
                   ROOT / "bench" / "baseline.bsm"])


@functools.cache
def _seed_texts() -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8") for path in _seed_files())


@functools.cache
def _fragments() -> dict[str, tuple[str, ...]]:
    """Pieces of the seed policies by kind: statements, clauses, conditions, strings, regular
    expressions and words."""
    statements, clauses, conditions = [], [], []
    for text in _seed_texts():
        policy, _ = parse_source(SourceFile("<seed>", text))
        for statement in policy.statements:
            statements.append(statement.span.text)
            for clause in getattr(statement, "clauses", ()):
                clauses.append(clause.span.text)
                if getattr(clause, "condition", None) is not None:
                    conditions.append(clause.condition.span.text)
        for node in ast.walk(policy):
            if isinstance(node, (ast.Logical, ast.Not, ast.Compare, ast.TextOp, ast.MatchesOp, ast.Quantifier)):
                conditions.append(node.span.text)
    everything = "\n".join(_seed_texts())
    return {
        "statement": tuple(dict.fromkeys(s for s in statements if len(s) < 2000)),
        "clause": tuple(dict.fromkeys(clauses)),
        "condition": tuple(dict.fromkeys(c for c in conditions if len(c) < 600)),
        "string": tuple(dict.fromkeys(re.findall(r'"(?:[^"\\\n]|\\.)*"', everything))),
        "regex": tuple(dict.fromkeys(re.findall(r"(?<![\w)\]])/(?:\\.|[^/\\\n])+/[a-z]*", everything))),
        "word": tuple(dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_-]*", everything))),
    }


def _from(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(_fragments()[kind])


KEYWORDS = sorted(grammar_keywords() | {"error", "warning", "info"})
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ",", ":", ".", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*",
               "/", "@", '"', "#", "\\", "{{", "}}", "/*", "->"]
ODD_TEXT = ["\u202e", "\u200b", "\ufeff", "\u00a0", "\u2028", "\x00", "\x0c", "\r", "\t", "é", "😀", "ｒｕｌｅ",
            "ı", "K", "ǅ", "\ud800", "\udfff", "Ω", "\U0010ffff", "e\u0301", "ß"]
_ESCAPES = ["\\n", "\\t", "\\r", '\\"', "\\\\", "\\q", "\\u{41}", "\\u{0}", "\\u{80000000}", "\\u{d800}",
            "\\u{110000}", "\\u{}", "\\u{", "\\u0041", "{match}", "{rule}", "{field}", "{", "}", "{{", "}}",
            "{unknown}", "{match"]
_REGEX_PIECES = ["a", "[a-z]", "\\d", "\\b", "\\s+", ".", "*", "+", "?", "{2}", "{2,}", "{1,3}?", "(", ")", "(?:",
                 "(?i)", "(?P<n>", "(?=", "(?<!", "|", "^", "$", "\\p{Greek}", "\\pL", "\\1", "[^", "]", "\\",
                 "\\/", "\ud800", "😀", "++", "\\Q", "\\x{1F600}", "\\z", "[[:alpha:]]"]
FIELD_PATHS = [*FIELDS, *CONTEXT, "sender.role", "sender.id", "recipient.role", "recipient.address",
               "recipient.language", "recipient.opted_out", "in_reply_to.received_at", "in_reply_to.id",
               "attachments.size", "attachments.name", "attachments.content_type", "a.size", "a.name", "l.domain",
               "x.value"]

names = st.one_of(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), _from("word"))
rule_ids = st.one_of(st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True), _from("word"))
severities = st.sampled_from(["error", "warning", "info", "fatal", "Error"])
string_literals = st.one_of(
    _from("string"),
    st.lists(st.one_of(st.sampled_from(_ESCAPES), st.text(st.characters(exclude_characters='"\\\n'), max_size=6)),
             max_size=6).map(lambda parts: '"' + "".join(parts) + '"'),
)
regex_literals = st.one_of(
    _from("regex"),
    st.tuples(st.lists(st.sampled_from(_REGEX_PIECES), min_size=1, max_size=10),
              st.sampled_from(["", "i", "m", "s", "is", "x", "q", "ii"])).map(
        lambda t: "/" + "".join(t[0]).replace("/", "\\/") + "/" + t[1]),
)
numbers = st.tuples(
    st.one_of(st.integers(0, 10**6).map(str), st.integers(0, 10**40).map(str),
              st.from_regex(r"[0-9]{1,3}(_[0-9]{3}){0,3}(\.[0-9]{1,3})?", fullmatch=True)),
    st.sampled_from(["", *(" " + unit for unit in UNITS), "xyz"]),
).map("".join)


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(FIELD_PATHS), _from("condition"), numbers, string_literals, regex_literals,
                     st.sampled_from(["true", "false"]), names)


_BINARY = ["and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "starts with", "ends with",
           "matches", "+", "-", "*", "/"]


def _compound(child: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(child, st.sampled_from(_BINARY), child).map(" ".join),
        child.map("not {}".format), child.map("-{}".format), child.map("({})".format),
        st.tuples(child, st.sampled_from(["is present", "is absent", "at start", "at end", "in middle"])).map(" ".join),
        st.tuples(st.one_of(st.sampled_from(list(BUILTINS)), names), st.lists(child, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(child, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(st.sampled_from(["any", "all"]), names, child, child).map(lambda t: f"{t[0]}({t[1]} in {t[2]}: {t[3]})"),
        st.tuples(child, names).map(".".join),
    )


expressions = st.recursive(_leaf(), _compound, max_leaves=12)


def _annotations() -> st.SearchStrategy[str]:
    one = st.tuples(st.sampled_from(["source", "doc", "allow", "x"]),
                    st.lists(st.one_of(string_literals, st.sampled_from(['"BSM501"', '"BSM5"', '"BSM501, BSM502"'])),
                             max_size=2))
    return st.lists(one.map(lambda t: f"@{t[0]}({', '.join(t[1])})\n"), max_size=2).map("".join)


_clauses = st.one_of(
    string_literals.map("message {}".format),
    expressions.map("when {}".format), expressions.map("forbid {}".format), expressions.map("require {}".format),
    st.tuples(severities, expressions).map(lambda t: f"severity {t[0]} when {t[1]}"),
    st.tuples(string_literals, expressions).map(lambda t: f"note {t[0]} when {t[1]}"),
    _from("clause"),
)


def _json_values() -> st.SearchStrategy[str]:
    scalars = st.one_of(string_literals, numbers, numbers.map("-{}".format), st.sampled_from(["true", "false"]))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.one_of(st.sampled_from(FIELD_PATHS), names, string_literals), inner), max_size=4).map(
            lambda entries: "{ " + ", ".join(f"{k}: {v}" for k, v in entries) + " }")), max_leaves=8)


_objects = st.lists(st.tuples(st.one_of(st.sampled_from([*FIELDS, "size", "name", "sent", "expect", "fires",
                                                          "not_fires", "received_at", "role"]), string_literals),
                              _json_values()), max_size=5).map(
    lambda entries: "{ " + ", ".join(f"{k}: {v}" for k, v in entries) + " }")
_example_entries = st.one_of(
    _objects.map("message {}".format),
    st.tuples(st.sampled_from(['"message.json"', '"../examples/message.json"', '"missing.eml"', '"fuzz.jsonl"',
                               '"\\u{0}"']), st.one_of(st.just(""), _objects)).map(lambda t: f"message from {t[0]} {t[1]}"),
    _objects.map("context {}".format),
    st.sampled_from(["allow", "warn", "block", "invalid", "deny"]).map("expect {}".format),
    st.lists(rule_ids, min_size=1, max_size=3).map(lambda ids: "fires " + ", ".join(ids)),
    st.lists(rule_ids, min_size=1, max_size=3).map(lambda ids: "not fires " + ", ".join(ids)),
    st.lists(_objects, max_size=3).map(lambda rows: "for each row in [" + ", ".join(rows) + "]"),
)
_INCLUDES = ['"common.bsm"', '"bundled:amazon-sp-api"', '"bundled:nothing"', '"missing.bsm"', '"../outside.bsm"',
             '"/etc/hostname"', '"fuzz.bsm"', '"\\u{0}"', '""', '"."']

statements = st.one_of(
    st.tuples(_annotations(), rule_ids, severities, st.lists(_clauses, max_size=5)).map(
        lambda t: f"{t[0]}rule {t[1]} {t[2]} {{\n" + "".join(f"  {c}\n" for c in t[3]) + "}"),
    st.tuples(_annotations(), names, regex_literals).map(lambda t: f"{t[0]}pattern {t[1]} = {t[2]}"),
    st.tuples(_annotations(), st.sampled_from(["list", "domains"]), names, st.lists(string_literals, max_size=4)).map(
        lambda t: f"{t[0]}{t[1]} {t[2]} = [{', '.join(t[3])}]"),
    st.tuples(names, st.lists(names, max_size=3), st.lists(names, max_size=2)).map(
        lambda t: f"category {t[0]} {{\n  reasons {', '.join(t[1])}\n  aliases {', '.join(t[2])}\n}}"),
    st.tuples(rule_ids, severities, string_literals).map(
        lambda t: f"override {t[0]} {{\n  severity {t[1]}\n  message {t[2]}\n}}"),
    rule_ids.map("disable {}".format),
    st.one_of(st.sampled_from(_INCLUDES), string_literals).map("include {}".format),
    st.tuples(string_literals, string_literals, string_literals).map(
        lambda t: f"policy {t[0]} version {t[1]} effective {t[2]}"),
    st.tuples(_annotations(), st.sampled_from(["example", "examples"]), string_literals,
              st.lists(_example_entries, max_size=5)).map(
        lambda t: f"{t[0]}{t[1]} {t[2]} {{\n" + "".join(f"  {e}\n" for e in t[3]) + "}"),
    _from("statement"),
)
_separators = st.sampled_from(["\n", "\n\n", " ", "\n# a comment\n", "  # bsm-allow: BSM501\n", "\r\n", "\t"])

#: Policies written statement by statement from the grammar's forms.
grammar_policies = st.lists(st.tuples(statements, _separators), max_size=6).map(
    lambda parts: "".join(s + sep for s, sep in parts)[:MAX_INPUT])

_tokens = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(PUNCTUATION), st.sampled_from(ODD_TEXT),
                    st.sampled_from(sorted(UNITS)), names, numbers, string_literals, regex_literals,
                    st.sampled_from(FIELD_PATHS), st.text(max_size=3))
#: Any sequence of the language's tokens.
token_soup = st.lists(st.tuples(_tokens, st.sampled_from([" ", "", "\n", "  "])), max_size=50).map(
    lambda parts: "".join(token + sep for token, sep in parts))


@functools.cache
def _windows() -> tuple[str, ...]:
    """Runs of up to six consecutive statements of the seed policies, with what lies between them."""
    found = []
    for text in _seed_texts():
        starts = [statement.span.start for statement in parse_source(SourceFile("<seed>", text))[0].statements]
        starts = [0, *starts[1:], len(text)]
        for first in range(len(starts) - 1):
            for count in (1, 3, 6):
                last = min(first + count, len(starts) - 1)
                if starts[last] - starts[first] <= MAX_INPUT:
                    found.append(text[starts[first]:starts[last]])
    return tuple(dict.fromkeys(found))


#: Statement runs of the bundled policies, of the golden tests and of the benchmark policy.
seed_windows = st.one_of(st.sampled_from(_windows()), st.sampled_from([t for t in _seed_texts() if len(t) <= MAX_INPUT]))
_insertions = st.one_of(_tokens, statements, expressions, st.sampled_from(["not " * 70, "(" * 70, "[" * 70,
                                                                             " or x" * 70, " + 1" * 70, "-" * 70]))


_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|(?<![\w)\]])/(?:\\.|[^/\\\n])+/[a-z]*|(?<![\w.])[0-9][0-9_]*(?:\.[0-9]+)?'
                      r"|==|!=|<=|>=|(?<![-=])[<>]|\b(?:and|or|contains|matches|any|all|error|warning|info)\b")
_OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "and", "or", "contains", "matches", "starts with", "in", "not in"]


@functools.cache
def _checking_seeds() -> tuple[str, ...]:
    """The seed policies that check without errors (next to the bundled ones, as `workspace` has them)."""
    return tuple(text for text in _seed_texts()
                 if check_source(SourceFile(str(workspace() / "seed.bsm"), text)).ok and "rule " in text)


@st.composite
def literal_mutations(draw) -> str:
    """A seed policy that checks, with a few of its literals and operators replaced by others of
    their kind: a policy that likely still checks, to compile and evaluate."""
    text = draw(st.sampled_from(_checking_seeds()))
    found = list(_LITERAL.finditer(text))
    for index in sorted(draw(st.lists(st.integers(0, len(found) - 1), min_size=1, max_size=6, unique=True)),
                        reverse=True):
        match = found[index]
        literal = match.group()
        if literal.startswith('"'):
            replacement = draw(string_literals)
        elif literal.startswith("/"):
            replacement = draw(regex_literals)
        elif literal[0].isdigit():
            replacement = draw(st.one_of(st.integers(0, 10**40).map(str), st.sampled_from(
                ["0", "0.5", "1_000_000", "99999999999999999999.5", "1.7976931348623157"])))
        elif literal in ("any", "all"):
            replacement = "all" if literal == "any" else "any"
        elif literal in ("error", "warning", "info"):
            replacement = draw(st.sampled_from(["error", "warning", "info"]))
        else:
            replacement = draw(st.sampled_from(_OPERATORS))
        text = text[:match.start()] + replacement + text[match.end():]
    return text


#: Policies that mostly check: literal mutations of the seeds and generated typed policies.
checking_policy_inputs = st.one_of(literal_mutations(), checked_policy_asts().flatmap(messy_text)).map(bytes_of)


#: Policy text, as bytes (`contracts.text_of` reads them back).
policy_inputs = st.one_of(
    mutated(seed_windows, _insertions),
    grammar_policies,
    mutated(grammar_policies, _insertions, max_steps=2),
    token_soup,
    st.one_of(policy_asts(), checked_policy_asts()).flatmap(messy_text),
    st.text(max_size=60),
).map(lambda text: bytes_of(text[:MAX_INPUT]))


# -- message JSON ---------------------------------------------------------------------------------

_TIMESTAMPS = ["2026-11-20T12:00:00Z", "2026-11-20T12:00:60Z", "2026-12-31T23:59:60+00:00", "0001-01-01T00:00:00Z",
               "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z",
               "2026-11-20 12:00:00+01:00", "2026-11-20t12:00:00z", " 2026-11-20T12:00:00Z ", "2026-11-20T12:00:00",
               "2026-11-20T12:00:00.1234567891Z", "2026-11-20T24:00:00Z", "2026-11-20", "2026-W47-5T12:00Z",
               "2026-11-20T12:00:00+24:00", "2026-11-20T12:00:00+0100", "+002026-11-20T12:00:00Z", "", "Z"]
timestamps = st.one_of(
    st.sampled_from(_TIMESTAMPS),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?",
                  fullmatch=True),
)
_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.integers(10**300, 10**420),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), timestamps,
)
json_values = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def _field(right: st.SearchStrategy) -> st.SearchStrategy:
    """A field's value: usually of its type, sometimes any JSON value."""
    return st.one_of(right, right, right, json_values)


_texts = st.one_of(st.text(max_size=40), st.sampled_from(["jane.doe@example.com https://ups.com/x 171-2345678-9012345",
                                                         "Bitte bewerten Sie uns! 5 ★", "<b>x</b>&amp;", "\u202e\u200b",
                                                         "review gift card", "+49 30 1234567", "😀" * 20]))
_attachments = st.lists(_field(st.fixed_dictionaries({}, optional={
    "name": _field(st.sampled_from(["a.pdf", "x.exe", "", "Rechnung März.PDF", "a" * 300, "noext", ".jpg"])),
    "size": _field(st.one_of(st.integers(-2, 30 * 1024 * 1024), st.integers(10**30, 10**420),
                             st.floats(0, 1e12), st.sampled_from([1e400, -0.0, 5.5]))),
    "content_type": _field(st.sampled_from(["image/png", "application/pdf", "", "text/html"])),
})), max_size=3)
_figures = _field(st.one_of(st.integers(-5, 10**6), st.integers(10**300, 10**420), st.floats(allow_nan=True)))
message_values = st.one_of(
    st.fixed_dictionaries({}, optional={
        "id": _field(st.one_of(st.text(max_size=8), st.integers(), st.integers(10**300, 10**420))),
        "sender": _field(st.fixed_dictionaries({}, optional={
            "role": _field(st.sampled_from(["seller", "buyer", "Seller", ""])), "id": _field(st.text(max_size=8))})),
        "recipient": _field(st.fixed_dictionaries({}, optional={
            "role": _field(st.sampled_from(["seller", "buyer", "amazon"])),
            "address": _field(st.sampled_from(["a@marketplace.amazon.de", "x@y.com", "", "no at"])),
            "language": _field(st.sampled_from(["en", "de-DE", "zz", "", "x" * 40])),
            "opted_out": _field(st.booleans())})),
        "contact_reason": _field(st.sampled_from(["order_issue", "review_request", "coupon", "unknown", "", "reply",
                                                  "return_refund", "delivery_scheduling"])),
        "category": _field(st.sampled_from(["critical", "non_critical", "unknown", ""])),
        "subject": _field(_texts), "body": _field(_texts),
        "html": _field(st.one_of(_texts, st.sampled_from(['<a href="https://bit.ly/x">x</a>', "<img src=x width=1>",
                                                          "<!--", "<p", "&#x10FFFF;&#0;&bogus;", "<script>x</script>"]))),
        "language": _field(st.sampled_from(["en", "de", "ja", "", "x-klingon"])),
        "order_id": _field(st.sampled_from(["171-2345678-9012345", "1-2-3", ""])),
        "attachments": _field(_attachments),
        "sent_at": _field(timestamps),
        "in_reply_to": _field(st.fixed_dictionaries({}, optional={"id": _field(st.text(max_size=5)),
                                                                  "received_at": _field(timestamps)})),
        "context": _field(st.fixed_dictionaries({}, optional={"avg_daily_orders": _figures, "sent_today": _figures})),
        "subjct": json_values, "bdy": json_values, "extra": json_values,
    }),
    json_values,
)


@st.composite
def json_lines(draw) -> bytes:
    """A JSON Lines file: message-shaped values written in several ways, blank and broken lines,
    mixed line ends, sometimes a byte order mark or no final line end."""
    lines = []
    for value in draw(st.lists(message_values, max_size=6)):
        kind = draw(st.sampled_from(["json", "ascii", "blank", "broken", "deep"]))
        if kind == "blank":
            lines.append(bytes_of(draw(st.sampled_from(["", " ", "\t", "\u3000", "\x0c", "\x1c", "\u2028", "\x85"]))))
        elif kind == "broken":
            lines.append(draw(mutated(st.just(bytes_of(json.dumps(value))), st.binary(max_size=4), max_steps=2)))
        elif kind == "deep":
            depth = draw(st.integers(100, 3000))
            lines.append(b'{"subject": ' + b"[" * depth + b"]" * depth + b"}")
        else:
            lines.append(bytes_of(json.dumps(value, ensure_ascii=kind == "ascii")))
    ends = st.sampled_from([b"\n", b"\r\n", b"\r"])
    data = b"".join(line + draw(ends) for line in lines)
    if lines and draw(st.booleans()):
        data = data.rstrip(b"\r\n")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data[:MAX_INPUT]


@functools.cache
def _example_files() -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in sorted((ROOT / "examples").glob("*.json*")))


#: Message input files, as bytes.
message_inputs = st.one_of(
    json_lines(),
    mutated(st.sampled_from(_example_files()), st.one_of(st.binary(max_size=4), st.sampled_from(
        [b"\n", b"\r", b"{", b"}", b'"', b",", b"null", b"1" * 500, b"\\ud800", b"\xff", b'"attachments":[]']))),
    message_values.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
    st.lists(message_values, max_size=4).map(lambda values: json.dumps(values).encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
)


# -- email ----------------------------------------------------------------------------------------

_ADDRESSES = ["seller@shop-example.com", "a1b2@marketplace.amazon.com", "Jane <j@marketplace.amazon.co.uk>",
              "undisclosed-recipients:;", "no address here", '"Doe, J" <j@x.de>', "=?utf-8?q?J=C3=B6rg?= <j@x.de>",
              "<>", "a@b, c@d", "@", "a@", "group: a@b.c, d@e.f;", "=?bogus?b?////?= <x@y>"]
_DATES = ["Mon, 23 Nov 2026 09:00:00 +0000", "Mon, 23 Nov 2026 09:00:00 -0000", "23 Nov 2026 09:00 GMT",
          "Mon, 31 Feb 2026 09:00:00 +0000", "Mon, 23 Nov 2026 25:61:61 +0000", "Mon, 23 Nov 0000 09:00:00 +0000",
          "Mon, 23 Nov 99999 09:00:00 +0000", "Mon, 23 Nov 2026 09:00:00 +9999", "yesterday", "",
          "Mon, 23 Nov 2026 09:00:00 EST", "Mon, 23 Nov 26 09:00:00 +0100"]
_CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "shift_jis", "utf-16", "utf-7", "unknown-8bit", "bogus", '"utf-8"',
             "x-user-defined", "cp1252", "iso-2022-jp"]
_ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus"]
_FILENAMES = ["invoice.pdf", "Rechnung März.pdf", "a.exe", "", "=?utf-8?b?w6QucGRm?=", "x" * 200, "../etc/passwd",
              "*utf-8''R%C3%A9.pdf"]
_HEADER_VALUES = {
    "From": st.sampled_from(_ADDRESSES), "To": st.sampled_from(_ADDRESSES), "Date": st.sampled_from(_DATES),
    "Subject": st.one_of(st.text(max_size=30), st.sampled_from(["=?utf-8?b?w6TDtsO8?=", "=?iso-8859-1?q?caf=E9?=",
                                                                 "=?utf-8?q?broken", "=?x?b?!!?="])),
    "In-Reply-To": st.sampled_from(["<a@b>", "", "<<>>", "garbage"]),
    "Content-Language": st.sampled_from(["en", "de-DE, en", "", "x" * 50]),
    "X-BSM-Contact-Reason": st.sampled_from(["order_issue", "review_request", "", "nonsense"]),
    "X-BSM-Category": st.sampled_from(["critical", "non_critical", "bogus"]),
    "X-BSM-Order-Id": st.sampled_from(["171-2345678-9012345", ""]),
    "X-BSM-Recipient-Language": st.sampled_from(["en", "de", ""]),
    "X-BSM-Opted-Out": st.sampled_from(["true", "no", "maybe", ""]),
    "X-BSM-Reply-Received-At": st.sampled_from(_TIMESTAMPS),
    "Message-ID": st.sampled_from(["<m@x>", ""]),
    "MIME-Version": st.sampled_from(["1.0", "2.0"]),
}


def _header_line(name: str, value: str, folded: bool) -> bytes:
    line = f"{name}: {value}"
    if folded and " " in value:
        line = line.replace(" ", "\r\n  ", 1)
    return bytes_of(line) + b"\n"


@st.composite
def _headers(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(sorted(_HEADER_VALUES)), max_size=8))
    return b"".join(_header_line(name, draw(_HEADER_VALUES[name]), draw(st.booleans())) for name in names)


@st.composite
def _leaf_part(draw) -> bytes:
    kind = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "image/png", "message/rfc822",
                                 "text/calendar", "bogus"]))
    headers = [f"Content-Type: {kind}; charset={draw(st.sampled_from(_CHARSETS))}"]
    if draw(st.booleans()):
        headers[0] += f'; name="{draw(st.sampled_from(_FILENAMES))}"'
    if draw(st.booleans()):
        headers.append(f"Content-Transfer-Encoding: {draw(st.sampled_from(_ENCODINGS))}")
    if draw(st.booleans()):
        disposition = draw(st.sampled_from(["attachment", "inline", "bogus"]))
        headers.append(f'Content-Disposition: {disposition}; filename="{draw(st.sampled_from(_FILENAMES))}"')
    if draw(st.booleans()):
        headers.append(f"Content-ID: <{draw(st.sampled_from(['logo@shop', '', '@', 'a b']))}>")
    body = draw(st.one_of(st.binary(max_size=60), _texts.map(bytes_of), st.sampled_from(
        [b"SGVsbG8=", b"=C3=A4=\n", b"begin 644 x\n#86)C\n`\nend\n", b"Subject: inner\n\ninner body\n"])))
    return bytes_of("\n".join(headers)) + b"\n\n" + body + b"\n"


def _multipart(child: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw) -> bytes:
        boundary = draw(st.sampled_from(["b1", "=_x", "a" * 80, "with space", ""]))
        kind = draw(st.sampled_from(["mixed", "alternative", "related", "digest"]))
        written = draw(st.sampled_from([boundary, boundary, "other"]))
        parts = draw(st.lists(child, max_size=3))
        text = f'Content-Type: multipart/{kind}; boundary="{boundary}"\n\npreamble\n'.encode()
        text += b"".join(f"--{written}\n".encode() + part for part in parts)
        if draw(st.booleans()):
            text += f"--{written}--\n".encode()
        return text
    return build()


mime_parts = st.recursive(_leaf_part(), _multipart, max_leaves=5)


@st.composite
def email_messages(draw) -> bytes:
    """An RFC 5322 message: headers of the message model's mapping with good and bad values,
    then a body part or a MIME tree."""
    return draw(_headers()) + draw(mime_parts)


def mbox_escaped(message: bytes) -> bytes:
    """A message as an mbox holds it (mboxrd): lines that read `From ` after `>`s get one more."""
    return b"".join(b">" + line if re.match(rb">*From ", line) else line for line in io.BytesIO(message))


@st.composite
def mboxes(draw) -> tuple[bytes, list[bytes]]:
    """An mbox and the messages in it, each ending with a line end, separated by a blank line."""
    messages = [m if m.endswith(b"\n") else m + b"\n" for m in draw(st.lists(email_messages(), min_size=1, max_size=4))]
    data = b"".join(b"From seller@shop-example.com Mon Nov 23 09:00:00 2026\n" + mbox_escaped(m) + b"\n"
                    for m in messages)
    return data, messages


@functools.cache
def _mail_files() -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in sorted((ROOT / "tests" / "data" / "mail").iterdir()))


_mail_insertions = st.one_of(st.binary(max_size=6), st.sampled_from(
    [b"\n", b"\r\n", b"\n\n", b"From ", b"\nFrom x\n", b">From ", b"--", b"boundary=", b"charset=bogus", b"=?utf-8?b?",
     b"Content-Type: multipart/mixed\n", b"Content-Transfer-Encoding: base64\n", b"\xff\xfe", b":", b"\x00"]),
    _headers())

#: Email input, as bytes.
mime_inputs = st.one_of(
    mutated(st.sampled_from(_mail_files()), _mail_insertions),
    email_messages(),
    mutated(email_messages(), _mail_insertions, max_steps=2),
    mboxes().map(lambda found: found[0]),
    st.binary(max_size=60),
).map(lambda data: data[:MAX_INPUT])


# -- editing a document ---------------------------------------------------------------------------

@st.composite
def edit_sequences(draw) -> list[str]:
    """Successive versions of a document being edited: a seed policy, then a few edits of it."""
    text = draw(seed_windows)
    versions = [text]
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        text = (text[:start] + draw(st.one_of(_tokens, st.just(""), statements)) + text[end:])[:MAX_INPUT]
        versions.append(text)
    return versions
