"""Checks parsed policies: resolves names, infers and checks types, validates patterns and
templates, applies overrides, and collects every diagnostic (with did-you-mean suggestions)."""

from __future__ import annotations

import datetime
import functools
import re

import attrs
import re2

from ..core.diagnostics import Diagnostic, Fix, Related, Severity, closest_name, unknown_name
from ..core.source import Span
from ..library.registry import BUILTINS, CONTEXT, FIELDS
from ..library.schema import (
    ANY,
    BOOL,
    BYTES,
    DOMAINS,
    DURATION,
    NUMBER,
    PATTERN,
    STRING,
    TEXT,
    TIME,
    WORDS,
    Type,
    list_of,
)
from . import ast
from .symbols import (
    CategorySymbol,
    ContextSymbol,
    DomainsSymbol,
    FieldSymbol,
    ListSymbol,
    NodeTable,
    PatternSymbol,
    ReasonSymbol,
    Symbol,
    VariableSymbol,
)
from .templates import placeholder_span, template_fields

__all__ = ["CheckedPolicy", "CheckedRule", "PolicyUnit", "check", "compile_regex", "in_source_order"]

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False

#: Bounds on a policy regex (BSM404): its capturing groups and its compiled RE2 program size.
MAX_REGEX_GROUPS = 16
MAX_REGEX_PROGRAM = 10_000

_REGEX_FLAGS = {"i": "case-insensitive", "m": "^ and $ match at line breaks", "s": "dot matches newline"}

_UNSUPPORTED_REGEX = (
    (re.compile(r"\(\?<?[=!]"), "lookaround assertions"),
    (re.compile(r"\(\?>"), "atomic groups"),
    (re.compile(r"\\[1-9]"), "backreferences"),
    (re.compile(r"(?<!\\)(?:[*+?]|\{[0-9]+(?:,[0-9]*)?\})\+"), "possessive quantifiers"),
    (re.compile(r"\\[zZ](?![a-zA-Z])"), None),
)


@attrs.frozen
class PolicyUnit:
    """One parsed policy file taking part in a policy (the main file or an included one)."""

    ast: ast.Policy
    path: str
    included: bool
    #: The file did not parse: its statements may not be what the author wrote.
    syntax_errors: bool = False


@attrs.frozen
class CheckedRule:
    """A rule as it runs: the definition plus the overrides that apply to it."""

    definition: ast.RuleDef
    severity: str
    message: ast.StringLit | None
    disabled: bool

    @property
    def id(self) -> str:
        return self.definition.id.name


