"""Hover text: what a rule, field, pattern, list, built-in, category or contact reason means."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from bsm_rules.language import ContextSymbol, FieldSymbol, VariableSymbol, ast, format_policy
from bsm_rules.library import BUILTINS, Field

from .analysis import Analysis
from .convert import message_lines
from .index import nodes_at
from .samples import sample_match

__all__ = ["SEVERITY_DOCS", "UNKNOWN_NAME_CODES", "describe_builtin", "describe_definition", "describe_field",
           "hover_at"]

SEVERITY_DOCS = {
    "error": "**error**: the message is blocked (verdict `block`)",
    "warning": "**warning**: the message may be sent, with a warning (verdict `warn`)",
    "info": "**info**: a note; the verdict stays `allow`",
}


#: The diagnostics of a name or value that is none of the known ones: those the core's
#: `unknown_name` makes, and the unknown placeholder of a message.
UNKNOWN_NAME_CODES = frozenset({"BSM201", "BSM202", "BSM203", "BSM204", "BSM205", "BSM206", "BSM212",
                                "BSM601", "BSM602", "BSM603", "BSM604", "BSM607"})


def hover_at(analysis: Analysis, offset: int):
    """(markdown, span) for what is at `offset` in the document, or None. Over an unknown name it
    is what `bsm lint` says there, with its did-you-mean suggestion."""
    for diagnostic in analysis.own_diagnostics():
        if diagnostic.code in UNKNOWN_NAME_CODES and diagnostic.span.start <= offset <= diagnostic.span.end:
            return "\n\n".join(message_lines(diagnostic)), diagnostic.span
    occurrence = analysis.index.at(analysis.path, offset)
    if occurrence is not None:
        text = describe_definition(analysis, occurrence.kind, occurrence.name)
        return (text, occurrence.span) if text else None
    unit = analysis.unit
    if unit is None:
        return None
    chain = nodes_at(unit.ast, offset)
    for node in reversed(chain):
        if isinstance(node, ast.Name):
            symbol = analysis.checked.symbol_of(node)
            if isinstance(symbol, (FieldSymbol, ContextSymbol)):
                return describe_field(symbol.field, "context value" if isinstance(symbol, ContextSymbol) else "field"), node.span
            if isinstance(symbol, VariableSymbol):
                return f"**variable** `{node.name}`: {analysis.checked.type_of(node)}", node.span
            return None
        if isinstance(node, ast.AttributeAccess) and node.name.span.start <= offset <= node.name.span.end:
            text = _describe_attribute(analysis, node)
            return (text, node.name.span) if text else None
        if isinstance(node, ast.Call) and node.function.span.start <= offset <= node.function.span.end:
            builtin = BUILTINS.get(node.function.name)
            return (describe_builtin(builtin), node.function.span) if builtin else None
        if isinstance(node, ast.Ident) and node.name in SEVERITY_DOCS:
            return SEVERITY_DOCS[node.name], node.span
    return None


def describe_field(field: Field, what: str = "field") -> str:
    return f"**{what}** `{field.name}`: {field.type}\n\n{field.doc}\n\nWhen absent: {field.absent}"


def describe_builtin(builtin) -> str:
    return f"```\n{builtin.signature}\n```\n\n{builtin.doc}\n\nExample: `{builtin.example}`"


def _describe_attribute(analysis: Analysis, node: ast.AttributeAccess) -> str | None:
    target = analysis.checked.type_of(node.target)
    record = target.element if target.is_list else target
    found = record.field(node.name.name) if record is not None else None
    if found is None:
        return None
    field_type, doc = found
    shown = f"list of {field_type}" if target.is_list else str(field_type)
    return f"**field** `{record}.{node.name.name}`: {shown}\n\n{doc}"


def _annotations_text(definition) -> list[str]:
    parts = []
    for annotation in getattr(definition, "annotations", ()):
        if annotation.name.name == "doc" and annotation.args:
            parts.append(annotation.args[0].value)
        elif annotation.name.name == "source" and annotation.args:
            parts.append(f"Source: {annotation.args[0].value}")
    return parts


def _code_block(definition) -> str:
    bare = attrs.evolve(definition, annotations=())  # the annotations are shown as prose
    text = format_policy(ast.Policy((bare,), definition.span)).strip()
    return f"```bsm\n{text}\n```"


def describe_definition(analysis: Analysis, kind: str, name: str) -> str | None:
    checked = analysis.checked
    if kind == "rule":
        rule = checked.rule(name)
        if rule is None:
            return f"unknown rule id `{name}`"
        definition = rule.definition
        lines = [f"**rule** `{name}` — severity **{rule.severity}**" + (" (disabled)" if rule.disabled else "")]
        lines += _annotations_text(definition)
        message = rule.message.value if rule.message else None
        if message:
            lines.append(f"Message: “{message}”")
        return "\n\n".join(lines)
    tables: dict[str, Mapping[str, ast.Definition]] = {
        "pattern": checked.patterns, "list": checked.lists, "domains": checked.domains, "category": checked.categories}
    table = tables.get(kind)
    if kind == "reason":
        category = checked.reason_categories.get(name.casefold())
        return f"**contact reason** `{name}`" + (f" in category `{category}`" if category else "")
    found = table.get(name) if table is not None else None
    if found is None:
        return None
    lines = [_code_block(found), *_annotations_text(found)]
    if isinstance(found, ast.PatternDef):
        sample = sample_match(found.regex.pattern, found.regex.flags)
        if sample:
            lines.append(f"Matches, for example: “{sample}”")
    elif isinstance(found, (ast.ListDef, ast.DomainsDef)) and found.items:
        lines.append(f"Matches, for example: “{found.items[0].value}”")
    elif isinstance(found, ast.CategoryDef):
        reasons = ", ".join(f"`{r.name}`" for r in found.reasons) or "none"
        lines.append(f"Contact reasons: {reasons}")
        if found.aliases:
            lines.append("Aliases: " + ", ".join(f"`{a.name}`" for a in found.aliases))
    return "\n\n".join(lines)

