"""Generates a compiled policy's rule runner as Python source: one function that runs every rule
in order. The simple parts of conditions (fields, constants, comparisons, presence, logic,
arithmetic) are written out inline; text search, finders and quantifiers call the closures of
`ExpressionCompiler`. It gives the results of running each rule's closures, only faster.

The source is registered with `linecache` under a pseudo file name (`<bsm rule runner: NAME
DIGEST>`), so that tracebacks, profilers and debuggers show its lines."""

from __future__ import annotations

import collections
import hashlib
import itertools
import linecache
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..language import ast
from ..language.checker import CheckedPolicy, CheckedRule
from ..language.symbols import ContextSymbol, FieldSymbol, VariableSymbol
from ..library.registry import BUILTINS, FIELDS, readable
from ..library.runtime import MessageView, locations_of
from ..library.schema import BOOL, BYTES, DURATION, NUMBER, STRING
from .operations import WordList, arith, fold, truth
from .verdict import Violation

__all__ = ["generate_rule_runner"]

RuleRunner = Callable[[MessageView, list[Violation]], None]

_NUMERIC = (NUMBER, BYTES, DURATION)
_MISSING = object()


class _Writer:
    """Source text and the names it refers to."""

    def __init__(self, compiler) -> None:

        self.compiler = compiler
        self.namespace: dict[str, Any] = {"truth": truth, "fold": fold, "arith": arith, "MISSING": _MISSING,
                                          "patterns_present": compiler.prefilter.present_in_text,
                                          "locations_of": locations_of}
        self.names: dict[int, str] = {}
        self.fields: dict[str, str] = {}
        self.variables: dict[str, str] = {}  # quantifier variables in scope, as locals
        self.folded_fields: set[str] = set()
        self.temporaries = itertools.count()

    def bind(self, value: Any, prefix: str) -> str:
        """The name the source uses for `value`: one name per object (the namespace keeps it alive)."""
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = f"{prefix}{len(self.namespace)}"
            self.namespace[name] = value
        return name

    def temporary(self) -> str:
        return f"t{next(self.temporaries)}"

    def strict(self, operands: list[str], make: Callable[..., str]) -> str:
        """Source that is None when an operand is (None, absent or unknown), else `make` of the
        temporaries holding the operands; each operand is evaluated once, left to right."""
        names = [self.temporary() for _ in operands]
        absent = " or ".join(f"({name} := {operand}) is None" for name, operand in zip(names, operands, strict=True))
        return f"(None if {absent} else {make(*names)})"

    def field(self, name: str) -> str:
        """The local variable holding a message field's value, computed once at the top."""
        if name not in self.fields:
            field = readable(name)
            assert field is not None  # `value_Name` reads only fields and context values
            self.fields[name] = f"f_{name}"
            self.namespace[f"get_{name}"] = field.getter
        return self.fields[name]

    def folded(self, expr) -> str | None:
        """Source for the case fold of a value (`fold`); a string field is folded once, at the top."""
        if isinstance(expr, ast.Name) and self.compiler.type_of(expr) == STRING:
            local = self.value(expr)
            if local is not None and local.startswith("f_"):
                self.folded_fields.add(local)
                return f"c{local}"
        value = self.value(expr)
        if value is None:
            return None
        if self.compiler.type_of(expr) == STRING:
            return self.strict([value], lambda t: f"{t}.casefold()")
        return self.strict([value], lambda t: f"fold({t})")

    def finder_items(self, expr) -> list[str] | None:
        """Lines that set `items` to what a finder finds in a text field, through the segments'
        caches as the finder's closure goes; None when `expr` is not such a call."""
        if not (isinstance(expr, ast.Call) and _finder(expr.function.name) is not None and len(expr.args) == 1
                and self.compiler.is_text_field(expr.args[0])):
            return None
        subject = expr.args[0]
        assert isinstance(subject, ast.Name)  # as `is_text_field` checked
        name = expr.function.name
        text = self.bind(FIELDS[subject.name].getter, "T")
        find = self.bind(_finder(name), "F")
        return ["items = []",
                f"for segment in {text}(view).segments:",
                f"    cached = segment.cache.get({name!r})",
                f"    if cached is None: cached = segment.cache[{name!r}] = {find}(segment)",
                "    if cached: items += cached"]

    # -- expressions: Python source of the value (None meaning unknown), or None if not inline

    def condition(self, expr) -> str | None:
        """Inline source for a condition that evaluates to True, False or None."""
        if self.compiler.type_of(expr) != BOOL:
            return None
        return self.value(expr)

    def value(self, expr) -> str | None:
        known, constant = self.compiler.constant(expr)
        if known:
            return self.bind(constant, "K")
        method = getattr(self, "value_" + type(expr).__name__, None)
        return None if method is None else method(expr)

    def value_Name(self, expr: ast.Name) -> str | None:
        symbol = self.compiler.checked.symbol_of(expr)
        if isinstance(symbol, VariableSymbol):
            return self.variables.get(expr.name)
        field = readable(expr.name)
        if not isinstance(symbol, (FieldSymbol, ContextSymbol)) or field is None or field.lazy:
            return None
        return self.field(expr.name)

    def value_AttributeAccess(self, expr: ast.AttributeAccess) -> str | None:
        target, name = expr.target, expr.name.name
        if self.compiler.type_of(target).is_list:
            items = self.value(target)
            if items is None:
                return None
            return self.strict([items], lambda t: f"[getattr(x, {name!r}, None) for x in {t}]")
        if isinstance(target, ast.Name) and target.name in FIELDS and \
                isinstance(self.compiler.checked.symbol_of(target), FieldSymbol):
            attribute = FIELDS[target.name].message_attribute(name)
            if attribute is not None:
                return f"m.{attribute}"  # the record's getter reads the message
        inner = self.value(target)
        return None if inner is None else self.strict([inner], lambda t: f"getattr({t}, {name!r}, None)")

    def value_Call(self, expr: ast.Call) -> str | None:
        builtin = BUILTINS.get(expr.function.name)
        if builtin is None or not builtin.inline:
            return None
        sources = [self.value(arg) for arg in expr.args]
        args = [source for source in sources if source is not None]
        if len(args) != len(sources):
            return None
        if builtin.inline_source is not None:
            return self.strict(args, builtin.inline_source.format)
        function = self.bind(builtin.function, "B")
        return f"{function}({', '.join(args)})"

    def value_Presence(self, expr: ast.Presence) -> str | None:
        operand = self.value(expr.operand)
        if operand is None:
            return None
        if self.compiler.type_of(expr.operand).is_list:
            return f"bool({operand})" if expr.present else f"(not {operand})"
        return f"({operand} is not None)" if expr.present else f"({operand} is None)"

    def value_Not(self, expr: ast.Not) -> str | None:
        operand = self.condition(expr.operand)
        return None if operand is None else self.strict([operand], lambda t: f"not {t}")

    def value_Logical(self, expr: ast.Logical) -> str | None:
        left, right = self.condition(expr.left), self.condition(expr.right)
        if left is None or right is None:
            return None
        a, b = self.temporary(), self.temporary()
        # Without side effects, a short cut gives what evaluating both sides would.
        decided = "False" if expr.op == "and" else "True"
        otherwise = "True" if expr.op == "and" else "False"
        return (f"({decided} if ({a} := {left}) is {decided} else ({decided} if ({b} := {right}) is {decided} "
                f"else (None if {a} is None or {b} is None else {otherwise})))")

    def value_Compare(self, expr: ast.Compare) -> str | None:

        known, constant = self.compiler.constant(expr.right)
        if known and expr.op in ("in", "not in", "==", "!="):
            if expr.op in ("in", "not in"):
                constant = constant.values if isinstance(constant, WordList) else frozenset(fold(v) for v in constant)
            else:
                constant = fold(constant)
            left = self.folded(expr.left)
            if left is None:
                return None
            constant_name = self.bind(constant, "K")
            return self.strict([left], lambda a: f"({a} {expr.op} {constant_name})")
        if expr.op in ("in", "not in"):
            return None
        if expr.op in ("==", "!="):
            left, right = self.folded(expr.left), self.folded(expr.right)
        else:
            left, right = self.value(expr.left), self.value(expr.right)
        if left is None or right is None:
            return None
        return self.strict([left, right], lambda a, b: f"({a} {expr.op} {b})")

    def value_Arith(self, expr: ast.Arith) -> str | None:
        left, right = self.value(expr.left), self.value(expr.right)
        if left is None or right is None:
            return None
        numeric = self.compiler.type_of(expr.left) in _NUMERIC and self.compiler.type_of(expr.right) in _NUMERIC
        if numeric and expr.op != "/":
            return self.strict([left, right], lambda a, b: f"({a} {expr.op} {b})")
        return self.strict([left, right], lambda a, b: f"arith({expr.op!r}, {a}, {b})")

    def value_Negate(self, expr: ast.Negate) -> str | None:
        operand = self.value(expr.operand)
        return None if operand is None else self.strict([operand], lambda t: f"-{t}")


