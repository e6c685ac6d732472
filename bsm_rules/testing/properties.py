"""Properties derived from a policy's rules, checked on generated messages (`bsm test
--properties`): a message that meets a rule's guard and carries what its conditions look for
makes it fire; one free of it does not; and every numeric limit holds exactly at its boundary.

Plans are derived from the rule's conditions: comparisons of message fields with constants set
those fields, text conditions plant text generated from the patterns themselves (`from_regex`),
the phrase lists or the text finders, and numeric comparisons turn a "knob" (a count, a size, a
length, a duration, a context value) to the first value where the comparison changes."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import os
import re
from collections.abc import Callable
from typing import Any

import attrs

from ..core.errors import MessageError
from ..engine.compiler import ExpressionCompiler
from ..engine.operations import truth
from ..language import ast
from ..language.symbols import ContextSymbol, FieldSymbol, PatternSymbol
from ..library.registry import BUILTINS, CONTEXT, FIELDS
from ..messages.model import parse_message

__all__ = [
    "LANGUAGES", "NEUTRAL_WORDS", "NOW", "PropertyResult", "avoiding_messages", "benign_messages", "boundary_messages",
    "draft_messages", "firing_messages", "rule_plans", "run_properties", "with_context",
]

#: The evaluation time of generated messages (fixed, so that a failure replays identically).
NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone.utc)
NEUTRAL_WORDS = ("parcel", "jacket", "lamp", "colour", "blue", "large", "ready", "tomorrow", "morning",
                 "sofa", "wooden", "table", "warm", "scarf", "size", "arrives", "packed", "carefully")
LANGUAGES = ("en", "de", "fr", "es", "it", "ja")
# The text fields and the context values that a generated message gives.
_TEXT_FIELDS = tuple(field.name for field in FIELDS.values() if field.is_text and field.given)
_CONTEXT_VALUES = tuple(value.name for value in CONTEXT.values() if value.given)
_LIMIT = 2 ** 40


class CannotDerive(Exception):
    """A condition the planner does not know how to satisfy (the property is skipped, not failed)."""


@attrs.frozen
class PropertyResult:
    """The outcome of one derived property."""

    name: str
    rule: str
    kind: str
    passed: bool
    skipped: str | None = None
    summary: str = ""
    counterexample: dict | None = None
    context: dict | None = None
    trace: tuple[str, ...] = ()

    def details(self) -> str:
        lines = [self.summary]
        if self.counterexample is not None:
            lines.append("counterexample (paste into an example as `message { … }` or a .json file):")
            lines.append(json.dumps(self.counterexample, ensure_ascii=False, indent=2))
        if self.context:
            lines.append("context: " + json.dumps(self.context))
        lines.extend(self.trace)
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"name": self.name, "rule": self.rule, "kind": self.kind,
                "status": "skip" if self.skipped else ("pass" if self.passed else "fail"),
                "skipped": self.skipped, "summary": self.summary, "counterexample": self.counterexample,
                "context": self.context, "trace": list(self.trace)}


# -- a message under construction ----------------------------------------------------------------

class _Draft:
    """A message dict and its context, edited step by step while drawing."""

    def __init__(self, message: dict, context: dict):
        self.message = message
        self.context = context

    def set(self, path: str, value: Any) -> None:
        if path in _CONTEXT_VALUES:
            self.context[path] = value
            return
        target = self.message
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value

    def remove(self, path: str) -> None:
        if path in _CONTEXT_VALUES:
            self.context.pop(path, None)
            return
        target = self.message
        *parents, last = path.split(".")
        for part in parents:
            target = target.get(part, {})
        target.pop(last, None)

    def plant(self, field: str, text: str, position: str | None = None) -> None:
        if field == "html":
            current = self.message.get("html") or ""
            self.message["html"] = current + f"<p>{text}</p>" if not text.startswith("<") else current + text
            return
        current = self.message.get(field, "")
        if position == "replace":
            self.message[field] = text
        elif position == "start":
            self.message[field] = f"{text} {current}".strip()
        elif position == "end":
            self.message[field] = f"{current} {text}".strip()
        elif position == "middle":
            self.message[field] = f"{current} word {text} word".strip()
        else:
            # Appended, never inserted: an insertion could split text planted before.
            self.message[field] = f"{current} {text}".strip()


Edit = Callable[[Callable, _Draft], None]


def _python_regex(pattern: str, flags: str) -> re.Pattern | None:
    value = re.ASCII
    value |= re.IGNORECASE if "i" in flags else 0
    value |= re.MULTILINE if "m" in flags else 0
    value |= re.DOTALL if "s" in flags else 0
    try:
        return re.compile(pattern, value)
    except re.error:
        return None


class _Planner:
    """Derives, for a condition and a wanted truth value, the edits that make a message meet it."""

    def __init__(self, policy):
        from hypothesis import strategies as st

        self.st = st
        self.policy = policy
        self.checked = policy.checked
        self.compiler = ExpressionCompiler(self.checked)
        self.categories: dict[str, list[str]] = {
            name: [i.name for i in (*definition.reasons, *definition.aliases)]
            for name, definition in self.checked.categories.items()
        }
        first_category: dict[str, str] = {}
        for name, reasons in self.categories.items():
            for reason in reasons:
                first_category.setdefault(reason.casefold(), name)
        self.reasons = [r for name, reasons in self.categories.items() for r in reasons
                        if first_category[r.casefold()] == name]
        #: (comparison, flip): plan this numeric comparison with the opposite truth value when flip is set
        self.pin: tuple[Any, bool] | None = None

    # -- what a node is
    def field_path(self, expr) -> str | None:
        """`recipient.language` for a field access; functions that keep the value (primary, lower) see through."""
        if isinstance(expr, ast.Call) and expr.function.name in ("primary", "lower") and expr.args:
            return self.field_path(expr.args[0])
        if isinstance(expr, ast.Name):
            return expr.name if isinstance(self.checked.symbol_of(expr), (FieldSymbol, ContextSymbol)) else None
        if isinstance(expr, ast.AttributeAccess):
            head = self.field_path(expr.target)
            return f"{head}.{expr.name.name}" if head else None
        return None

    def constant(self, expr) -> tuple[bool, Any]:
        known, value = self.compiler.constant(expr)
        if known and isinstance(expr, ast.ListLit):
            return True, [self.compiler.constant(item)[1] for item in expr.items]
        return known, value

    def domain(self, path: str) -> list:
        if path == "contact_reason":
            return list(self.reasons)
        if path in ("category", "declared_category"):
            return list(self.categories)
        if path.endswith("role"):
            return ["buyer", "seller"]
        if path.endswith("language"):
            return list(LANGUAGES)
        if path.endswith("opted_out"):
            return [True, False]
        if path == "order_id":
            return ["123-4567890-1234567"]  # never one of the planted sample order IDs
        raise CannotDerive(f"no values known for `{path}`")

    # -- plans: a list of alternatives, each a list of edits
    def plan(self, expr, want: bool) -> list[list[Edit]]:
        method = getattr(self, "plan_" + type(expr).__name__, None)
        if method is None:
            raise CannotDerive(f"cannot derive messages for `{type(expr).__name__}`")
        return method(expr, want)

    def plan_Logical(self, expr: ast.Logical, want: bool) -> list[list[Edit]]:
        conjunction = (expr.op == "and") == want
        if conjunction:
            left, right = self.plan(expr.left, want), self.plan(expr.right, want)
            return [a + b for a in left[:3] for b in right[:3]]
        alternatives = []
        sides = [expr.left, expr.right]
        if self.pin is not None:
            pinned = [side for side in sides if any(n is self.pin[0] for n in ast.walk(side))]
            sides = pinned or sides
        for side in sides:
            try:
                alternatives.extend(self.plan(side, want))
            except CannotDerive:
                continue
        if not alternatives:
            raise CannotDerive("neither side of `or` can be derived")
        return alternatives

    def plan_Not(self, expr: ast.Not, want: bool) -> list[list[Edit]]:
        return self.plan(expr.operand, not want)

    def plan_Presence(self, expr: ast.Presence, want: bool) -> list[list[Edit]]:
        path = self.field_path(expr.operand)
        if path is None:
            raise CannotDerive("presence of a computed value")
        present = expr.present == want
        if path == "declared_category":
            path = "category"
        if not present:
            return [[lambda draw, d: d.remove(path)]]
        if path == "in_reply_to":
            return [[lambda draw, d: d.set("in_reply_to", {"received_at": (NOW - datetime.timedelta(hours=1))
                                                              .isoformat().replace("+00:00", "Z")})]]
        if path == "html":
            return [[lambda draw, d: d.set("html", "<p>" + " ".join(NEUTRAL_WORDS[:4]) + "</p>")]]
        values = self.domain(path)
        return [[lambda draw, d: d.set(path, draw(self.st.sampled_from(values)))]]

    def plan_Name(self, expr: ast.Name, want: bool) -> list[list[Edit]]:
        path = self.field_path(expr)
        if path is None:
            raise CannotDerive(f"`{expr.name}` as a condition")
        return [[lambda draw, d: d.set(path, want)]]

    plan_AttributeAccess = plan_Name

    def plan_Compare(self, expr: ast.Compare, want: bool) -> list[list[Edit]]:
        if expr.op in ("<", "<=", ">", ">="):
            if self.pin is not None and self.pin[0] is expr:
                want = want != self.pin[1]
            return [[self.knob_edit(expr, want)]]
        left_path, right_path = self.field_path(expr.left), self.field_path(expr.right)
        right_known, right_value = self.constant(expr.right)
        left_known, left_value = self.constant(expr.left)
        if left_path is None and right_path is not None and left_known:
            left_path, right_known, right_value = right_path, True, left_value
            right_path = None
        if left_path is None:
            raise CannotDerive(f"comparison `{expr.op}` of a computed value")
        positive = (expr.op in ("==", "in")) == want
        if right_path is not None:  # two fields: make them equal or different
            values = self.domain(left_path)

            def pair(draw, d, lp=left_path, rp=right_path, values=values, same=positive):
                first = draw(self.st.sampled_from(values))
                second = first if same else draw(self.st.sampled_from([v for v in values if v != first]))
                d.set(lp, first)
                d.set(rp, second)
            return [[pair]]
        if not right_known:
            raise CannotDerive("comparison with a computed value")
        wanted = right_value if isinstance(right_value, list) else [right_value]
        wanted = [getattr(v, "values", v) for v in wanted]
        flat: list = []
        for value in wanted:
            flat.extend(sorted(value) if isinstance(value, frozenset) else [value])
        folded = {v.casefold() if isinstance(v, str) else v for v in flat}
        if positive:
            choices = flat
        else:
            choices = [v for v in self.domain(left_path) if (v.casefold() if isinstance(v, str) else v) not in folded]
        if not choices:
            raise CannotDerive(f"no value of `{left_path}` meets the comparison")
        return [self.field_edits(left_path, choices)]

    def field_edits(self, path: str, choices: list) -> list[Edit]:
        if path in ("category", "declared_category") and path == "category":
            # Reach a category through one of its contact reasons, as senders do.
            reasons = [r for c in choices for r in self.categories.get(c, [])]
            if reasons:
                def by_reason(draw, d, reasons=reasons):
                    d.remove("category")
                    d.set("contact_reason", draw(self.st.sampled_from(reasons)))
                return [by_reason]
        if path == "contact_reason":
            def by_contact_reason(draw, d: _Draft) -> None:
                d.remove("category")
                d.set(path, draw(self.st.sampled_from(choices)))
            return [by_contact_reason]
        return [lambda draw, d: d.set(path, draw(self.st.sampled_from(choices)))]

    # -- text conditions
    def text_field(self, expr) -> str:
        path = self.field_path(expr)
        if path in _TEXT_FIELDS:
            return path
        if path == "text":
            return "body"
        raise CannotDerive("text condition on a computed value")

    def plan_MatchesOp(self, expr: ast.MatchesOp, want: bool) -> list[list[Edit]]:
        field = self.text_field(expr.subject)
        if not want:
            return [[]]
        _known, value = self.compiler.constant(expr.pattern)
        if hasattr(value, "regex"):
            return self.phrase_plan(field, value.values, expr.position)
        symbol = self.checked.symbol_of(expr.pattern)
        regex: ast.RegexLit | None
        if isinstance(symbol, PatternSymbol):
            regex = symbol.definition.regex
        else:
            regex = expr.pattern if isinstance(expr.pattern, ast.RegexLit) else None
        if regex is None:
            raise CannotDerive("a pattern computed at run time")
        python = _python_regex(regex.pattern, regex.flags)
        if python is None:
            raise CannotDerive(f"the pattern /{regex.pattern}/ has RE2 syntax that Python's re cannot generate from")
        # Printable ASCII only: Python's classes (\s, \w, case folding) are wider than RE2's outside it.
        alphabet = self.st.characters(min_codepoint=32, max_codepoint=126)
        strategy = self.st.from_regex(python, fullmatch=True, alphabet=alphabet).filter(lambda s: s.strip() == s and s)
        position = expr.position
        if regex.pattern.startswith("^") or regex.pattern.endswith("$"):
            position = "replace"
        return [[lambda draw, d: d.plant(field, draw(strategy), position)]]

    def phrase_plan(self, field: str, phrases, position=None) -> list[list[Edit]]:
        choices = sorted(phrases)
        return [[lambda draw, d: d.plant(field, draw(self.st.sampled_from(choices)), position)]]

    def plan_TextOp(self, expr: ast.TextOp, want: bool) -> list[list[Edit]]:
        field = self.text_field(expr.left)
        if not want:
            return [[]]
        known, value = self.compiler.constant(expr.right)
        if not known:
            raise CannotDerive("text operator with a computed right side")
        phrases = value.values if hasattr(value, "values") else (value if isinstance(value, list) else [value])
        position = {"contains": None, "starts with": "start", "ends with": "end"}[expr.op]
        return self.phrase_plan(field, phrases, position)

    def plan_Call(self, expr: ast.Call, want: bool) -> list[list[Edit]]:
        name = expr.function.name
        if not _has_samples(name) or not expr.args:
            raise CannotDerive(f"`{name}(…)` as a condition")
        builtin = BUILTINS[name]
        field = "html" if builtin.html_only else self.text_field(expr.args[0])
        if not want:
            return [[]]
        samples = builtin.samples
        return [[lambda draw, d: d.plant(field, draw(self.st.sampled_from(samples)))]]

    def plan_Quantifier(self, expr: ast.Quantifier, want: bool) -> list[list[Edit]]:
        if not want:
            return [[]]
        if expr.kind != "any":
            raise CannotDerive("cannot derive messages for `all(…)` conditions")
        source = expr.source
        if isinstance(source, ast.Call) and _has_samples(source.function.name):
            return self.plan_Call(source, True)
        if self.field_path(source) == "attachments":
            return [[lambda draw, d: d.set("attachments", (d.message.get("attachments") or []) + [
                {"name": draw(self.st.sampled_from(("setup.exe", "archive.zip", "invoice.pdf.exe", "macro.docm"))),
                 "size": 1000}])]]
        raise CannotDerive("`any(…)` over a computed list")

    # -- numeric limits
    def knob_edit(self, expr: ast.Compare, want: bool | None, side: str = "outside") -> Edit:
        """An edit that turns the knob of a numeric comparison to just where it becomes `want`."""
        knob = self.knob_of(expr.left) or self.knob_of(expr.right)
        if knob is None:
            raise CannotDerive("a numeric comparison without a value to vary")
        others = [n for n in _context_names(expr) if n != knob[0]]
        comparison = self.compiler.condition(expr)

        def edit(draw, d: _Draft) -> None:
            for name in others:
                if name not in d.context:
                    d.set(name, draw(self.st.integers(0, 2000)))
            boundary = find_boundary(lambda k: _evaluate(comparison, knob[1], d, k, self.policy))
            if boundary is None:
                raise _NoBoundary()
            _low_value, high_value, at_boundary = boundary
            k = at_boundary if (want == high_value) else at_boundary - 1
            knob[1](d, k)
        return edit

    def knob_of(self, expr) -> tuple[str, Callable[[_Draft, int], None]] | None:
        names = {n.name for n in ast.walk(expr) if isinstance(n, ast.Name)}
        for name in ("sent_today", "avg_daily_orders"):
            if name in names:
                return name, lambda d, k, name=name: d.set(name, k)
        calls = {n.function.name for n in ast.walk(expr) if isinstance(n, ast.Call)}
        if "attachments" in names and "sum" in calls:
            return "attachments", lambda d, k: d.set("attachments", [{"name": "scan.pdf", "size": k}])
        if "attachments" in names and "count" in calls:
            return "attachments", lambda d, k: d.set("attachments", [{"name": f"page{i}.pdf", "size": 1000}
                                                                     for i in range(min(k, 10_000))])
        if "length" in calls:
            for field in ("body", "subject", "html"):
                if field in names:
                    return field, lambda d, k, field=field: d.set(field, _filler(k))
        if "sent_at" in names and "in_reply_to" in names:
            def delay(d, k):
                received = NOW - datetime.timedelta(days=30)
                d.set("in_reply_to", {"received_at": received.isoformat().replace("+00:00", "Z")})
                d.set("sent_at", (received + datetime.timedelta(seconds=k)).isoformat().replace("+00:00", "Z"))
            return "sent_at", delay
        return None


class _NoBoundary(Exception):
    """The comparison does not change over the knob's range."""


