"""Completion: what may be written at the cursor, from the text before it (which is usually
incomplete, so it is scanned token by token rather than parsed) and the checked policy."""

from __future__ import annotations

import re

import attrs
from lsprotocol import types

from bsm_rules.language.build import UNITS
from bsm_rules.language.parser import CLAUSE_KEYWORDS, STATEMENT_KEYWORDS
from bsm_rules.library import BUILTINS, CONTEXT, FIELDS, Type, list_of

from .analysis import Analysis
from .hover import SEVERITY_DOCS, describe_builtin, describe_definition, describe_field

__all__ = ["complete", "Context", "context_at"]

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:-[a-z0-9]+)*)
  | (?P<number>[0-9][0-9_]*(?:\.[0-9]+)?)
  | (?P<punct>==|!=|<=|>=|[{}()\[\],.:@=<>+*/-])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)
_REGEX = re.compile(r"/(?:\\.|[^/\\\n])+/[a-z]*")
_REGEX_BEFORE = {"=", "matches", "(", ",", "[", "and", "or", "not", "==", "!=", "in"}
_SEVERITIES = ("error", "warning", "info")
_ANNOTATIONS = {"doc": "documentation shown in hovers", "source": "where the rule comes from",
                "allow": "lint codes accepted on this definition, e.g. \"BSM501\""}
_OPERAND_KEYWORDS = ("not", "any", "all", "true", "false")
_OPERATOR_KEYWORDS = ("and", "or", "in", "not in", "contains", "starts with", "ends with", "matches",
                      "is present", "is absent", "at start", "at end", "in middle")
_VALUE_KINDS = ("word", "string", "number", "regex")
# Words after which an operand (not an operator) comes next.
_KEYWORD_OPERATORS = {"and", "or", "not", "in", "contains", "starts", "with", "ends", "matches", "is",
                      "when", "require", "forbid", "at", "any", "all"}


@attrs.frozen
class Context:
    """Where the cursor is: the kind of place, and what the completion depends on."""

    kind: str  # statement, clause, category, override, expression, operator, attribute,
    #            rule-id, severity, unit, annotation, none
    detail: object = None


@attrs.frozen
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        previous = tokens[-1].text if tokens else ""
        if text[position] == "/" and previous in _REGEX_BEFORE:
            regex = _REGEX.match(text, position)
            if regex:
                tokens.append(_Token("regex", regex.group()))
                position = regex.end()
                continue
        match = _TOKEN.match(text, position)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(_Token(kind, match.group()))
        position = match.end()
    return tokens


def context_at(text: str, offset: int) -> Context:
    """The completion context at `offset` in `text`."""
    before = text[:offset]
    tokens = _tokens(before)
    if tokens and (tokens[-1].kind == "comment" or (tokens[-1].kind == "string" and
                                                    (len(tokens[-1].text) == 1 or not tokens[-1].text.endswith('"')))):
        return Context("none")
    if before and not before[-1].isspace() and tokens and tokens[-1].kind == "word":
        tokens = tokens[:-1]  # the word being typed
    previous = tokens[-1] if tokens else None
    depth = 0
    statement = None
    for token in tokens:
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and token.text in STATEMENT_KEYWORDS:
            statement = token.text
    line_start = re.fullmatch(r"[ \t]*(?:[A-Za-z_]\w*)?", before[before.rfind("\n") + 1:]) is not None
    if previous is not None and previous.text == "@":
        return Context("annotation")
    if previous is not None and previous.text in ("override", "disable"):
        return Context("rule-id")
    if previous is not None and previous.text == "severity":
        return Context("severity")
    if statement == "rule" and depth == 0 and len(tokens) >= 2 and tokens[-2].text == "rule":
        return Context("severity")
    if previous is not None and previous.text == "." and len(tokens) >= 2:
        return Context("attribute", _attribute_path(tokens[:-1]))
    if depth == 0:
        return Context("statement") if line_start else Context("none")
    if statement == "category":
        return Context("category") if line_start and (previous is None or previous.text != ",") else Context("reason")
    if statement == "override":
        return Context("override")
    if statement != "rule":
        return Context("none")
    if line_start and (previous is None or previous.text in ("{", "}") or previous.kind in _VALUE_KINDS
                       or previous.text in (")", "]")):
        return Context("clause", _variables(tokens))
    if previous is not None and previous.kind == "number":
        return Context("unit")
    if previous is not None and (previous.kind in _VALUE_KINDS and previous.text not in _KEYWORD_OPERATORS
                                 or previous.text in (")", "]")):
        return Context("operator")
    return Context("expression", _variables(tokens))


def _attribute_path(tokens: list[_Token]) -> list[str]:
    """The names of `a.b.c` ending the tokens (`c` last), or the call `f(…)` as `f()`."""
    path: list[str] = []
    index = len(tokens) - 1
    while index >= 0:
        token = tokens[index]
        if token.kind == "word":
            path.insert(0, token.text)
            if index >= 1 and tokens[index - 1].text == ".":
                index -= 2
                continue
        elif token.text == ")":
            depth, start = 0, index
            while start >= 0:
                depth += {")": 1, "(": -1}.get(tokens[start].text, 0)
                if depth == 0:
                    break
                start -= 1
            if start >= 1 and tokens[start - 1].kind == "word":
                path.insert(0, tokens[start - 1].text + "()")
        break
    return path