def _conjuncts(expr) -> list:
    """A guard `a and b` holds exactly when `a` and `b` both hold: each is tested on its own."""
    if isinstance(expr, ast.Logical) and expr.op == "and":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _forbid(writer: _Writer, clause: ast.ForbidClause, rule: str, rule_needs: tuple) -> list[str]:
    """Lines (indented for a rule's block) that evaluate a `forbid` and report its violations."""
    compiler, condition = writer.compiler, clause.condition
    source = writer.condition(condition)
    if source is not None:
        return [f"if {source} is True: {rule}.report(view, severity, True, out)"]
    lines: list[str] = []
    indent = ""
    need = compiler.required_patterns(condition)
    if need is not None and need not in rule_needs:
        # Each clause of a rule is skipped on its own when its patterns cannot match.
        lines += ["if present is MISSING: present = patterns_present(view)",
                  f"if present is None or not {writer.bind(need, 'N')}.isdisjoint(present):"]
        indent += "    "
    finder_text = _finder_text_field(condition)
    if finder_text == "html":
        lines.append(f"{indent}if m.html is not None:")  # a finder finds nothing in an absent body
        indent += "    "
    if isinstance(condition, ast.Quantifier) and condition.kind != "all":
        variable = f"v_{condition.variable.name}"
        writer.variables[condition.variable.name] = variable
        body = writer.condition(condition.condition)
        inline_items = writer.value(condition.source)
        del writer.variables[condition.variable.name]
        if body is not None:
            finder_items = writer.finder_items(condition.source) or [
                f"items = {inline_items or writer.bind(compiler.expr(condition.source), 'S') + '(view)'}"]
            # "any" written out: true at each item its condition holds for, located there.
            return lines + [f"{indent}{line}" for line in (
                *finder_items,
                "if items:",
                "    found = []",
                "    any_true = False",
                f"    for {variable} in items:",
                f"        if {body}:",
                "            any_true = True",
                f"            location = getattr({variable}, 'location', None)",
                "            if location is not None: found.append(location)",
                f"    if any_true: {rule}.report(view, severity, tuple(dict.fromkeys(found)) or True, out)",
            )]
        if inline_items is not None:
            lines.append(f"{indent}if {inline_items}:")  # "any" over no items is never true
            indent += "    "
    found_by_finder = writer.finder_items(condition)
    if found_by_finder is not None:
        return lines + [f"{indent}{line}" for line in (
            *found_by_finder, f"if items: {rule}.report(view, severity, locations_of(items) or True, out)")]
    closure = writer.bind(compiler.condition(condition), "C")
    return [*lines, f"{indent}result = {closure}(view)",
            f"{indent}if result: {rule}.report(view, severity, result, out)"]


