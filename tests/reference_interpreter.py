"""A reference interpreter for checked policies: a plain recursive walk over the AST, written
from the language reference and independent of bsm_rules.compiler, so that the compiled
evaluator can be checked against it (tests/test_differential.py).

It shares with the product only what defines the inputs: the message view and its derived
fields, the text finders (bsm_rules.runtime) and RE2 pattern compilation (bsm_rules.checker).
Every operator, the three-valued logic, the places a condition reports, severities, notes and
message templates are evaluated here on their own."""

from __future__ import annotations

import datetime
import string
from typing import Any

import re2

from bsm_rules.language import ast
from bsm_rules.language.checker import compile_regex
from bsm_rules.language.symbols import (
    CategorySymbol, ContextSymbol, DomainsSymbol, FieldSymbol, ListSymbol, PatternSymbol, ReasonSymbol, VariableSymbol,
)
from bsm_rules.library.registry import BUILTINS, readable
from bsm_rules.library.runtime import Location, MessageView, Text
from bsm_rules.engine.verdict import Verdict, Violation

__all__ = ["reference_evaluate"]

UNKNOWN = None


class _Phrases:
    """A word list: whole-word, case-insensitive phrases."""

    def __init__(self, phrases):
        self.members = {p.strip().casefold() for p in phrases}
        parts = []
        for phrase in sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True):
            word_start = r"\b" if (phrase[0].isalnum() or phrase[0] == "_") else ""
            word_end = r"\b" if (phrase[-1].isalnum() or phrase[-1] == "_") else ""
            parts.append(word_start + re2.escape(phrase) + word_end)
        options = re2.Options()
        options.log_errors = False
        self.regex = re2.compile("(?i)(?:" + "|".join(parts) + ")" if parts else r"[^\s\S]", options)


def _places(value: Any) -> tuple:
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(v.location for v in value if getattr(v, "location", None) is not None)
    return ()