def _has_samples(function: str) -> bool:
    """Whether the built-in is a finder with samples to plant in a message."""
    builtin = BUILTINS.get(function)
    return builtin is not None and bool(builtin.samples)


def _filler(length: int) -> str:
    words = " ".join(NEUTRAL_WORDS)
    text = (words + " ") * (length // (len(words) + 1) + 1)
    return text[:length]


def _context_names(expr) -> list[str]:
    return [n.name for n in ast.walk(expr) if isinstance(n, ast.Name) and n.name in _CONTEXT_VALUES]


def _evaluate(condition, set_knob, draft: _Draft, k: int, policy) -> bool | None:
    trial = _Draft(copy.deepcopy(draft.message), dict(draft.context))
    set_knob(trial, k)
    try:
        message = parse_message(trial.message)
    except MessageError:
        return None
    return truth(condition(policy.compiled.view(message, trial.context, NOW)))


def find_boundary(value_at: Callable[[int], bool | None]) -> tuple[bool | None, bool | None, int] | None:
    """For a monotone condition over k = 0, 1, 2…: (value at 0, value after the change, the first k
    with the changed value), or None when it never changes below 2**40."""
    start = value_at(0)
    high = 1
    while high < _LIMIT and value_at(high) == start:
        high *= 2
    if high >= _LIMIT:
        return None
    changed = value_at(high)
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        if value_at(middle) == start:
            low = middle
        else:
            high = middle
    return start, changed, high


# -- strategies -----------------------------------------------------------------------------------

def benign_messages(policy=None, category: str | None = None, with_attachments: bool | None = None,
                    language: str | None = None):
    """Messages of neutral words: a contact reason from the policy, a subject and body that say
    something plain, optionally attachments of allowed types."""
    from hypothesis import strategies as st

    reasons: list[str] = []
    if policy is not None:
        planner = _Planner(policy)
        if category is not None:
            if category not in planner.categories:
                raise ValueError(f"unknown category {category!r}; known: {', '.join(planner.categories)}")
            reasons = planner.categories[category]
        else:
            reasons = planner.reasons
    words = st.lists(st.sampled_from(NEUTRAL_WORDS), min_size=3, max_size=12).map(" ".join)
    attachment = st.fixed_dictionaries({
        "name": st.tuples(st.sampled_from(("invoice", "manual", "photo", "label")),
                          st.sampled_from(("pdf", "jpg", "png", "txt"))).map(".".join),
        "size": st.integers(1, 2_000_000),
    })

    @st.composite
    def build(draw):
        message: dict = {
            "subject": "About the " + draw(st.sampled_from(NEUTRAL_WORDS)) + " " + draw(st.sampled_from(NEUTRAL_WORDS)),
            "body": draw(words).capitalize() + ".",
            "sent_at": NOW.isoformat().replace("+00:00", "Z"),
        }
        if reasons:
            message["contact_reason"] = draw(st.sampled_from(reasons))
        elif category is not None:
            message["category"] = category
        if language is not None:
            message["language"] = language
            message["recipient"] = {"language": language}
        if with_attachments or (with_attachments is None and draw(st.booleans())):
            message["attachments"] = draw(st.lists(attachment, min_size=1, max_size=3))
        return message

    return build()


def draft_messages(policy, plans: list[list[Edit]]):
    """A strategy of message drafts that carry out one of `plans` (edits planted into a benign message)."""
    from hypothesis import strategies as st

    base = benign_messages(policy, with_attachments=False)

    @st.composite
    def build(draw):
        draft = _Draft(draw(base), {})
        plan = draw(st.sampled_from(plans))
        for edit in plan:
            try:
                edit(draw, draft)
            except _NoBoundary:
                from hypothesis import reject
                reject()
        return draft

    return build()


def rule_plans(policy, rule_id: str) -> dict[str, list[list[Edit]]]:
    """The derived plans of a rule: "fire" (guard met, a violation planted), "avoid" (guard met,
    nothing planted), and "inside"/"outside" for each numeric limit (index-suffixed)."""
    planner = _Planner(policy)
    rule = policy.checked.rule(rule_id)
    if rule is None or rule.disabled:
        raise CannotDerive(f"no enabled rule {rule_id}")
    clauses = rule.definition.clauses
    guard_plan: list[list[Edit]] = [[]]
    for clause in clauses:
        if isinstance(clause, ast.WhenClause):
            guard_plan = [a + b for a in guard_plan for b in planner.plan(clause.condition, True)[:4]]
    fire: list[list[Edit]] = []
    avoid: list[list[Edit]] = [[]]
    plans: dict[str, list[list[Edit]]] = {}
    problems = []
    for clause in clauses:
        if not isinstance(clause, (ast.ForbidClause, ast.RequireClause)):
            continue
        violating = isinstance(clause, ast.ForbidClause)
        try:
            fire.extend(g + p for g in guard_plan for p in planner.plan(clause.condition, violating)[:6])
        except CannotDerive as error:
            problems.append(str(error))
        avoid = [a + p for a in avoid for p in planner.plan(clause.condition, not violating)[:3]]
        for compare in _numeric_limits(clause.condition):
            name = f"limit {_short(compare)}"
            for side, flip in (("outside", False), ("inside", True)):
                planner.pin = (compare, flip)
                try:
                    plans[f"{side} {name}"] = [g + p for g in guard_plan
                                               for p in planner.plan(clause.condition, violating)[:4]]
                except CannotDerive:
                    pass
                finally:
                    planner.pin = None
    if not fire:
        raise CannotDerive("; ".join(problems) or "no clause to violate")
    plans["fires"] = fire
    plans["stays silent"] = [g + a for g in guard_plan for a in avoid]
    return plans


def _numeric_limits(expr) -> list[ast.Compare]:
    return [n for n in ast.walk(expr) if isinstance(n, ast.Compare) and n.op in ("<", "<=", ">", ">=")
            and not any(isinstance(m, ast.Quantifier) for m in ast.walk(expr))]


def _short(expr) -> str:
    from ..language.formatter import format_expr

    return format_expr(expr)


def _draft_strategy(policy, rule_id: str, kind: str):
    plans = rule_plans(policy, rule_id)
    matching = [name for name in plans if name == kind or name.startswith(kind)]
    if not matching:
        raise CannotDerive(f"rule {rule_id} has no {kind} plan")
    return draft_messages(policy, [p for name in matching for p in plans[name]])


def firing_messages(policy, rule_id: str):
    """Messages (dicts with their `context`) derived to make the rule fire."""
    return _draft_strategy(policy, rule_id, "fires").map(with_context)


def avoiding_messages(policy, rule_id: str):
    """Messages derived to meet the rule's guard without what it forbids."""
    return _draft_strategy(policy, rule_id, "stays silent").map(with_context)


def boundary_messages(policy, rule_id: str, side: str):
    """Messages just `inside` (no violation) or just `outside` (a violation) a numeric limit."""
    return _draft_strategy(policy, rule_id, side).map(with_context)


def with_context(draft: _Draft) -> dict:
    """The message of a draft, with the draft's seller context inside it."""
    message = dict(draft.message)
    if draft.context:
        message["context"] = {**draft.context, **message.get("context", {})}
    return message


# -- running --------------------------------------------------------------------------------------

def _fires(policy, message: dict, rule_id: str) -> bool | None:
    try:
        parsed = parse_message(message)
    except MessageError:
        return None
    try:
        verdict = policy.compiled.evaluate(parsed, None, NOW)
    except MessageError:
        return None
    return rule_id in verdict.fired


def _property_check(policy, rule_id: str, expect_fire: bool, failing: dict) -> Callable[[_Draft], None]:
    def check(draft: _Draft) -> None:
        from hypothesis import assume

        message = with_context(draft)
        fired = _fires(policy, message, rule_id)
        assume(fired is not None)
        if fired != expect_fire:
            failing["message"] = message
            raise AssertionError(f"{rule_id} {'did not fire' if expect_fire else 'fired'}")
    return check


def run_properties(policy, seed: int = 0, max_examples: int = 50, database: str | None = ".bsm-test-db",
                   rules: list[str] | None = None) -> list[PropertyResult]:
    """Check every derived property of every enabled rule (or of `rules`)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.database import DirectoryBasedExampleDatabase
    from hypothesis.errors import FailedHealthCheck, Unsatisfiable

    from ..engine.trace import explain_rule

    def store_of(plan: str) -> DirectoryBasedExampleDatabase | None:
        # One database folder per plan: every plan runs the same check function, whose failure
        # database key hypothesis derives from its source, so a shared folder would mix them.
        if not database:
            return None
        return DirectoryBasedExampleDatabase(os.path.join(database, hashlib.sha256(plan.encode()).hexdigest()[:16]))

    results: list[PropertyResult] = []
    for rule_id in rules or policy.rule_ids:
        try:
            plans = rule_plans(policy, rule_id)
        except CannotDerive as error:
            results.append(PropertyResult(f"{rule_id}: derived", rule_id, "derive", True, skipped=str(error),
                                          summary=f"skipped: {error}"))
            continue
        for kind, alternatives in plans.items():
            expect_fire = kind == "fires" or kind.startswith("outside")
            name = f"{rule_id}: {kind}"
            failing: dict = {}
            check = _property_check(policy, rule_id, expect_fire, failing)
            # The seed goes on first: applied last, it would switch the failure database off.
            test = settings(
                max_examples=max_examples, database=store_of(f"{policy.name}|{rule_id}|{kind}"), deadline=None,
                derandomize=False,
                suppress_health_check=list(HealthCheck), print_blob=False,
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            )(hypothesis_seed(seed)(given(draft_messages(policy, alternatives))(check)))
            try:
                test()
            except AssertionError as error:
                message = failing.get("message")
                trace: tuple[str, ...] = ()
                if message is not None:
                    trace = tuple(explain_rule(policy, rule_id, parse_message(message), None, NOW))
                want = "fire" if expect_fire else "stay silent"
                results.append(PropertyResult(
                    name, rule_id, kind, False,
                    summary=f"{rule_id} should {want} on this generated message ({kind}), but {error.args[0].split(' ', 1)[1]}",
                    counterexample=message, trace=trace))
                continue
            except (Unsatisfiable, FailedHealthCheck) as error:
                results.append(PropertyResult(name, rule_id, kind, True, skipped=f"no message could be generated ({type(error).__name__})",
                                              summary="skipped: no message could be generated for this plan"))
                continue
            results.append(PropertyResult(name, rule_id, kind, True, summary="passed"))
    return results