def _finder_text_field(expr) -> str | None:
    """The text field a finder call (or an "any" over one) reads, if it reads one field."""
    if isinstance(expr, ast.Quantifier):
        expr = expr.source
    if isinstance(expr, ast.Call) and _finder(expr.function.name) is not None and len(expr.args) == 1 and \
            isinstance(expr.args[0], ast.Name):
        return expr.args[0].name
    return None


def _finder(function: str):
    """The segment finder of a built-in text finder (which finds nothing in an absent text)."""
    builtin = BUILTINS.get(function)
    return None if builtin is None else builtin.finder


def generate_rule_runner(compiler, rules: list[tuple[CheckedRule, Any]]) -> tuple[RuleRunner, str]:
    """The function that runs the compiled `rules` (pairs of checked and compiled rule) on a
    message view, appending violations; and its source."""
    writer = _Writer(compiler)
    body: list[str] = []
    for checked, compiled in rules:
        rule = writer.bind(compiled, "R")
        body.append(f"    # {checked.id}")
        body.append("    while True:")
        inline_guards, closure_guards = [], []
        for clause in checked.definition.clauses:
            if isinstance(clause, ast.WhenClause):
                for conjunct in _conjuncts(clause.condition):
                    source = writer.condition(conjunct)
                    if source is None:
                        closure_guards.append(writer.bind(compiler.condition(conjunct), "G"))
                    else:
                        inline_guards.append(source)
        for source in inline_guards:
            body.append(f"        if {source} is not True: break")
        if compiled.needs:
            needs = " or ".join(f"{writer.bind(need, 'N')}.isdisjoint(present)" for need in compiled.needs)
            body.append("        if present is MISSING: present = patterns_present(view)")
            body.append(f"        if present is not None and ({needs}): break")
        for guard in closure_guards:
            body.append(f"        if truth({guard}(view)) is not True: break")
        severity = f"{rule}.severity_for(view)" if compiled.severity_cases else repr(compiled.severity)
        body.append(f"        severity = {severity}")
        for clause in checked.definition.clauses:
            if isinstance(clause, ast.RequireClause):
                finder_items = writer.finder_items(clause.condition)
                if finder_items is not None:
                    body += [f"        {line}" for line in finder_items]
                    body.append(f"        if not items: {rule}.report_missing(view, severity, out)")
                    continue
                source = writer.condition(clause.condition)
                if source is None:
                    source = f"truth({writer.bind(compiler.condition(clause.condition), 'C')}(view))"
                body.append(f"        if {source} is False: {rule}.report_missing(view, severity, out)")
            elif isinstance(clause, ast.ForbidClause):
                body += [f"        {line}" for line in _forbid(writer, clause, rule, compiled.needs)]
        body.append("        break")
    prologue = ["def run_rules(view, out):", "    m = view.message", "    present = MISSING"]
    for name, local in writer.fields.items():
        prologue.append(f"    {local} = get_{name}(view)")
        if local in writer.folded_fields:
            prologue.append(f"    c{local} = None if {local} is None else {local}.casefold()")
    source = "\n".join(prologue + body + ["    return"]) + "\n"
    file_name = _runner_file_name(compiler.checked, source)
    namespace = dict(writer.namespace)
    exec(compile(source, file_name, "exec"), namespace)  # our own generated code
    run_rules = namespace["run_rules"]
    _register_source(file_name, source, run_rules)
    return run_rules, source