def _truth(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _lower(value: Any) -> Any:
    if isinstance(value, (Text, str)):
        return str(value).casefold()
    return value


class _Interpreter:
    def __init__(self, checked, view: MessageView):
        self.checked = checked
        self.view = view
        self.variables: dict[str, Any] = {}

    # -- values
    def value(self, node) -> Any:
        kind = type(node).__name__
        if isinstance(node, (ast.StringLit, ast.NumberLit, ast.BoolLit)):
            return node.value
        if isinstance(node, ast.RegexLit):
            return compile_regex(node.pattern, node.flags)
        if isinstance(node, ast.Name):
            symbol = self.checked.symbol_of(node)
            if isinstance(symbol, VariableSymbol):
                return self.variables.get(node.name)
            if isinstance(symbol, (FieldSymbol, ContextSymbol)):
                return readable(node.name).getter(self.view)
            if isinstance(symbol, PatternSymbol):
                regex = symbol.definition.regex
                return compile_regex(regex.pattern, regex.flags)
            if isinstance(symbol, (ListSymbol, DomainsSymbol)):
                return _Phrases([item.value for item in symbol.definition.items])
            if isinstance(symbol, CategorySymbol):
                return symbol.definition.name.name
            if isinstance(symbol, ReasonSymbol):
                return symbol.name
            return None
        if isinstance(node, ast.AttributeAccess):
            target = self.value(node.target)
            if target is None:
                return None
            if isinstance(target, list):
                return [getattr(item, node.name.name, None) for item in target]
            return getattr(target, node.name.name, None)
        if isinstance(node, ast.Call):
            return BUILTINS[node.function.name].function(*[self.value(arg) for arg in node.args])
        if isinstance(node, ast.ListLit):
            return [self.value(item) for item in node.items]
        if isinstance(node, ast.Arith):
            return self.arith(node)
        if isinstance(node, ast.Negate):
            operand = self.value(node.operand)
            return None if operand is None else -operand
        return getattr(self, "eval_" + kind)(node)

    def condition(self, node) -> Any:
        result = self.value(node)
        if self.checked.type_of(node).is_list:
            if result is None:
                return None
            return _places(result) or bool(result)
        return result

    # -- logic
    def eval_Not(self, node: ast.Not) -> Any:
        inner = _truth(self.condition(node.operand))
        return None if inner is None else not inner

    def eval_Logical(self, node: ast.Logical) -> Any:
        left = self.condition(node.left)
        if node.op == "and":
            if _truth(left) is False:
                return False
            right = self.condition(node.right)
            if _truth(right) is False:
                return False
            if _truth(left) is None or _truth(right) is None:
                return None
            return (_places(left) + _places(right)) or True
        right = self.condition(node.right)
        if _truth(left) or _truth(right):
            found = (_places(left) if _truth(left) else ()) + (_places(right) if _truth(right) else ())
            return found or True
        if _truth(left) is None or _truth(right) is None:
            return None
        return False

    def eval_Quantifier(self, node: ast.Quantifier) -> Any:
        items = self.value(node.source)
        if items is None:
            return None
        name = node.variable.name
        outer = self.variables.get(name)
        some_true = some_unknown = False
        found: list[Location] = []
        try:
            for item in items:
                self.variables[name] = item
                result = self.condition(node.condition)
                truth = _truth(result)
                if truth is None:
                    some_unknown = True
                elif truth:
                    some_true = True
                    if node.kind == "any":
                        here = _places(result)
                        if not here and getattr(item, "location", None):
                            here = (item.location,)
                        found.extend(here)
                elif node.kind == "all":
                    return False
        finally:
            self.variables[name] = outer
        if node.kind == "all":
            return None if some_unknown else True
        if some_true:
            return tuple(dict.fromkeys(found)) or True
        return None if some_unknown else False

    def eval_Presence(self, node: ast.Presence) -> bool:
        value = self.value(node.operand)
        if isinstance(value, Text):
            present = value.present
        elif isinstance(value, list):
            present = len(value) > 0
        else:
            present = value is not None
        return present if node.present else not present

    # -- comparisons and text
    def eval_Compare(self, node: ast.Compare) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        if node.op in ("in", "not in"):
            if isinstance(right, _Phrases):
                members = right.members
            else:
                members = {_lower(item) for item in right if item is not None}
            found = _lower(left) in members
            return found if node.op == "in" else not found
        if node.op == "==":
            return _lower(left) == _lower(right)
        if node.op == "!=":
            return _lower(left) != _lower(right)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[node.op]

    def eval_TextOp(self, node: ast.TextOp) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        if node.op == "contains":
            if isinstance(right, _Phrases):
                regex = right.regex
            else:
                regex = _Phrases([str(item) for item in right] if isinstance(right, list) else [str(right)]).regex
            return self.search(left, regex, None, whole_item=True)
        wanted = _lower(right).strip()
        starts = node.op == "starts with"
        if isinstance(left, Text):
            places = []
            for segment in left.segments:
                stripped = segment.text.strip()
                lead = len(segment.text) - len(segment.text.lstrip())
                if starts and stripped.casefold().startswith(wanted):
                    places.append(segment.locate(lead, lead + len(wanted)))
                elif not starts and stripped.casefold().endswith(wanted):
                    places.append(segment.locate(lead + len(stripped) - len(wanted), lead + len(stripped)))
            return tuple(places)
        text = _lower(left).strip()
        return text.startswith(wanted) if starts else text.endswith(wanted)

    def eval_MatchesOp(self, node: ast.MatchesOp) -> Any:
        subject, pattern = self.value(node.subject), self.value(node.pattern)
        if isinstance(pattern, _Phrases):
            pattern = pattern.regex
        if subject is None or pattern is None:
            return None
        return self.search(subject, pattern, node.position, whole_item=False)

    @staticmethod
    def search(subject: Any, regex, position: str | None, whole_item: bool) -> Any:
        if isinstance(subject, Text):
            places = []
            for segment in subject.segments:
                text = segment.text
                first, last = len(text) - len(text.lstrip()), len(text.rstrip())
                for match in regex.finditer(text):
                    at_start, at_end = match.start() == first, match.end() == last
                    if (position is None or (position == "start" and at_start) or (position == "end" and at_end)
                            or (position == "middle" and not at_start and not at_end)):
                        places.append(segment.locate(match.start(), match.end()))
            return tuple(places)
        if isinstance(subject, list):
            if whole_item:
                return any(isinstance(item, str) and regex.fullmatch(item.strip()) for item in subject)
            return any(isinstance(item, str) and regex.search(item) for item in subject)
        return regex.search(str(subject)) is not None

    # -- arithmetic
    def arith(self, node: ast.Arith) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return None
        op = node.op
        if isinstance(left, datetime.datetime) and isinstance(right, datetime.datetime):
            return (left - right).total_seconds()
        if isinstance(left, datetime.datetime):
            step = datetime.timedelta(seconds=right)
            return left + step if op == "+" else left - step
        if isinstance(right, datetime.datetime):
            return right + datetime.timedelta(seconds=left)
        if op == "/":
            return None if right == 0 else left / right
        return {"+": left + right, "-": left - right, "*": left * right}[op]

    # -- messages
    def render(self, template: str, place: Location | None) -> str:
        out = []
        for literal, name, _, _ in string.Formatter().parse(template):
            out.append(literal)
            if name is None:
                continue
            if name == "match":
                out.append(place.excerpt if place is not None and place.excerpt is not None else "")
                continue
            head, *rest = name.split(".")
            field = readable(head)
            value = field.getter(self.view) if field else None
            for part in rest:
                value = None if value is None else getattr(value, part, None)
            out.append(_show(value))
        return "".join(out)


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _violation(rule_id: str, severity: str, text: str, place: Location | None) -> Violation:
    if place is None:
        return Violation(rule_id, severity, text)
    return Violation(rule_id, severity, text, place.field, place.start, place.end, place.excerpt)


def reference_evaluate(checked, message, context: dict | None, now: datetime.datetime) -> Verdict:
    """Evaluate a parsed `Message` against a checked policy by walking its AST."""
    merged = dict(context or {})
    merged.update(message.context)
    view = MessageView(message, merged, now, checked.reason_categories)
    interpreter = _Interpreter(checked, view)
    violations: list[Violation] = []
    for rule in checked.rules:
        if rule.disabled:
            continue
        clauses = rule.definition.clauses
        if any(_truth(interpreter.condition(c.condition)) is not True
               for c in clauses if isinstance(c, ast.WhenClause)):
            continue
        severity = rule.severity
        for clause in clauses:
            if isinstance(clause, ast.SeverityClause) and _truth(interpreter.condition(clause.condition)):
                severity = clause.severity.name
                break
        template = rule.message.value if rule.message is not None else f"rule {rule.id} is broken"
        for clause in clauses:
            if isinstance(clause, ast.ForbidClause):
                result = interpreter.condition(clause.condition)
                if not _truth(result):
                    continue
                places = list(dict.fromkeys(_places(result)))
                if not places:
                    violations.append(_violation(rule.id, severity, interpreter.render(template, None), None))
                for place in places:
                    violations.append(_violation(rule.id, severity, interpreter.render(template, place), place))
            elif isinstance(clause, ast.RequireClause):
                if _truth(interpreter.condition(clause.condition)) is not False:
                    continue
                text = interpreter.render(template, None)
                reported = False
                for note in clauses:
                    if not isinstance(note, ast.NoteClause):
                        continue
                    result = interpreter.condition(note.condition)
                    if not _truth(result):
                        continue
                    places = _places(result)
                    place = places[0] if places else None
                    text = f"{text}; {interpreter.render(note.template.value, place)}"
                    if place is not None:
                        violations.append(_violation(rule.id, severity, text, place))
                        reported = True
                        break
                if not reported:
                    violations.append(_violation(rule.id, severity, text, None))
    return Verdict(message.id, tuple(violations))