@attrs.frozen
class CheckedPolicy:
    """Everything the compiler and the tools need from a checked policy."""

    units: tuple[PolicyUnit, ...]
    header: ast.PolicyHeader | None
    categories: dict[str, ast.CategoryDef]
    reason_categories: dict[str, str]
    patterns: dict[str, ast.PatternDef]
    lists: dict[str, ast.ListDef]
    domains: dict[str, ast.DomainsDef]
    rules: tuple[CheckedRule, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: The type of each expression the checker inferred, and what each name resolved to.
    types: NodeTable[Type] = attrs.field(factory=NodeTable, eq=False, repr=False)
    symbols: NodeTable[Symbol] = attrs.field(factory=NodeTable, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def type_of(self, expr) -> Type:
        """The type the checker inferred for `expr` (unknown for a node it did not check)."""
        return self.types.get(expr, ANY)

    def symbol_of(self, node) -> Symbol | None:
        """What a name (an `ast.Name` or the variable of a quantifier) resolved to; None when unresolved."""
        return self.symbols.get(node)

    def rule(self, rule_id: str) -> CheckedRule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@functools.lru_cache(maxsize=4096)  # the language server checks the same patterns on every edit
def compile_regex(pattern: str, flags: str):
    """Compile a policy regex with RE2 (linear time); raises re2.error when it is invalid."""
    prefix = "".join(f for f in sorted(set(flags)) if f in _REGEX_FLAGS)
    surrogate = next((char for char in pattern if "\ud800" <= char <= "\udfff"), None)
    if surrogate is not None:  # editor text may hold one; RE2 takes only UTF-8
        raise re2.error(f"a lone surrogate U+{ord(surrogate):04X} is not text")
    return re2.compile(f"(?{prefix}){pattern}" if prefix else pattern, _RE2_OPTIONS)


def _unclosed_group(pattern: str) -> int | None:
    """Offset of the last '(' in a regex that has no matching ')' (escapes and classes skipped)."""
    open_groups: list[int] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            open_groups.append(index)
        elif char == ")" and open_groups:
            open_groups.pop()
        index += 1
    return open_groups[-1] if open_groups else None


def _unbalanced_brace_span(literal: ast.StringLit) -> Span:
    """The brace of a message template that has no partner (the whole literal if not found)."""
    raw = literal.span.text
    culprit = None
    index = 1
    while index < len(raw) - 1:
        if culprit is None and raw[index : index + 2] in ("{{", "}}"):
            index += 2
            continue
        if raw[index] == "{":
            if culprit is not None:
                break
            culprit = index
        elif raw[index] == "}":
            if culprit is None:
                culprit = index
                break
            culprit = None
        index += 1
    if culprit is None:
        return literal.span
    return Span(literal.span.source, literal.span.start + culprit, literal.span.start + culprit + 1)


def _article(noun) -> str:
    return "an" if str(noun)[:1] in "aeiou" else "a"


def _is_condition(t: Type) -> bool:
    return t in (BOOL, ANY) or t.is_list


def _numeric_kind(t: Type) -> str | None:
    return {NUMBER: "number", BYTES: "size", DURATION: "duration", TIME: "timestamp"}.get(t)


def _stringish(t: Type) -> bool:
    return t in (STRING, TEXT, ANY)


class _Checker:
    def __init__(self, units: list[PolicyUnit]):
        self.units = units
        self.broken_files = {unit.path for unit in units if unit.syntax_errors}
        self.diagnostics: list[Diagnostic] = []
        self.types: NodeTable[Type] = NodeTable()
        self.symbols: NodeTable[Symbol] = NodeTable()
        self.header: ast.PolicyHeader | None = None
        self.categories: dict[str, ast.CategoryDef] = {}
        self.reason_categories: dict[str, str] = {}
        self.reason_sites: dict[str, ast.Ident] = {}
        self.patterns: dict[str, ast.PatternDef] = {}
        self.lists: dict[str, ast.ListDef] = {}
        self.domains: dict[str, ast.DomainsDef] = {}
        self.rules: dict[str, ast.RuleDef] = {}
        self.duplicate_rules: list[ast.RuleDef] = []
        self.definition_sites: dict[str, ast.Ident] = {}

    # -- reporting
    def report(self, diagnostic: Diagnostic) -> None:
        # In a file that did not parse only its syntax errors speak: the rest of what is found
        # there may come from a statement cut short by the parser's recovery.
        if diagnostic.span.source.name not in self.broken_files:
            self.diagnostics.append(diagnostic)

    def error(self, code: str, message: str, span: Span, label: str = "", **extra) -> None:
        self.report(Diagnostic(code, Severity.ERROR, message, span, label=label, **extra))

    def warning(self, code: str, message: str, span: Span, label: str = "", **extra) -> None:
        self.report(Diagnostic(code, Severity.WARNING, message, span, label=label, **extra))

    def unknown(self, code: str, what: str, ident_name: str, span: Span, candidates, message: str = "") -> None:
        self.report(unknown_name(code, what, ident_name, span, candidates, message))

    def unknown_definition(self, code: str, what: str, ident_name: str, span: Span, candidates) -> None:
        """A name the policy itself would define (a pattern, a list, a rule id…): when a file did
        not parse, the definition may be in the statement that failed, so nothing is said."""
        if not self.broken_files:
            self.unknown(code, what, ident_name, span, candidates)

    # -- definitions
    def collect(self) -> None:
        for unit in self.units:
            for statement in unit.ast.statements:
                if isinstance(statement, ast.PolicyHeader):
                    if not unit.included:
                        self.header = statement
                    self.check_header(statement)
                elif isinstance(statement, ast.CategoryDef):
                    self.define(statement.name, statement, self.categories, "category")
                    for ident in (*statement.reasons, *statement.aliases):
                        key = ident.name.casefold()
                        if key in self.reason_categories and self.reason_categories[key] != statement.name.name:
                            first = self.reason_sites[key]
                            self.warning(
                                "BSM502", f"contact reason `{ident.name}` is already in category `{self.reason_categories[key]}`",
                                ident.span, label="listed again here",
                                related=(Related("first listed here", first.span),),
                                notes=("note: the first category wins; remove one of the two",),
                            )
                            continue
                        self.reason_categories.setdefault(key, statement.name.name)
                        self.reason_sites.setdefault(key, ident)
                elif isinstance(statement, ast.PatternDef):
                    self.define(statement.name, statement, self.patterns, "pattern")
                    self.check_regex(statement.regex)
                elif isinstance(statement, ast.ListDef):
                    self.define(statement.name, statement, self.lists, "list")
                    self.check_string_items(statement)
                elif isinstance(statement, ast.DomainsDef):
                    self.define(statement.name, statement, self.domains, "domain list")
                    self.check_domains(statement)
                elif isinstance(statement, ast.RuleDef):
                    defined = self.define(statement.id, statement, self.rules, "rule id", code="BSM208")
                    if not defined:
                        self.duplicate_rules.append(statement)

    def define(self, ident: ast.Ident, node, table: dict, what: str, code: str = "BSM207") -> bool:
        """Enter a definition in `table`; false (and reported) when the name is defined already."""
        key = ident.name if what == "rule id" else f"name:{ident.name}"
        if key in self.definition_sites:
            first = self.definition_sites[key]
            self.error(
                code, f"`{ident.name}` is defined twice", ident.span, label=f"{what} defined again here",
                related=(Related("first defined here", first.span),),
            )
            return False
        self.definition_sites[key] = ident
        table[ident.name] = node
        return True

    def check_header(self, header: ast.PolicyHeader) -> None:
        if header.effective is not None:
            try:
                datetime.date.fromisoformat(header.effective.value)
            except ValueError:
                self.error(
                    "BSM306", f"`{header.effective.value}` is not a date", header.effective.span,
                    label="expected YYYY-MM-DD", notes=("help: write the effective date as \"2026-11-01\"",),
                )

    def check_string_items(self, definition: ast.ListDef) -> None:
        seen: dict[str, ast.StringLit] = {}
        for item in definition.items:
            key = item.value.strip().casefold()
            if not key:
                self.error("BSM307", "an empty phrase would match everywhere", item.span, label="empty")
            elif key in seen:
                self.warning("BSM503", f"\"{item.value}\" is listed twice", item.span, label="duplicate",
                             related=(Related("first listed here", seen[key].span),))
            seen.setdefault(key, item)

    def check_domains(self, definition: ast.DomainsDef) -> None:
        for item in definition.items:
            if not re.fullmatch(r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", item.value):
                self.error("BSM308", f"\"{item.value}\" is not a domain name", item.span,
                           label="expected a domain such as \"ups.com\"")

    def check_regex(self, regex: ast.RegexLit) -> None:
        unknown_flags = [f for f in regex.flags if f not in _REGEX_FLAGS]
        if unknown_flags:
            flags_start = regex.span.end - len(regex.flags)
            self.error(
                "BSM403", f"unknown regular-expression flag '{unknown_flags[0]}'",
                Span(regex.span.source, flags_start, regex.span.end), label="unknown flag",
                fixes=(Fix("keep only the known flags", Span(regex.span.source, flags_start, regex.span.end),
                           "".join(f for f in regex.flags if f in _REGEX_FLAGS)),),
                notes=("note: the flags are " + "; ".join(f"{k}: {v}" for k, v in _REGEX_FLAGS.items()),),
            )
        for finder, feature in _UNSUPPORTED_REGEX:
            found = finder.search(regex.pattern)
            if found and feature:
                start = regex.pattern_offset + found.start()
                self.error(
                    "BSM402", f"{feature} are not supported: patterns run in linear time (RE2 syntax)",
                    Span(regex.span.source, start, start + len(found.group())), label="not supported",
                    notes=("help: rewrite the pattern without it, or move the check into a rule condition",),
                )
                return
        try:
            compiled = compile_regex(regex.pattern, regex.flags)
        except re2.error as error:
            reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
            span = self.locate_regex_error(regex, reason)
            if reason.startswith("missing )"):
                reason, label = "missing ')'", "this group is never closed"
            else:
                label = "here"
            self.error("BSM401", f"invalid regular expression: {reason}", span, label=label)
            return
        # RE2 runs in linear time, but its cost per character grows with the program and with
        # every capturing group it tracks: bound both, so that no pattern makes a check slow.
        if compiled.groups > MAX_REGEX_GROUPS or compiled.programsize > MAX_REGEX_PROGRAM:
            what = (f"{compiled.groups} capturing groups (at most {MAX_REGEX_GROUPS})" if compiled.groups > MAX_REGEX_GROUPS
                    else f"a compiled size of {compiled.programsize} (at most {MAX_REGEX_PROGRAM})")
            self.error("BSM404", f"regular expression too complex: {what}", regex.span, label="too complex",
                       notes=("help: use non-capturing groups `(?:…)`, or split the pattern into several",))

    @staticmethod
    def locate_regex_error(regex: ast.RegexLit, reason: str) -> Span:
        """RE2 names the offending fragment after ': '; point at it inside the pattern (at the
        group left open, for a missing ')')."""
        if reason.startswith("missing )"):
            opened = _unclosed_group(regex.pattern)
            if opened is not None:
                start = regex.pattern_offset + opened
                return Span(regex.span.source, start, start + 1)
        _, _, fragment = reason.partition(": ")
        index = regex.pattern.find(fragment) if fragment else -1
        if index >= 0 and fragment:
            start = regex.pattern_offset + index
            return Span(regex.span.source, start, start + len(fragment))
        return regex.span

    # -- rules
    def check_rules(self) -> list[CheckedRule]:
        overrides: dict[str, dict] = {}
        for unit in self.units:
            for statement in unit.ast.statements:
                if isinstance(statement, (ast.OverrideDef, ast.DisableDef)):
                    rule_id = statement.rule.name
                    if rule_id not in self.rules:
                        self.unknown_definition("BSM206", "rule id", rule_id, statement.rule.span, self.rules)
                        continue
                    entry = overrides.setdefault(rule_id, {})
                    if isinstance(statement, ast.DisableDef):
                        entry["disabled"] = True
                        continue
                    for override in statement.entries:
                        if isinstance(override, ast.SeverityOverride):
                            entry["severity"] = override.severity.name
                        else:
                            entry["message"] = override.template
                            self.check_template(override.template)
        for duplicate in self.duplicate_rules:  # not part of the policy, but its problems are reported too
            self.check_rule(duplicate)
        checked = []
        for rule in self.rules.values():
            self.check_rule(rule)
            entry = overrides.get(rule.id.name, {})
            message = next((c.template for c in rule.clauses if isinstance(c, ast.MessageClause)), None)
            checked.append(CheckedRule(
                rule, entry.get("severity", rule.severity.name), entry.get("message", message),
                entry.get("disabled", False),
            ))
        return checked

    def check_rule(self, rule: ast.RuleDef) -> None:
        messages = [c for c in rule.clauses if isinstance(c, ast.MessageClause)]
        for extra in messages[1:]:
            self.error("BSM309", f"rule `{rule.id.name}` has more than one message", extra.span,
                       label="second message", related=(Related("first message here", messages[0].span),))
        if not any(isinstance(c, (ast.RequireClause, ast.ForbidClause)) for c in rule.clauses):
            self.error("BSM310", f"rule `{rule.id.name}` has no `require` or `forbid` clause, so it can never fire",
                       rule.id.span, label="never fires")
        for clause in rule.clauses:
            if isinstance(clause, ast.MessageClause):
                self.check_template(clause.template)
            elif isinstance(clause, ast.NoteClause):
                self.check_template(clause.template)
                self.condition(clause.condition, {})
            else:
                self.condition(clause.condition, {})

    def check_template(self, template: ast.StringLit) -> None:
        for name in template_fields(template.value):
            if name == "{":
                brace = _unbalanced_brace_span(template)
                fixes = (Fix("write the brace twice", brace, brace.text * 2),) if brace.text in ("{", "}") else ()
                self.error("BSM311", "unbalanced brace in message; write '{{' or '}}' for a literal brace",
                           brace, label="no partner for this brace", fixes=fixes)
                return
            if name == "match":
                continue
            head, *rest = name.split(".")
            field = FIELDS.get(head) or CONTEXT.get(head)
            if field is None:
                span = placeholder_span(template, head)
                suggestion = closest_name(head, ["match", *FIELDS, *CONTEXT])
                fixes = (Fix(f"did you mean `{{{suggestion}}}`?", span, suggestion),) if suggestion else ()
                self.error(
                    "BSM212", f"unknown placeholder `{{{name}}}` in message", span, label="not a known placeholder",
                    notes=("note: placeholders are {match} and message fields such as {recipient.language}",),
                    fixes=fixes,
                )
                continue
            field_type = field.type
            for part in rest:
                found = field_type.field(part)
                if found is None:
                    span = placeholder_span(template, f"{head}.{part}", len(head) + 1)
                    suggestion = closest_name(part, [n for n, _, _ in field_type.fields])
                    fixes = (Fix(f"did you mean `{suggestion}`?", span, suggestion),) if suggestion else ()
                    self.error("BSM202", f"`{head}` has no field `{part}`", span, label="not a known field",
                               fixes=fixes)
                    break
                field_type = found[0]

    # -- expressions
    def condition(self, expr, scope: dict[str, Type]) -> None:
        found = self.infer(expr, scope)
        if not _is_condition(found):
            self.error("BSM303", f"expected a condition, found a {found}", expr.span,
                       label="this is not true or false",
                       notes=("help: compare it, e.g. `... == ...`, `... matches ...`, `... is present`",))

    def record(self, expr, found: Type) -> Type:
        self.types[expr] = found
        return found

    def infer(self, expr, scope: dict[str, Type]) -> Type:
        method = getattr(self, "infer_" + type(expr).__name__)
        return self.record(expr, method(expr, scope))

    def infer_NumberLit(self, expr: ast.NumberLit, scope) -> Type:
        from .build import UNITS
        if expr.unit is None:
            return NUMBER
        return BYTES if UNITS[expr.unit][0] == "bytes" else DURATION

    def infer_StringLit(self, expr, scope) -> Type:
        return STRING

    def infer_RegexLit(self, expr, scope) -> Type:
        self.check_regex(expr)
        return PATTERN

    def infer_BoolLit(self, expr, scope) -> Type:
        return BOOL

    def infer_Name(self, expr: ast.Name, scope: dict[str, Type]) -> Type:
        name = expr.name
        if name in scope:
            self.symbols[expr] = VariableSymbol(name)
            return scope[name]
        if name in FIELDS:
            self.symbols[expr] = FieldSymbol(FIELDS[name])
            return FIELDS[name].type
        if name in CONTEXT:
            self.symbols[expr] = ContextSymbol(CONTEXT[name])
            return CONTEXT[name].type
        if name in self.patterns:
            self.symbols[expr] = PatternSymbol(self.patterns[name])
            return PATTERN
        if name in self.lists:
            self.symbols[expr] = ListSymbol(self.lists[name])
            return WORDS
        if name in self.domains:
            self.symbols[expr] = DomainsSymbol(self.domains[name])
            return DOMAINS
        if name in self.categories:
            self.symbols[expr] = CategorySymbol(self.categories[name])
            return STRING
        if name.casefold() in self.reason_categories:
            self.symbols[expr] = ReasonSymbol(name)
            return STRING
        candidates = [*scope, *FIELDS, *CONTEXT, *self.patterns, *self.lists, *self.domains, *self.categories]
        candidates += [site.name for site in self.reason_sites.values()]
        self.unknown_definition("BSM201", "name", name, expr.span, candidates)
        return ANY

    def infer_AttributeAccess(self, expr: ast.AttributeAccess, scope) -> Type:
        target = self.infer(expr.target, scope)
        if target is ANY:
            return ANY
        record = target.element if target.is_list else target
        found = record.field(expr.name.name) if record is not None else None
        if found is None:
            if not record or not record.fields:
                self.error("BSM202", f"a {target} has no fields", expr.name.span, label="no field here")
            else:
                self.unknown("BSM202", f"field of {record}", expr.name.name, expr.name.span,
                             [name for name, _, _ in record.fields],
                             message=f"{_article(record)} {record} has no field `{expr.name.name}`")
            return ANY
        return list_of(found[0]) if target.is_list else found[0]

    def infer_Call(self, expr: ast.Call, scope) -> Type:
        builtin = BUILTINS.get(expr.function.name)
        arg_types = [self.infer(arg, scope) for arg in expr.args]
        if builtin is None:
            self.unknown("BSM203", "function", expr.function.name, expr.function.span, BUILTINS)
            return ANY
        if len(expr.args) != len(builtin.params):
            self.error("BSM302", f"`{builtin.name}` takes {len(builtin.params)} argument(s), got {len(expr.args)}",
                       expr.span, label="here", notes=(f"note: {builtin.signature}",))
            return builtin.result or ANY
        for arg, found, allowed in zip(expr.args, arg_types, builtin.params, strict=True):
            if found is ANY:
                continue
            ok = any(found == a or (a.name == "list" and found.is_list) or (a == STRING and found == TEXT) for a in allowed)
            if not ok:
                self.error("BSM301", f"`{builtin.name}` expects a {' or '.join(str(a) for a in allowed)}, found a {found}",
                           arg.span, label="wrong type", notes=(f"note: {builtin.signature}",))
                return builtin.result or ANY
        if builtin.result_elements:
            element = arg_types[0].element if arg_types and arg_types[0].is_list else None
            if element not in (*builtin.result_elements, None, ANY):
                self.error("BSM301", f"`sum` adds numbers, sizes or durations, not {element}", expr.args[0].span)
                return ANY
            return element or NUMBER
        return builtin.result or ANY

    def infer_ListLit(self, expr: ast.ListLit, scope) -> Type:
        element_types = [self.infer(item, scope) for item in expr.items]
        known = [t for t in element_types if t is not ANY]
        if not known:
            return list_of(ANY)
        first = known[0]
        for item, found in zip(expr.items, element_types, strict=True):
            if found is not ANY and found != first and not (_stringish(found) and _stringish(first)):
                self.error("BSM301", f"a list holds one type: found a {found} after a {first}", item.span,
                           label="different type")
                break
        return list_of(first)

    def infer_Quantifier(self, expr: ast.Quantifier, scope) -> Type:
        source = self.infer(expr.source, scope)
        if source is ANY:
            element = ANY
        elif not source.is_list:
            self.error("BSM301", f"`{expr.kind}` goes over a list, found a {source}", expr.source.span, label="not a list")
            element = ANY
        else:
            element = source.element or ANY
        self.symbols[expr.variable] = VariableSymbol(expr.variable.name)
        self.condition(expr.condition, {**scope, expr.variable.name: element})
        return BOOL

    def infer_Not(self, expr: ast.Not, scope) -> Type:
        self.condition(expr.operand, scope)
        return BOOL

    def infer_Logical(self, expr: ast.Logical, scope) -> Type:
        self.condition(expr.left, scope)
        self.condition(expr.right, scope)
        return BOOL

    def infer_Negate(self, expr: ast.Negate, scope) -> Type:
        found = self.infer(expr.operand, scope)
        if found not in (NUMBER, BYTES, DURATION, ANY):
            self.error("BSM301", f"cannot negate a {found}", expr.span, label="not a number")
            return ANY
        return found

    def infer_Arith(self, expr: ast.Arith, scope) -> Type:
        left = self.infer(expr.left, scope)
        right = self.infer(expr.right, scope)
        if ANY in (left, right):
            return ANY
        result = _ARITH.get((expr.op, left, right))
        if result is None:
            self.error("BSM301", f"cannot compute {left} {expr.op} {right}", expr.op_span,
                       label="incompatible operands", notes=_unit_hint(left, right))
            return ANY
        return result

    def infer_Compare(self, expr: ast.Compare, scope) -> Type:
        left = self.infer(expr.left, scope)
        right = self.infer(expr.right, scope)
        if ANY in (left, right):
            return BOOL
        if expr.op in ("in", "not in"):
            if right in (WORDS, DOMAINS):
                element = STRING
            elif right.is_list:
                element = right.element or ANY
            else:
                self.error("BSM301", f"`{expr.op}` needs a list on its right, found a {right}", expr.right.span,
                           label="not a list")
                return BOOL
            if not _comparable(left, element):
                self.error("BSM301", f"cannot look for a {left} in a list of {element}", expr.span, label="type mismatch")
            self.check_vocabulary(expr.left, expr.right)
            return BOOL
        if expr.op in ("==", "!="):
            if not _comparable(left, right):
                self.error("BSM301", f"cannot compare a {left} with a {right}", expr.span, label="type mismatch",
                           notes=_unit_hint(left, right))
            self.check_vocabulary(expr.left, expr.right)
            self.check_vocabulary(expr.right, expr.left)
            return BOOL
        kinds = (_numeric_kind(left), _numeric_kind(right))
        if None in kinds or (kinds[0] != kinds[1] and set(kinds) != {"number", "size"}):
            self.error("BSM301", f"cannot order a {left} against a {right}", expr.span, label="type mismatch",
                       notes=_unit_hint(left, right))
        return BOOL

    def check_vocabulary(self, field_side, value_side) -> None:
        """A string compared with `category` or `contact_reason` must be one the policy knows."""
        symbol = self.symbols.get(field_side)
        if not isinstance(symbol, FieldSymbol):
            return
        field = symbol.field.name
        values = value_side.items if isinstance(value_side, ast.ListLit) else (value_side,)
        for value in values:
            if not isinstance(value, ast.StringLit):
                continue
            if field in ("category", "declared_category"):
                if value.value not in self.categories:
                    self.unknown("BSM204", "category", value.value, value.span, self.categories)
            elif field == "contact_reason" and value.value.casefold() not in self.reason_categories:
                self.unknown("BSM205", "contact reason", value.value, value.span,
                             [site.name for site in self.reason_sites.values()])

    def infer_TextOp(self, expr: ast.TextOp, scope) -> Type:
        left = self.infer(expr.left, scope)
        right = self.infer(expr.right, scope)
        if ANY in (left, right):
            return BOOL
        if not (_stringish(left) or left == list_of(STRING)):
            self.error("BSM301", f"`{expr.op}` works on text, found a {left}", expr.left.span, label="not text")
        allowed_right = (STRING, TEXT, WORDS) if expr.op == "contains" else (STRING, TEXT)
        if right not in allowed_right and not (expr.op == "contains" and right == list_of(STRING)):
            self.error("BSM301", f"`{expr.op}` needs a string" + (" or a word list" if expr.op == "contains" else "")
                       + f", found a {right}", expr.right.span, label="wrong type")
        return BOOL

    def infer_MatchesOp(self, expr: ast.MatchesOp, scope) -> Type:
        subject = self.infer(expr.subject, scope)
        pattern = self.infer(expr.pattern, scope)
        if subject is not ANY and not (_stringish(subject) or subject == list_of(STRING)):
            self.error("BSM301", f"`matches` works on text, found a {subject}", expr.subject.span, label="not text")
        if pattern not in (PATTERN, WORDS, ANY):
            hint = ("help: write a regular expression /…/ or name a pattern",)
            if pattern == STRING:
                hint = ("help: for a plain phrase use `contains`; for a pattern write /…/",)
            self.error("BSM301", f"`matches` needs a pattern, found a {pattern}", expr.pattern.span,
                       label="not a pattern", notes=hint)
        return BOOL

    def infer_Presence(self, expr: ast.Presence, scope) -> Type:
        self.infer(expr.operand, scope)
        return BOOL


def _comparable(left: Type, right: Type) -> bool:
    if ANY in (left, right) or left == right:
        return True
    if _stringish(left) and _stringish(right):
        return True
    return {left, right} == {NUMBER, BYTES}


def _unit_hint(left: Type, right: Type) -> tuple[str, ...]:
    kinds = {left, right}
    if left.is_list or right.is_list:
        return ("help: a field of a list gives a list; use any(x in list: …), all(…), sum(…) or count(…)",)
    if kinds == {DURATION, NUMBER}:
        return ("help: write the duration with a unit, e.g. `24 h` or `30 min`",)
    if STRING in kinds and (BYTES in kinds or NUMBER in kinds):
        return ("help: sizes are written as numbers with a unit, e.g. `10 MiB`",)
    if TIME in kinds and NUMBER in kinds:
        return ("help: subtract two timestamps to get a duration, then compare it with e.g. `24 h`",)
    return ()


_ARITH: dict[tuple[str, Type, Type], Type] = {}
for _kind in (NUMBER, BYTES, DURATION):
    _ARITH[("+", _kind, _kind)] = _kind
    _ARITH[("-", _kind, _kind)] = _kind
    _ARITH[("*", NUMBER, _kind)] = _kind
    _ARITH[("*", _kind, NUMBER)] = _kind
    _ARITH[("/", _kind, NUMBER)] = _kind
    _ARITH[("/", _kind, _kind)] = NUMBER
_ARITH[("+", TIME, DURATION)] = TIME
_ARITH[("+", DURATION, TIME)] = TIME
_ARITH[("-", TIME, DURATION)] = TIME
_ARITH[("-", TIME, TIME)] = DURATION


def check(units: list[PolicyUnit]) -> CheckedPolicy:
    """Check a policy made of `units` (included files first, the main file last). The examples
    and lints are later steps of the same stage (`pipeline.check_units`)."""
    checker = _Checker(units)
    checker.collect()
    rules = checker.check_rules()
    return CheckedPolicy(
        tuple(units), checker.header, checker.categories, checker.reason_categories, checker.patterns,
        checker.lists, checker.domains, tuple(rules), tuple(in_source_order(checker.diagnostics, units)),
        checker.types, checker.symbols,
    )


def in_source_order(diagnostics: list[Diagnostic], units) -> list[Diagnostic]:
    """`diagnostics` sorted by file (in the order of `units`) and by offset."""
    order = {unit.path: index for index, unit in enumerate(units)}
    return sorted(diagnostics, key=lambda d: (order.get(d.span.source.name, -1), d.span.start))