def _variables(tokens: list[_Token]) -> dict[str, list[_Token]]:
    """Quantifier variables in scope: `any(x in SOURCE:` whose parenthesis is still open."""
    found: dict[str, list[_Token]] = {}
    open_parens: list[int] = []
    for index, token in enumerate(tokens):
        if token.text == "(":
            open_parens.append(index)
        elif token.text == ")" and open_parens:
            open_parens.pop()
    for start in open_parens:
        if (start >= 1 and tokens[start - 1].text in ("any", "all") and start + 2 < len(tokens)
                and tokens[start + 2].text == "in"):
            source = []
            for token in tokens[start + 3:]:
                if token.text == ":":
                    break
                source.append(token)
            found[tokens[start + 1].text] = source
    return found


def _type_of_path(path: list[str], variables: dict[str, list[_Token]]) -> Type | None:
    if not path:
        return None
    head, rest = path[0], path[1:]
    if head.endswith("()"):
        builtin = BUILTINS.get(head[:-2])
        current = builtin.result if builtin else None
    elif head in variables:
        source = _type_of_path(_attribute_path(variables[head]), {})
        current = source.element if source is not None and source.is_list else None
    elif head in FIELDS:
        current = FIELDS[head].type
    elif head in CONTEXT:
        current = CONTEXT[head].type
    else:
        return None
    for name in rest:
        if current is None:
            return None
        record = current.element if current.is_list else current
        found = record.field(name) if record is not None else None
        if found is None:
            return None
        current = list_of(found[0]) if current.is_list else found[0]
    return current


def _item(label: str, kind: types.CompletionItemKind, detail: str | None = None,
          documentation: str | None = None, insert: str | None = None, snippet: bool = False,
          sort: str = "1") -> types.CompletionItem:
    return types.CompletionItem(
        label=label, kind=kind, detail=detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=documentation) if documentation else None,
        insert_text=insert,
        insert_text_format=types.InsertTextFormat.Snippet if snippet else None,
        sort_text=f"{sort}{label}",
    )


def _keywords(words, sort: str = "2") -> list[types.CompletionItem]:
    return [_item(word, types.CompletionItemKind.Keyword, sort=sort) for word in words]


def complete(analysis: Analysis, offset: int) -> list[types.CompletionItem]:
    """The completion items at `offset` in the analysed document."""
    context = context_at(analysis.text, offset)
    checked = analysis.checked
    kind = context.kind
    if kind == "statement":
        return _keywords(STATEMENT_KEYWORDS)
    if kind == "clause":
        return _keywords(CLAUSE_KEYWORDS) + _operands(analysis, context.detail) + _keywords(_OPERATOR_KEYWORDS, "3")
    if kind == "category":
        return _keywords(("reasons", "aliases"))
    if kind == "reason":
        return _reasons(analysis)
    if kind == "override":
        return _keywords(("severity", "message"))
    if kind == "severity":
        return [_item(s, types.CompletionItemKind.EnumMember, documentation=SEVERITY_DOCS[s]) for s in _SEVERITIES]
    if kind == "rule-id":
        return [_item(rule.id, types.CompletionItemKind.Reference, detail=f"rule ({rule.severity})",
                      documentation=describe_definition(analysis, "rule", rule.id)) for rule in checked.rules]
    if kind == "annotation":
        return [_item(name, types.CompletionItemKind.Property, detail=doc, insert=f'{name}("$1")', snippet=True)
                for name, doc in _ANNOTATIONS.items()]
    if kind == "unit":
        return [_item(unit, types.CompletionItemKind.Unit, detail=f"{kind_} ({factor:g} {'bytes' if kind_ == 'bytes' else 's'})")
                for unit, (kind_, factor) in UNITS.items()]
    if kind == "attribute":
        found = _type_of_path(context.detail, _variables(_tokens(analysis.text[:offset])))
        if found is None:
            return []
        record = found.element if found.is_list else found
        return [_item(name, types.CompletionItemKind.Field, detail=str(field_type), documentation=doc)
                for name, field_type, doc in (record.fields if record is not None else ())]
    if kind == "operator":
        return _keywords(_OPERATOR_KEYWORDS)
    if kind == "expression":
        return _operands(analysis, context.detail)
    return []


def _reasons(analysis: Analysis) -> list[types.CompletionItem]:
    seen = {}
    for occurrence in analysis.index.occurrences:
        if occurrence.kind == "reason" and occurrence.definition:
            seen.setdefault(occurrence.name, occurrence)
    return [_item(name, types.CompletionItemKind.EnumMember, detail="contact reason",
                  documentation=describe_definition(analysis, "reason", name)) for name in seen]


def _operands(analysis: Analysis, variables) -> list[types.CompletionItem]:
    checked = analysis.checked
    items = [_item(name, types.CompletionItemKind.Variable, detail="quantifier variable", sort="0")
             for name in (variables or {})]
    items += [_item(f.name, types.CompletionItemKind.Field, detail=str(f.type), documentation=describe_field(f))
              for f in FIELDS.values()]
    items += [_item(f.name, types.CompletionItemKind.Field, detail=f"context: {f.type}",
                    documentation=describe_field(f, "context value")) for f in CONTEXT.values()]
    items += [_item(b.name, types.CompletionItemKind.Function, detail=b.signature, documentation=describe_builtin(b),
                    insert=f"{b.name}($1)", snippet=True) for b in BUILTINS.values()]
    for what, table, item_kind in (("pattern", checked.patterns, types.CompletionItemKind.Constant),
                                   ("list", checked.lists, types.CompletionItemKind.Constant),
                                   ("domains", checked.domains, types.CompletionItemKind.Constant),
                                   ("category", checked.categories, types.CompletionItemKind.Class)):
        items += [_item(name, item_kind, detail=what if what != "domains" else "domain list",
                        documentation=describe_definition(analysis, what, name)) for name in table]
    items += _reasons(analysis)
    items += _keywords(_OPERAND_KEYWORDS, "3")
    return items
