"""Completion: what the parser accepts at the cursor, named from the checked policy, the message
model and the built-ins, and ranked by the place (patterns after `matches`, lists after `in`)."""

from __future__ import annotations

from lsprotocol import types

from bsm_rules.language import UNITS, VERDICT_NAMES, Expected, ast, expected_at
from bsm_rules.library import BUILTINS, CONTEXT, FIELDS, Type, list_of

from .analysis import Analysis
from .hover import SEVERITY_DOCS, describe_builtin, describe_definition, describe_field

__all__ = ["complete"]

_SEVERITIES = ("error", "warning", "info")
_ANNOTATIONS = {"doc": "documentation shown in hovers", "source": "where the rule comes from",
                "allow": "lint codes accepted on this definition, e.g. \"BSM501\""}

# Ranks, in the order items are offered (and the prefix of their sort text).
_PREFERRED = "0"  # what the place asks for: patterns after `matches`, lists after `in`, …
_VARIABLE = "1"
_OPERAND = "2"
_KEYWORD = "3"


def complete(analysis: Analysis, offset: int) -> list[types.CompletionItem]:
    """The completion items at `offset` in the analysed document, best ranked first."""
    expected = expected_at(analysis.text, offset)
    accepted, before = expected.tokens, expected.before
    last = before[-1] if before else None
    if last == "." and expected.operand is not None:
        return _attributes(expected.operand, expected.variables)
    items: list[types.CompletionItem] = []
    if "SEVERITY" in accepted:
        items += [_item(s, types.CompletionItemKind.EnumMember, documentation=SEVERITY_DOCS[s], sort=_PREFERRED)
                  for s in _SEVERITIES]
    if "RULE_ID" in accepted and last != "rule":  # after `rule` comes a new rule id
        items += [_item(rule.id, types.CompletionItemKind.Reference, detail=f"rule ({rule.severity})",
                        documentation=describe_definition(analysis, "rule", rule.id), sort=_PREFERRED)
                  for rule in analysis.checked.rules]
    if "UNIT" in accepted:
        items += [_item(unit, types.CompletionItemKind.Unit, sort=_PREFERRED,
                        detail=f"{kind} ({factor:g} {'bytes' if kind == 'bytes' else 's'})")
                  for unit, (kind, factor) in UNITS.items()]
    if "NAME" in accepted:
        items += _names(analysis, expected, last)
    items += [_item(word, types.CompletionItemKind.Keyword, sort=_KEYWORD)
              for word in sorted(accepted) if word[0].isalpha() and word[0].islower()]
    return sorted(items, key=lambda item: (item.sort_text or _OPERAND)[0])  # stable: a rank keeps its order


def _names(analysis: Analysis, expected: Expected, last: str | None) -> list[types.CompletionItem]:
    """The names that may be written where the parser accepts a name."""
    if "NUMBER" in expected.tokens:  # an expression may start here
        return _operands(analysis, expected)
    if last == "@":
        return [_item(name, types.CompletionItemKind.Property, detail=doc, insert=f'{name}("$1")', snippet=True)
                for name, doc in _ANNOTATIONS.items()]
    if last == "expect":
        return [_item(verdict, types.CompletionItemKind.EnumMember, detail="verdict", sort=_PREFERRED)
                for verdict in VERDICT_NAMES]
    if last in ("reasons", "aliases") or "reasons" in expected.tokens:
        return _reasons(analysis)
    return []  # a name being defined: a pattern, list, category or quantifier variable


def _preferred(analysis: Analysis, expected: Expected) -> set[tuple[str, str]]:
    """(kind, name) of the operands the place asks for, offered before the others."""
    before, checked = expected.before, analysis.checked
    if before[-1:] == ("matches",):
        return {("pattern", name) for name in checked.patterns}
    if before[-1:] == ("in",) and expected.operand is not None:  # the right side of `in` or `not in`
        return {("list", name) for name in checked.lists} | {("domains", name) for name in checked.domains}
    if before[-1:] == ("in",):  # what a quantifier goes over
        return ({("field", f.name) for f in FIELDS.values() if f.type.is_list}
                | {("context", f.name) for f in CONTEXT.values() if f.type.is_list}
                | {("builtin", b.name) for b in BUILTINS.values() if b.result and b.result.is_list})
    if before[-2:] == ("in", "["):  # `category in [promo, …]`, `contact_reason in [coupon, …]`
        return ({("category", name) for name in checked.categories}
                | {("reason", name) for name in _reason_names(analysis)})
    return set()


