"""The evaluation trace of a rule on one message: which clause decided and the values each
condition saw. An opt-in, slower path beside the compiled evaluator, used to explain failures."""

from __future__ import annotations

import datetime
from typing import Any

from ..language import ast
from ..language.formatter import format_expr
from ..language.symbols import ContextSymbol, FieldSymbol
from ..library.registry import readable
from ..library.runtime import Location, MessageView, Text
from ..messages.model import Message
from .compiler import ExpressionCompiler
from .operations import WordList, truth

__all__ = ["describe_value", "explain_rule"]

_MAX_TEXT = 70


def describe_value(value: Any) -> str:
    """A short readable rendering of a runtime value."""
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Text):
        text = str(value)
        shown = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"
        return repr(shown)
    if isinstance(value, tuple) and not value:
        return "false"
    if isinstance(value, tuple) and all(isinstance(v, Location) for v in value):
        return "true at " + ", ".join(f"{v.field} {v.excerpt!r}" for v in value[:5]) + (" …" if len(value) > 5 else "")
    if isinstance(value, list):
        items = [describe_value(getattr(v, "value", None) or getattr(v, "url", None) or getattr(v, "name", None) or v)
                 for v in value[:5]]
        return "[" + ", ".join(items) + (", …" if len(value) > 5 else "") + "]"
    if isinstance(value, WordList):
        return f"a word list of {len(value.values)} phrases"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "pattern") and hasattr(value, "search"):
        return f"/{value.pattern}/"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _truth_word(value: Any) -> str:
    found = truth(value)
    return {True: "true", False: "false", None: "unknown"}[found]


class _Tracer:
    def __init__(self, compiler: ExpressionCompiler, view: MessageView):
        self.compiler = compiler
        self.view = view

    def value(self, expr) -> Any:
        return self.compiler.expr(expr)(self.view)

    def condition(self, expr) -> Any:
        return self.compiler.condition(expr)(self.view)

    def explain(self, expr, depth: int) -> list[str]:
        """One line per leaf condition under `and` / `or` / `not`, with the values it compared."""
        indent = "      " + "  " * depth
        if isinstance(expr, ast.Logical):
            result = self.condition(expr)
            return [f"{indent}{expr.op}: {_truth_word(result)}", *self.explain(expr.left, depth + 1),
                    *self.explain(expr.right, depth + 1)]
        if isinstance(expr, ast.Not):
            return [f"{indent}not: {_truth_word(self.condition(expr))}", *self.explain(expr.operand, depth + 1)]
        result = self.condition(expr)
        line = f"{indent}{format_expr(expr)}  →  {describe_value(result) if isinstance(result, tuple) else _truth_word(result)}"
        details = []
        if isinstance(expr, (ast.Compare, ast.TextOp, ast.Arith)):
            for side in (expr.left, expr.right):
                if not self.compiler.constant(side)[0]:
                    details.append(f"{format_expr(side)} = {describe_value(self.value(side))}")
            # The fields inside computed sides: `5 * avg_daily_orders + 600` shows avg_daily_orders.
            for name in dict.fromkeys(n.name for side in (expr.left, expr.right) if not isinstance(side, ast.Name)
                                      for n in ast.walk(side) if isinstance(n, ast.Name)
                                      and isinstance(self.compiler.checked.symbol_of(n), (FieldSymbol, ContextSymbol))):
                field = readable(name)
                assert field is not None  # the name resolved to a field or a context value
                details.append(f"{name} = {describe_value(field.getter(self.view))}")
        elif isinstance(expr, ast.MatchesOp):
            details.append(f"{format_expr(expr.subject)} = {describe_value(self.value(expr.subject))}")
        elif isinstance(expr, (ast.Call, ast.Presence)):
            target = expr.args[0] if isinstance(expr, ast.Call) and expr.args else getattr(expr, "operand", None)
            if target is not None and not isinstance(target, (ast.StringLit, ast.NumberLit)):
                details.append(f"{format_expr(target)} = {describe_value(self.value(target))}")
        elif isinstance(expr, ast.Quantifier):
            details.append(f"{format_expr(expr.source)} = {describe_value(self.value(expr.source))}")
        if details:
            line += "  (" + "; ".join(details) + ")"
        return [line]


def explain_rule(policy, rule_id: str, message: Message, context: dict | None = None,
                 now: datetime.datetime | None = None) -> list[str]:
    """Lines describing how `rule_id` evaluated `message`: each clause with its outcome, the
    values its conditions saw, and which clause decided."""
    checked = policy.checked
    rule = checked.rule(rule_id)
    if rule is None:
        return [f"  rule {rule_id}: not in the policy"]
    if rule.disabled:
        return [f"  rule {rule_id}: disabled"]
    tracer = _Tracer(ExpressionCompiler(checked), policy.compiled.view(message, context, now))
    lines = [f"  rule {rule_id} ({rule.definition.span.source.name}:{rule.definition.span.line}):"]
    decided = None
    for clause in rule.definition.clauses:
        if isinstance(clause, (ast.MessageClause, ast.NoteClause)):
            continue
        keyword = {ast.WhenClause: "when", ast.RequireClause: "require", ast.ForbidClause: "forbid",
                   ast.SeverityClause: f"severity {getattr(getattr(clause, 'severity', None), 'name', '')} when"}[type(clause)]
        result = tracer.condition(clause.condition)
        value = truth(result)
        outcome = _truth_word(result)
        if isinstance(clause, ast.WhenClause):
            effect = "applies" if value is True else "the rule does not apply"
        elif isinstance(clause, ast.RequireClause):
            effect = "violation" if value is False else "no violation"
        elif isinstance(clause, ast.ForbidClause):
            effect = "violation" if value else "no violation"
        else:
            effect = "severity changes" if value else "severity unchanged"
        lines.append(f"    {keyword} {format_expr(clause.condition)}: {outcome} ({effect})")
        lines.extend(tracer.explain(clause.condition, 0))
        if decided is None and effect in ("violation", "the rule does not apply"):
            decided = f"{keyword} {format_expr(clause.condition)}"
        if isinstance(clause, ast.WhenClause) and value is not True:
            break
    lines.append(f"    decided by: {decided}" if decided else "    decided by: no clause reported a violation")
    return lines
