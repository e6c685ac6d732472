"""Lint checks beyond validity (BSM5xx): unused definitions, impossible guards, duplicated
rules, empty-matching patterns, Unicode hazards in the source; and their silencing through
`@allow("BSM5xx")` on a definition or a `# bsm-allow: BSM5xx` comment on a line."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..core.diagnostics import BIDI_CONTROLS, INVISIBLE_CHARACTERS, Diagnostic, Fix, Related, Severity
from ..core.resources import bundled_policies_dir
from ..core.source import Span
from ..library.registry import CONTEXT, FIELDS
from . import ast
from .checker import CheckedPolicy, compile_regex, in_source_order
from .parser import LOOK_ALIKES
from .symbols import CategorySymbol, DomainsSymbol, ListSymbol, PatternSymbol, ReasonSymbol

__all__ = ["lint", "suppress"]

_ALLOW_COMMENT = re.compile(r"#\s*bsm-allow:\s*([A-Z0-9, ]+)")
_CONFUSABLE_ASCII = str.maketrans({"0": "o", "1": "l", "I": "l", "|": "l"})


def _warning(code: str, message: str, span: Span, label: str = "", **extra) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, label=label, **extra)


def _unused(checked: CheckedPolicy) -> list[Diagnostic]:
    # Patterns, lists and domain lists share one namespace: a name is defined once.
    used = {symbol.definition.name.name for symbol in checked.symbols.values()
            if isinstance(symbol, (PatternSymbol, ListSymbol, DomainsSymbol))}
    # A definition that a misspelt reference was meant for already has its diagnostic there.
    meant = {fix.replacement for d in checked.diagnostics if d.code == "BSM201" for fix in d.fixes}
    found = []
    for table, what in ((checked.patterns, "pattern"), (checked.lists, "list"), (checked.domains, "domain list")):
        for name, definition in table.items():
            if name not in used and name not in meant:
                found.append(_warning("BSM501", f"{what} `{name}` is never used", definition.name.span,
                                      label="defined here, used by no rule",
                                      notes=("help: remove it, or use it in a rule",)))
    return found


def _empty_matching(checked: CheckedPolicy) -> list[Diagnostic]:
    found = []
    for definition in checked.patterns.values():
        try:
            regex = compile_regex(definition.regex.pattern, definition.regex.flags)
        except Exception:  # noqa: BLE001 - whatever makes a pattern invalid already has its own diagnostic
            continue
        if regex.search("") is not None:
            found.append(_warning("BSM504", f"pattern `{definition.name.name}` matches the empty string",
                                  definition.regex.span, label="matches even an empty text",
                                  notes=("note: such a pattern matches every text; make at least one part required",)))
    return found


def _conjuncts(expr):
    if isinstance(expr, ast.Logical) and expr.op == "and":
        yield from _conjuncts(expr.left)
        yield from _conjuncts(expr.right)
    else:
        yield expr


def _field_path(expr) -> str | None:
    if isinstance(expr, ast.Name) and (expr.name in FIELDS or expr.name in CONTEXT):
        return expr.name
    if isinstance(expr, ast.AttributeAccess):
        head = _field_path(expr.target)
        return f"{head}.{expr.name.name}" if head else None
    return None


def _constant(checked: CheckedPolicy, expr) -> str | None:
    if isinstance(expr, ast.StringLit):
        return expr.value.casefold()
    if isinstance(expr, ast.Name) and isinstance(checked.symbol_of(expr), (CategorySymbol, ReasonSymbol)):
        return expr.name.casefold()
    return None


def _impossible_guards(checked: CheckedPolicy) -> list[Diagnostic]:
    found = []
    for rule in checked.rules:
        equal: dict[str, tuple[str, ast.Compare]] = {}
        unequal: dict[str, list[tuple[str, ast.Compare]]] = {}
        for clause in rule.definition.clauses:
            if not isinstance(clause, ast.WhenClause):
                continue
            for part in _conjuncts(clause.condition):
                if not isinstance(part, ast.Compare) or part.op not in ("==", "!="):
                    continue
                field, value = _field_path(part.left), _constant(checked, part.right)
                if field is None or value is None:
                    continue
                if part.op == "==":
                    if field in equal and equal[field][0] != value:
                        found.append(_contradiction(rule, part, equal[field][1], f"`{field}` cannot be both"
                                                    f" {equal[field][0]!r} and {value!r}"))
                    equal.setdefault(field, (value, part))
                else:
                    unequal.setdefault(field, []).append((value, part))
        for field, excluded in unequal.items():
            for value, part in excluded:
                if field in equal and equal[field][0] == value:
                    found.append(_contradiction(rule, part, equal[field][1],
                                                f"`{field}` cannot be {value!r} and not {value!r}"))
        if "category" in equal and "contact_reason" in equal:
            reason = equal["contact_reason"][0]
            home = checked.reason_categories.get(reason)
            category = equal["category"][0]
            if home is not None and home.casefold() != category:
                found.append(_contradiction(
                    rule, equal["contact_reason"][1], equal["category"][1],
                    f"contact reason {reason!r} belongs to category {home!r}, not {category!r}"))
    return found


def _contradiction(rule, part, other, why: str) -> Diagnostic:
    return _warning("BSM505", f"the guard of rule `{rule.id}` can never hold: {why}", part.span,
                    label="contradicts the other condition", related=(Related("the other condition", other.span),),
                    notes=("note: the rule never runs",))


def _duplicated_rules(checked: CheckedPolicy) -> list[Diagnostic]:
    """Rules with the same guard and conditions, and `forbid` clauses repeated under the same
    guard in another rule (each violation would be reported twice)."""
    seen: dict[tuple, ast.RuleDef] = {}
    forbidden: dict[tuple, tuple[ast.RuleDef, ast.ForbidClause]] = {}
    found = []
    for rule in checked.rules:
        if rule.disabled:
            continue
        definition = rule.definition
        body = tuple(c for c in definition.clauses if not isinstance(c, (ast.MessageClause, ast.NoteClause)))
        if body in seen:
            first = seen[body]
            found.append(_warning("BSM506", f"rule `{definition.id.name}` has the same conditions as `{first.id.name}`",
                                  definition.id.span, label="duplicate",
                                  related=(Related("the same conditions here", first.id.span),),
                                  notes=("note: both fire on the same messages; merge them",)))
            continue
        seen[body] = definition
        guards = tuple(c for c in definition.clauses if isinstance(c, ast.WhenClause))
        for clause in definition.clauses:
            if not isinstance(clause, ast.ForbidClause):
                continue
            other = forbidden.setdefault((guards, clause), (definition, clause))
            if other[0] is not definition:
                found.append(_warning(
                    "BSM506", f"rule `{definition.id.name}` forbids the same as rule `{other[0].id.name}`", clause.span,
                    label="overlapping condition", related=(Related("the same condition here", other[1].span),),
                    notes=("note: a message that breaks it is reported by both rules; keep it in one",)))
    return found


def _bundled_rules_documented(checked: CheckedPolicy) -> list[Diagnostic]:
    bundled = bundled_policies_dir().resolve()
    found = []
    for rule in checked.rules:
        definition = rule.definition
        name = definition.span.source.name
        if name.startswith("<") or Path(name).resolve().parent != bundled:
            continue
        missing = [what for what, ok in (("@source", definition.annotation("source")),
                                         ("a message", rule.message is not None)) if not ok]
        if missing:
            found.append(_warning("BSM507", f"bundled rule `{rule.id}` has no {' and no '.join(missing)}",
                                  definition.id.span, label="undocumented",
                                  notes=("note: every bundled rule says where it comes from and explains itself",)))
    return found


def _hidden_names(checked: CheckedPolicy) -> list[Diagnostic]:
    found = []
    for table in (checked.patterns, checked.lists, checked.domains):
        for name, definition in table.items():
            hides = None
            if name in FIELDS or name in CONTEXT:
                hides = "the message field" if name in FIELDS else "the context value"
            elif name.casefold() in checked.reason_categories:
                hides = "the contact reason"
            elif name in checked.categories:
                hides = "the category"
            if hides:
                found.append(_warning("BSM511", f"`{name}` has the name of {hides} `{name}`", definition.name.span,
                                      label="ambiguous name",
                                      notes=("note: a bare name is resolved as a field first, then a pattern or list, "
                                             "then a category, then a contact reason; rename the definition",)))
    return found


def _scripts(word: str) -> set[str]:
    scripts = set()
    for char in word:
        if char.isalpha():
            name = unicodedata.name(char, "")
            scripts.add(name.split(" ")[0])
    return scripts


def _lines(text: str):
    start = 0
    for line in text.split("\n"):
        yield start, line
        start += len(line) + 1


def _hazard(code: str, what: str, source, line_start: int, line: str, indexes: list[int], **extra) -> Diagnostic:
    """One finding for the characters at `indexes` of a line, with one fix removing them all."""
    first, last = indexes[0], indexes[-1] + 1
    names = ", ".join(dict.fromkeys(f"U+{ord(line[i]):04X} {unicodedata.name(line[i], '')}".rstrip() for i in indexes))
    plural = "s" if len(indexes) > 1 else ""
    span = Span(source, line_start + first, line_start + last)
    kept = "".join(char for i, char in enumerate(line[first:last], first) if i not in indexes)
    return _warning(code, f"{what}{plural} in the policy: {names}", span,
                    fixes=(Fix(f"remove the character{plural}", span, kept),), **extra)


def _source_hazards(units) -> list[Diagnostic]:
    found = []
    for unit in units:
        source = unit.ast.span.source
        for line_start, line in _lines(source.text):
            if line.isascii():  # every hazard character is outside ASCII
                continue
            bidi = [i for i, char in enumerate(line) if char in BIDI_CONTROLS]
            invisible = [i for i, char in enumerate(line)
                         if char in INVISIBLE_CHARACTERS and not (line_start + i == 0 and char == "\ufeff")]  # a leading BOM is fine
            if bidi:
                found.append(_hazard(
                    "BSM508", "bidirectional control character", source, line_start, line, bidi,
                    label="reorders how the text is displayed",
                    notes=("note: it can make the text read differently from what runs; remove it",)))
            if invisible:
                found.append(_hazard("BSM509", "invisible character", source, line_start, line, invisible,
                                     label="invisible"))
        for node in ast.walk(unit.ast):
            if isinstance(node, ast.StringLit):
                for match in re.finditer(r"\w+", node.value):
                    if match.group().isascii():  # one script at most
                        continue
                    scripts = _scripts(match.group())
                    if len(scripts) > 1 and "LATIN" in scripts:
                        word = match.group()
                        latin = "".join(LOOK_ALIKES.get(letter, letter) for letter in word)
                        fixes: tuple[Fix, ...] = ()
                        if _scripts(latin) == {"LATIN"} and node.span.text.count(word) == 1:
                            start = node.span.start + node.span.text.index(word)
                            fixes = (Fix(f"write \"{latin}\" in Latin letters", Span(node.span.source, start,
                                                                                     start + len(word)), latin),)
                        found.append(_warning(
                            "BSM510", f"\"{word}\" mixes scripts ({', '.join(sorted(scripts))})",
                            node.span, label="look-alike letters", fixes=fixes,
                            notes=("note: letters from another script look the same but never match Latin text",)))
    return found


def _confusable_definitions(checked: CheckedPolicy) -> list[Diagnostic]:
    seen: dict[str, ast.Ident] = {}
    found = []
    for table in (checked.patterns, checked.lists, checked.domains, checked.categories):
        for name, definition in table.items():
            skeleton = name.translate(_CONFUSABLE_ASCII).casefold()
            if skeleton in seen and seen[skeleton].name != name:
                found.append(_warning("BSM510", f"`{name}` is easily confused with `{seen[skeleton].name}`",
                                      definition.name.span, label="look-alike name",
                                      related=(Related("the other name", seen[skeleton].span),)))
            seen.setdefault(skeleton, definition.name)
    return found


def _without_rules(checked: CheckedPolicy) -> list[Diagnostic]:
    # A policy that does not check cleanly may have lost its rules with a broken include.
    if checked.rules or not checked.units or not checked.ok:
        return []
    main = checked.units[-1].ast.span.source
    return [_warning("BSM213", "the policy has no rules: checking messages with it is an error", main.span(0, 0),
                     notes=("help: write a `rule`, or `include \"bundled:amazon\"`",))]


def lint(checked: CheckedPolicy) -> list[Diagnostic]:
    """The lint findings of a policy that checked (errors or not); `checked.diagnostics` holds
    everything found before the lints."""
    found = (_without_rules(checked) + _unused(checked) + _empty_matching(checked) + _impossible_guards(checked)
             + _duplicated_rules(checked) + _bundled_rules_documented(checked) + _hidden_names(checked)
             + _source_hazards(checked.units) + _confusable_definitions(checked))
    broken = {unit.path for unit in checked.units if unit.syntax_errors}
    return in_source_order([d for d in found if d.span.source.name not in broken], checked.units)


def suppress(diagnostics: list[Diagnostic], units) -> list[Diagnostic]:
    """Drop lint findings silenced by `@allow("BSMxxx")` or a `# bsm-allow: BSMxxx` comment."""
    allowed_spans: list[tuple[str, int, int, set[str]]] = []
    allowed_lines: dict[tuple[str, int], set[str]] = {}
    for unit in units:
        source = unit.ast.span.source
        for statement in unit.ast.statements:
            for annotation in getattr(statement, "annotations", ()):
                if annotation.name.name == "allow":
                    codes = {a.value.strip() for a in annotation.args}
                    allowed_spans.append((source.name, statement.span.start, statement.span.end, codes))
        for comment in unit.ast.comments:
            match = _ALLOW_COMMENT.search(comment.text)
            if not match:
                continue
            codes = {c.strip() for c in match.group(1).split(",") if c.strip()}
            line = comment.span.line
            alone = not source.line_text(line)[: comment.span.column - 1].strip()
            allowed_lines.setdefault((source.name, line + 1 if alone else line), set()).update(codes)
    kept = []
    for diagnostic in diagnostics:
        if diagnostic.code.startswith("BSM5"):
            span = diagnostic.span
            name = span.source.name
            if diagnostic.code in allowed_lines.get((name, span.line), set()):
                continue
            if any(n == name and start <= span.start < end and diagnostic.code in codes
                   for n, start, end, codes in allowed_spans):
                continue
        kept.append(diagnostic)
    return kept