def _operands(analysis: Analysis, expected: Expected) -> list[types.CompletionItem]:
    checked = analysis.checked
    preferred = _preferred(analysis, expected)

    def rank(kind: str, name: str) -> str:
        return _PREFERRED if (kind, name) in preferred else _OPERAND

    items = [_item(name, types.CompletionItemKind.Variable, detail="quantifier variable", sort=_VARIABLE)
             for name in dict.fromkeys(name for name, _ in expected.variables)]
    items += [_item(f.name, types.CompletionItemKind.Field, detail=str(f.type), documentation=describe_field(f),
                    sort=rank("field", f.name)) for f in FIELDS.values()]
    items += [_item(f.name, types.CompletionItemKind.Field, detail=f"context: {f.type}",
                    documentation=describe_field(f, "context value"), sort=rank("context", f.name))
              for f in CONTEXT.values()]
    items += [_item(b.name, types.CompletionItemKind.Function, detail=b.signature, documentation=describe_builtin(b),
                    insert=f"{b.name}($1)", snippet=True, sort=rank("builtin", b.name)) for b in BUILTINS.values()]
    for what, table, item_kind in (("pattern", checked.patterns, types.CompletionItemKind.Constant),
                                   ("list", checked.lists, types.CompletionItemKind.Constant),
                                   ("domains", checked.domains, types.CompletionItemKind.Constant),
                                   ("category", checked.categories, types.CompletionItemKind.Class)):
        items += [_item(name, item_kind, detail=what if what != "domains" else "domain list",
                        documentation=describe_definition(analysis, what, name), sort=rank(what, name))
                  for name in table]
    return items + _reasons(analysis, lambda name: rank("reason", name))


def _reason_names(analysis: Analysis) -> list[str]:
    """The contact reasons the policy's categories define, each once, as first written."""
    return list(dict.fromkeys(occurrence.name for occurrence in analysis.index.occurrences
                              if occurrence.kind == "reason" and occurrence.definition))


def _reasons(analysis: Analysis, rank=lambda name: _OPERAND) -> list[types.CompletionItem]:
    return [_item(name, types.CompletionItemKind.EnumMember, detail="contact reason",
                  documentation=describe_definition(analysis, "reason", name), sort=rank(name))
            for name in _reason_names(analysis)]


def _attributes(operand: ast.Expr, variables: tuple[tuple[str, ast.Expr], ...]) -> list[types.CompletionItem]:
    """The fields of the record that `operand`, the expression before the `.`, holds."""
    scope: dict[str, Type | None] = {}
    for name, source in variables:
        over = _type_of(source, scope)
        scope[name] = over.element if over is not None and over.is_list else None
    found = _type_of(operand, scope)
    record = found.element if found is not None and found.is_list else found
    return [_item(name, types.CompletionItemKind.Field, detail=str(field_type), documentation=doc)
            for name, field_type, doc in (record.fields if record is not None else ())]


def _type_of(expr: ast.Expr, scope: dict[str, Type | None]) -> Type | None:
    """The type of a name, call or attribute chain, from the message model and the built-ins."""
    if isinstance(expr, ast.Name):
        if expr.name in scope:
            return scope[expr.name]
        field = FIELDS.get(expr.name) or CONTEXT.get(expr.name)
        return field.type if field is not None else None
    if isinstance(expr, ast.Call):
        builtin = BUILTINS.get(expr.function.name)
        return builtin.result if builtin is not None else None
    if isinstance(expr, ast.AttributeAccess):
        target = _type_of(expr.target, scope)
        record = target.element if target is not None and target.is_list else target
        found = record.field(expr.name.name) if record is not None else None
        if found is None or target is None:
            return None
        return list_of(found[0]) if target.is_list else found[0]
    return None


def _item(label: str, kind: types.CompletionItemKind, detail: str | None = None,
          documentation: str | None = None, insert: str | None = None, snippet: bool = False,
          sort: str = _OPERAND) -> types.CompletionItem:
    return types.CompletionItem(
        label=label, kind=kind, detail=detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=documentation) if documentation else None,
        insert_text=insert,
        insert_text_format=types.InsertTextFormat.Snippet if snippet else None,
        sort_text=f"{sort}{label}",
    )