def _runner_file_name(checked: CheckedPolicy, source: str) -> str:
    """The pseudo file name of a rule runner: the policy's name (its header's, else its main
    file's) and a digest of the source, so that the same policy always gets the same name and
    a different source a different one."""
    name = checked.header.name.value if checked.header else checked.units[-1].path
    # A file name for `compile` holds no NUL (nor, to stay readable, any other control character)
    # and no lone surrogate: those are written as escapes.
    name = "".join(char if char.isprintable() and not "\ud800" <= char <= "\udfff" else ascii(char)[1:-1]
                   for char in name)
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"<bsm rule runner: {name} {digest}>"


# Runners alive per pseudo file name (policies that differ only in constants share a source):
# the lines leave `linecache` with the last of them.
_RUNNERS: collections.Counter[str] = collections.Counter()
_RUNNERS_LOCK = threading.RLock()  # reentrant: a collection may run a finalizer while it is held


def _register_source(file_name: str, source: str, runner: Callable) -> None:
    lines = source.splitlines(keepends=True)
    with _RUNNERS_LOCK:
        _RUNNERS[file_name] += 1
        # No modification time: `linecache.checkcache` keeps the entry (it has no file to compare).
        linecache.cache[file_name] = (len(source), None, lines, file_name)
    weakref.finalize(runner, _release_source, file_name).atexit = False


def _release_source(file_name: str) -> None:
    with _RUNNERS_LOCK:
        _RUNNERS[file_name] -= 1
        if _RUNNERS[file_name] <= 0:
            del _RUNNERS[file_name]
            linecache.cache.pop(file_name, None)
