"""Compiles a checked policy into an evaluator: every expression becomes a closure, every
pattern, word list and constant is prepared once, so evaluating a message does no lookups; the
rules then run through one generated function (`codegen`) that writes the simple conditions out
as Python and skips the rules whose patterns and finder triggers the message text cannot match.

Conditions are three-valued: True, False or None (unknown, e.g. a comparison with an absent
field). A true condition may instead be a non-empty tuple of `Location`s, the places in the
message that made it true; `forbid` reports a violation at each of them."""

from __future__ import annotations

import datetime
import string
from collections.abc import Callable
from typing import Any

import attrs
import re2

from ..core.errors import MessageError
from ..language import ast
from ..language.checker import CheckedPolicy, CheckedRule, compile_regex
from ..language.symbols import (
    CategorySymbol,
    ContextSymbol,
    DomainsSymbol,
    FieldSymbol,
    ListSymbol,
    PatternSymbol,
    ReasonSymbol,
    VariableSymbol,
)
from ..language.templates import template_fields
from ..library import finders
from ..library.normalize import normalize, searchable
from ..library.registry import BUILTINS, FIELDS, readable
from ..library.runtime import Location, MessageView, Segment, Text, locations_of
from ..library.schema import Type
from ..messages.model import Message
from .operations import WordList, arith, fold, format_value, phrase_regex, truth
from .verdict import Verdict, Violation

__all__ = ["CompiledPolicy", "ExpressionCompiler", "WordList", "compile_policy", "truth"]

Fn = Callable[[MessageView], Any]

#: At most this many violations of one rule are listed per message field; one more violation
#: (with the field but no place) says how many were left out. The verdict counts them all.
MAX_VIOLATIONS_PER_FIELD = 100

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def _witnesses(value: Any) -> tuple[Location, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return locations_of(value)
    return ()


class _PatternSet:
    """The constant patterns a policy searches message text for, run together as one RE2 set:
    one linear pass over a text segment tells which of them can match there at all, so a
    pattern is searched for (and located) only in the segments where it matches."""

    _OPTIONS_KEY = ("case_sensitive", "dot_nl", "encoding", "literal", "longest_match", "never_nl",
                    "one_line", "perl_classes", "posix_syntax", "word_boundary")

    def __init__(self) -> None:
        self.indexes: dict[str, int] = {}
        self.html_triggers: frozenset[int] = frozenset()
        self.finder_triggers: dict[str, int] = {}
        self.set: re2.Set | None = None
        options = re2.Options()
        options.log_errors = False
        options.never_capture = True
        # The set runs as a DFA and has no slower fallback: give it room to never run out.
        options.max_mem = 256 << 20
        self.options = options
        self.default_options = tuple(getattr(_RE2_OPTIONS, name) for name in self._OPTIONS_KEY)

    def index(self, regex) -> int | None:
        """The pattern's place in the set, or None when the pattern cannot join it."""
        pattern = getattr(regex, "pattern", None)
        options = getattr(regex, "options", None)
        if not isinstance(pattern, str) or options is None or tuple(
                getattr(options, name) for name in self._OPTIONS_KEY) != self.default_options:
            return None
        return self.index_pattern(pattern)

    def index_pattern(self, pattern: str) -> int:
        if pattern not in self.indexes:
            self.indexes[pattern] = len(self.indexes)
        return self.indexes[pattern]

    def finder_trigger(self, finder: str) -> int:
        """The place in the set of the trigger of a finder (see `Builtin.trigger`). The HTML body
        also has attribute values that some finders read: there, their triggers always count."""
        builtin = BUILTINS[finder]
        assert builtin.trigger is not None, f"{finder} has no trigger"
        index = self.finder_triggers[finder] = self.index_pattern(builtin.trigger)
        if builtin.reads_html_targets:
            self.html_triggers |= {index}
        return index

    def compile(self) -> None:
        if not self.indexes:
            return
        compiled = re2.Set.SearchSet(self.options)
        for pattern in self.indexes:
            compiled.Add(pattern)
        compiled.Compile()
        self.set = compiled
        self._finders = tuple(self.finder_triggers.items())

    def present_in_text(self, view: MessageView) -> frozenset[int] | None:
        """Indexes of the patterns that match somewhere in the message's text (None: unknown)."""
        # Keyed by the set itself: a message may be checked against several policies.
        cache: dict[Any, Any] = view.cache
        found = cache.get(self)
        if found is None and self.set is not None:
            found = frozenset()
            for segment in FIELDS["text"].getter(view).segments:
                matching = self.matching(segment)
                if matching is None:
                    return None
                found |= matching
            cache[self] = found
        return found

    def matching(self, segment: Segment) -> frozenset[int] | None:
        """Indexes of the patterns that match somewhere in the segment (None: no set)."""
        cache: dict[Any, Any] = segment.cache  # keyed by the set itself, as in `present_in_text`
        found = cache.get(self)
        if found is None and self.set is not None:
            try:
                # Encoded here, not by `Match`, to catch what cannot be encoded; no match is None.
                found = frozenset(self.set.Match(segment.text.encode()) or ())
            except UnicodeEncodeError:  # a lone surrogate: search every pattern the slow way
                return None
            if segment.html is not None:
                found |= self.html_triggers
            # A finder whose trigger does not match finds nothing here: its results are known.
            for finder, index in self._finders:
                if index not in found:
                    cache[finder] = ()
            cache[self] = found
        return found


def _attribute_of(getter: Fn, attribute: str) -> Fn:
    """The attribute of what `getter` reads (None when either is absent)."""
    return lambda view: None if (value := getter(view)) is None else getattr(value, attribute, None)


def _search_text(text: Text, regex, position: str | None,
                 prefilter: _PatternSet | None = None, index: int | None = None) -> tuple[Location, ...]:
    found: list[Location] = []
    for segment in text.segments:
        if prefilter is not None and index is not None:
            matching = prefilter.matching(segment)
            if matching is not None and index not in matching:
                continue
        body = segment.text
        if position is None:
            found.extend(segment.locate(*spans[0]) for spans in finders.match_spans(regex, body))
            continue
        first = len(body) - len(body.lstrip())
        last = len(body.rstrip())
        for spans in finders.match_spans(regex, body):
            start, end = spans[0]
            at_start = start == first
            at_end = end == last
            if (position == "start" and at_start) or (position == "end" and at_end) or (
                position == "middle" and not at_start and not at_end
            ):
                found.append(segment.locate(start, end))
    return tuple(found)


def _has_trigger(function: str) -> bool:
    builtin = BUILTINS.get(function)
    return builtin is not None and builtin.trigger is not None


class ExpressionCompiler:
    """Turns the expressions of a checked policy into closures over a `MessageView`, on demand:
    the evaluator, the evaluation trace and the property tests all compile through it."""

    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.patterns: dict[str, Any] = {}
        self.word_lists: dict[str, WordList] = {}
        self.prefilter = _PatternSet()

    def type_of(self, expr) -> Type:
        return self.checked.type_of(expr)

    def pattern(self, definition: ast.PatternDef):
        name = definition.name.name
        if name not in self.patterns:
            self.patterns[name] = compile_regex(definition.regex.pattern, definition.regex.flags)
        return self.patterns[name]

    def word_list(self, definition) -> WordList:
        name = definition.name.name
        if name not in self.word_lists:
            values = [item.value for item in definition.items]
            self.word_lists[name] = WordList(phrase_regex(values), frozenset(v.strip().casefold() for v in values))
        return self.word_lists[name]

    def constant(self, expr) -> tuple[bool, Any]:
        """(True, value) when the expression is known at compile time."""
        if isinstance(expr, (ast.StringLit, ast.NumberLit, ast.BoolLit)):
            return True, expr.value
        if isinstance(expr, ast.RegexLit):
            return True, compile_regex(expr.pattern, expr.flags)
        if isinstance(expr, ast.Name):
            symbol = self.checked.symbol_of(expr)
            if isinstance(symbol, PatternSymbol):
                return True, self.pattern(symbol.definition)
            if isinstance(symbol, (ListSymbol, DomainsSymbol)):
                return True, self.word_list(symbol.definition)
            if isinstance(symbol, CategorySymbol):
                return True, symbol.definition.name.name
            if isinstance(symbol, ReasonSymbol):
                return True, symbol.name
        if isinstance(expr, ast.ListLit):
            items = [self.constant(item) for item in expr.items]
            if all(known for known, _ in items):
                return True, [value for _, value in items]
        return False, None

    def required_patterns(self, expr) -> frozenset[int] | None:
        """Pattern-set indexes of which at least one must match somewhere in the message's text
        for the condition to be true; None when it can be true without any."""
        if isinstance(expr, ast.Logical):
            left, right = self.required_patterns(expr.left), self.required_patterns(expr.right)
            if expr.op == "or":
                return None if left is None or right is None else left | right
            return left if left is not None else right
        if isinstance(expr, ast.MatchesOp):
            subject, known, value = expr.subject, *self.constant(expr.pattern)
            regex = value.regex if isinstance(value, WordList) else value
        elif isinstance(expr, ast.TextOp) and expr.op == "contains":
            subject, known, value = expr.left, *self.constant(expr.right)
            regex = _contains_regex(value) if known else None
        elif isinstance(expr, ast.Quantifier) and expr.kind != "all":
            return self.required_patterns(expr.source)  # "any" over no items is false
        elif (isinstance(expr, ast.Call) and _has_trigger(expr.function.name)
              and len(expr.args) == 1 and self.is_text_field(expr.args[0])):
            return frozenset((self.prefilter.finder_trigger(expr.function.name),))
        else:
            return None
        if not known or not self.is_text_field(subject):
            return None
        index = self.prefilter.index(regex)
        return None if index is None else frozenset((index,))

    def is_text_field(self, expr) -> bool:
        return (isinstance(expr, ast.Name) and expr.name in FIELDS and FIELDS[expr.name].is_text
                and isinstance(self.checked.symbol_of(expr), FieldSymbol))

    def expr(self, expr) -> Fn:
        known, value = self.constant(expr)
        if known:
            return lambda view: value
        return getattr(self, "compile_" + type(expr).__name__)(expr)

    def condition(self, expr) -> Fn:
        compiled = self.expr(expr)
        if self.type_of(expr).is_list:
            def as_condition(view):
                values = compiled(view)
                if values is None:
                    return None
                return locations_of(values) or bool(values)
            return as_condition
        return compiled

    # -- names and access
    def compile_Name(self, expr: ast.Name) -> Fn:
        symbol = self.checked.symbol_of(expr)
        if isinstance(symbol, VariableSymbol):
            name = expr.name
            return lambda view: view.vars.get(name)
        if isinstance(symbol, (FieldSymbol, ContextSymbol)):
            field = readable(expr.name)
            assert field is not None  # the name resolved to a field or a context value
            return field.getter
        return lambda view: None

    def compile_AttributeAccess(self, expr: ast.AttributeAccess) -> Fn:
        target = self.expr(expr.target)
        name = expr.name.name
        if self.type_of(expr.target).is_list:
            return lambda view: None if (t := target(view)) is None else [getattr(x, name, None) for x in t]
        return lambda view: None if (t := target(view)) is None else getattr(t, name, None)

    def compile_Call(self, expr: ast.Call) -> Fn:
        function = BUILTINS[expr.function.name].function
        args = [self.expr(arg) for arg in expr.args]
        if len(args) == 1:
            (only,) = args
            return lambda view: function(only(view))
        return lambda view: function(*[arg(view) for arg in args])

    def compile_ListLit(self, expr: ast.ListLit) -> Fn:
        items = [self.expr(item) for item in expr.items]
        return lambda view: [item(view) for item in items]

    # -- logic
    def compile_Not(self, expr: ast.Not) -> Fn:
        operand = self.condition(expr.operand)

        def negate(view):
            value = truth(operand(view))
            return None if value is None else not value
        return negate

    def compile_Logical(self, expr: ast.Logical) -> Fn:
        left = self.condition(expr.left)
        right = self.condition(expr.right)
        if expr.op == "and":
            def both(view):
                a = left(view)
                ta = truth(a)
                if ta is False:
                    return False
                b = right(view)
                tb = truth(b)
                if tb is False:
                    return False
                if ta is None or tb is None:
                    return None
                return (_witnesses(a) + _witnesses(b)) or True
            return both

        def either(view):
            a = left(view)
            b = right(view)
            ta, tb = truth(a), truth(b)
            if ta or tb:
                return ((_witnesses(a) if ta else ()) + (_witnesses(b) if tb else ())) or True
            if ta is None or tb is None:
                return None
            return False
        return either

    def compile_Quantifier(self, expr: ast.Quantifier) -> Fn:
        source = self.expr(expr.source)
        body = self.condition(expr.condition)
        variable = expr.variable.name
        universal = expr.kind == "all"

        def quantify(view):
            items = source(view)
            if items is None:
                return None
            saved = view.vars.get(variable)
            found: list[Location] = []
            any_true = unknown = False
            try:
                for item in items:
                    view.vars[variable] = item
                    result = body(view)
                    value = truth(result)
                    if value is None:
                        unknown = True
                    elif value:
                        any_true = True
                        if not universal:
                            witnesses = _witnesses(result)
                            location = getattr(item, "location", None)
                            found.extend(witnesses or ((location,) if location else ()))
                    elif universal:
                        return False
            finally:
                view.vars[variable] = saved
            if universal:
                return None if unknown else True
            if any_true:
                return tuple(dict.fromkeys(found)) or True
            return None if unknown else False
        return quantify

    def compile_Presence(self, expr: ast.Presence) -> Fn:
        operand = self.expr(expr.operand)
        wanted = expr.present

        def presence(view):
            value = operand(view)
            if isinstance(value, Text):
                present = value.present
            elif isinstance(value, list):
                present = bool(value)
            else:
                present = value is not None
            return present == wanted
        return presence

    # -- comparisons
    def compile_Compare(self, expr: ast.Compare) -> Fn:
        left = self.expr(expr.left)
        if expr.op in ("in", "not in"):
            return self.membership(expr, left)
        right = self.expr(expr.right)
        op = expr.op
        if op in ("==", "!="):
            equal = op == "=="

            def equality(view):
                a, b = left(view), right(view)
                if a is None or b is None:
                    return None
                return (fold(a) == fold(b)) == equal
            return equality
        compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                   ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op]

        def ordering(view):
            a, b = left(view), right(view)
            if a is None or b is None:
                return None
            return compare(a, b)
        return ordering

    def membership(self, expr: ast.Compare, left: Fn) -> Fn:
        inside = expr.op == "in"
        known, value = self.constant(expr.right)
        if known:
            values = value.values if isinstance(value, WordList) else frozenset(fold(v) for v in value)

            def constant_membership(view):
                a = left(view)
                if a is None:
                    return None
                return (fold(a) in values) == inside
            return constant_membership
        right = self.expr(expr.right)

        def membership(view):
            a, b = left(view), right(view)
            if a is None or b is None:
                return None
            found = fold(a) in (b.values if isinstance(b, WordList) else {fold(v) for v in b if v is not None})
            return found == inside
        return membership

    def compile_TextOp(self, expr: ast.TextOp) -> Fn:
        left = self.expr(expr.left)
        if expr.op == "contains":
            known, value = self.constant(expr.right)
            if known:
                regex = _contains_regex(value)
                index = self.prefilter.index(regex)
                return lambda view: self.contains(left(view), regex, index)
            right = self.expr(expr.right)
            return lambda view: self.contains(left(view), _dynamic_phrases(right(view)))
        right = self.expr(expr.right)
        at_start = expr.op == "starts with"

        def affix(view):
            a, b = left(view), right(view)
            if a is None or b is None:
                return None
            wanted = normalize(str(b)).text.casefold().strip()
            if isinstance(a, Text):
                found = []
                for segment in a.segments:
                    body = segment.text
                    stripped = body.strip()
                    lead = len(body) - len(body.lstrip())
                    length = _folded_affix_length(stripped, wanted, at_start)
                    if length is not None:
                        start = lead if at_start else lead + len(stripped) - length
                        found.append(segment.locate(start, start + length))
                return tuple(found)
            text = normalize(str(a)).text.casefold().strip()
            return text.startswith(wanted) if at_start else text.endswith(wanted)
        return affix

    def contains(self, value: Any, regex, index: int | None = None) -> Any:
        if value is None or regex is None:
            return None
        if isinstance(value, Text):
            return _search_text(value, regex, None, self.prefilter, index)
        if isinstance(value, list):
            return any(isinstance(v, str) and regex.fullmatch(searchable(v.strip())) for v in value)
        return regex.search(searchable(str(value))) is not None

    def compile_MatchesOp(self, expr: ast.MatchesOp) -> Fn:
        subject = self.expr(expr.subject)
        known, pattern = self.constant(expr.pattern)
        position = expr.position
        if known and isinstance(pattern, WordList):
            pattern = pattern.regex
        dynamic = None if known else self.expr(expr.pattern)
        prefilter = self.prefilter
        index = prefilter.index(pattern) if known else None

        def matches(view):
            value = subject(view)
            regex = pattern if dynamic is None else dynamic(view)
            if isinstance(regex, WordList):
                regex = regex.regex
            if value is None or regex is None:
                return None
            if isinstance(value, Text):
                return _search_text(value, regex, position, prefilter, index)
            if isinstance(value, list):
                return any(isinstance(v, str) and regex.search(searchable(v)) for v in value)
            return regex.search(searchable(str(value))) is not None
        return matches

    # -- arithmetic
    def compile_Arith(self, expr: ast.Arith) -> Fn:
        left, right, op = self.expr(expr.left), self.expr(expr.right), expr.op

        def arithmetic(view):
            a, b = left(view), right(view)
            if a is None or b is None:
                return None
            return arith(op, a, b)
        return arithmetic

    def compile_Negate(self, expr: ast.Negate) -> Fn:
        operand = self.expr(expr.operand)
        return lambda view: None if (v := operand(view)) is None else -v

    # -- messages
    def template(self, template: ast.StringLit | None, fallback: str) -> Callable[[MessageView, Location | None], str]:
        text = template.value if template is not None else fallback
        names = template_fields(text)
        if not names:
            literal = text.replace("{{", "{").replace("}}", "}")
            return lambda view, location: literal
        getters: dict[str, Fn] = {}
        for name in names:
            if name == "match" or name in getters:
                continue
            head, *rest = name.split(".")
            field = readable(head)
            getter = field.getter if field is not None else lambda view: None
            for part in rest:
                getter = _attribute_of(getter, part)
            getters[name] = getter
        # Parsed once: (literal text, placeholder or None) pairs.
        pieces = [(literal, name) for literal, name, _, _ in string.Formatter().parse(text)]

        def render(view: MessageView, location: Location | None) -> str:
            out = []
            for literal, name in pieces:
                out.append(literal)
                if name == "match":
                    out.append(location.excerpt if location and location.excerpt is not None else "")
                elif name is not None:
                    getter = getters.get(name)
                    out.append("" if getter is None else format_value(getter(view)))
            return "".join(out)
        return render


def _folded_affix_length(text: str, wanted: str, at_start: bool) -> int | None:
    """The length of the prefix (or suffix) of `text` whose case fold is the folded `wanted`, or
    None when there is none. Case folding can change lengths (`ß` folds to `ss`), so the length
    is counted in `text`'s own characters."""
    chars = text if at_start else text[::-1]
    target = wanted if at_start else wanted[::-1]
    folded = ""
    for length in range(len(chars) + 1):
        if len(folded) >= len(target):
            return length if folded == target else None
        if length == len(chars):
            return None
        folded += chars[length].casefold() if at_start else chars[length].casefold()[::-1]
    return None


def _contains_regex(value: Any):
    """The regex of `contains` with a constant right side (a word list, phrases or a phrase)."""
    if isinstance(value, WordList):
        return value.regex
    return phrase_regex(value if isinstance(value, list) else [value])


def _dynamic_phrases(value: Any):
    if value is None:
        return None
    if isinstance(value, WordList):
        return value.regex
    phrases = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return phrase_regex(phrases)


@attrs.frozen
class _CompiledRule:
    id: str
    severity: str
    guards: tuple[Fn, ...]
    conditions: tuple[tuple[str, Fn], ...]
    severity_cases: tuple[tuple[str, Fn], ...]
    notes: tuple[tuple[Callable, Fn], ...]
    message: Callable[[MessageView, Location | None], str]
    # The rule cannot fire when, for one of these, none of its patterns matches the message's text.
    needs: tuple[frozenset[int], ...] = ()
    patterns_present: Fn | None = None

    def run(self, view: MessageView, out: list[Violation]) -> None:
        """Evaluate the rule one clause at a time (the generated evaluator does the same faster)."""
        if self.needs:
            assert self.patterns_present is not None  # `_compile_rule` sets it with the needs
            present = self.patterns_present(view)
            if present is not None and any(need.isdisjoint(present) for need in self.needs):
                return
        for guard in self.guards:
            if truth(guard(view)) is not True:
                return
        severity = self.severity_for(view)
        for kind, condition in self.conditions:
            result = condition(view)
            if kind == "require":
                if truth(result) is False:
                    self.report_missing(view, severity, out)
            elif result:
                self.report(view, severity, result, out)

    def severity_for(self, view: MessageView) -> str:
        for case_severity, case in self.severity_cases:
            if truth(case(view)):
                return case_severity
        return self.severity

    def report(self, view: MessageView, severity: str, result: Any, out: list[Violation]) -> None:
        """The violations of a `forbid` whose condition came out true, one per witness: at most
        `MAX_VIOLATIONS_PER_FIELD` of a rule in one field, then one more saying how many are not listed."""
        locations = _witnesses(result)
        if not locations:
            out.append(Violation(self.id, severity, self.message(view, None)))
        omitted: dict[str, int] = {}
        for location in dict.fromkeys(locations):
            key = f"violations of {self.id} in {location.field}"  # listed so far, in this message
            reported = view.cache.get(key, 0)
            if reported >= MAX_VIOLATIONS_PER_FIELD:
                omitted[location.field] = omitted.get(location.field, 0) + 1
                continue
            view.cache[key] = reported + 1
            out.append(Violation(self.id, severity, self.message(view, location), location.field,
                                 location.start, location.end, location.excerpt))
        for field, count in omitted.items():
            self.report_omitted(view, severity, field, count, out)

    def report_omitted(self, view: MessageView, severity: str, field: str, count: int,
                       out: list[Violation]) -> None:
        """One violation, without a place, counting what the cap left out of the list (another
        `forbid` of the rule adds to the same count)."""
        key = f"unlisted violations of {self.id} in {field}"
        index, previous = view.cache.get(key, (len(out), 0))
        count += previous
        view.cache[key] = (index, count)
        violation = Violation(self.id, severity, f"… and {count:,} more in {field} (not listed)", field)
        if index == len(out):
            out.append(violation)
        else:
            out[index] = violation

    def report_missing(self, view: MessageView, severity: str, out: list[Violation]) -> None:
        message = self.message(view, None)
        for render_note, note_condition in self.notes:
            result = note_condition(view)
            if truth(result):
                locations = _witnesses(result)
                location = locations[0] if locations else None
                message = f"{message}; {render_note(view, location)}"
                if location is not None:
                    out.append(Violation(self.id, severity, message, location.field, location.start,
                                         location.end, location.excerpt))
                    return
        out.append(Violation(self.id, severity, message))


class CompiledPolicy:
    """A policy ready to evaluate many messages. It pickles as its checked policy and is compiled
    again when unpickled (its closures and RE2 objects do not pickle), as a `re.Pattern` pickles
    as its pattern."""

    def __init__(self, checked: CheckedPolicy, rules: list[_CompiledRule], pattern_set: _PatternSet,
                 run_rules: Callable[[MessageView, list[Violation]], None], runner_source: str):
        self.checked = checked
        self.rules = rules
        self.run_rules = run_rules  # generated by `codegen`: what `run_each_rule` does, faster
        #: The Python source of `run_rules` (`bsm compile` prints it; `linecache` has its lines).
        self.runner_source = runner_source
        self.pattern_set = pattern_set
        self.categories = frozenset(checked.categories)
        self.reason_categories = checked.reason_categories
        self.known_reasons = sorted(
            {ident.name for category in checked.categories.values() for ident in (*category.reasons, *category.aliases)},
            key=str.casefold)

    def __reduce__(self):
        return compile_policy, (self.checked,)

    def validate(self, message: Message) -> None:
        """Input errors that depend on the policy's vocabulary."""
        if not self.categories:
            return
        if message.category is not None and message.category not in self.categories:
            raise MessageError("$.category", f"unknown category '{message.category}'; known: "
                               + ", ".join(sorted(self.categories)))
        if message.contact_reason is not None and message.contact_reason.casefold() not in self.reason_categories:
            raise MessageError("$.contact_reason", f"unknown contact reason '{message.contact_reason}'; known: "
                               + ", ".join(self.known_reasons))

    def view(self, message: Message, context: dict | None = None, now: datetime.datetime | None = None) -> MessageView:
        """What the compiled expressions read: the message, with the seller `context` under the
        message's own, at time `now` (default: the current time)."""
        merged = dict(context or {})
        merged.update(message.context)
        return MessageView(message, merged, now or datetime.datetime.now(datetime.timezone.utc), self.reason_categories)

    def evaluate(self, message: Message, context: dict | None = None, now: datetime.datetime | None = None) -> Verdict:
        self.validate(message)
        view = self.view(message, context, now)
        violations: list[Violation] = []
        self.run_rules(view, violations)
        return Verdict(message.id, tuple(violations))

    def run_each_rule(self, view: MessageView, out: list[Violation]) -> None:
        """Run the rules one clause at a time through their closures: the reference that the
        generated `run_rules` is tested against."""
        for rule in self.rules:
            rule.run(view, out)


def _compile_rule(compiler: ExpressionCompiler, rule: CheckedRule) -> _CompiledRule:
    definition = rule.definition
    guards, conditions, severity_cases, notes = [], [], [], []
    needs: list[frozenset[int]] = []
    forbid_needs: list[frozenset[int] | None] = []
    for clause in definition.clauses:
        if isinstance(clause, ast.WhenClause):
            guards.append(compiler.condition(clause.condition))
            need = compiler.required_patterns(clause.condition)
            if need is not None:
                needs.append(need)
        elif isinstance(clause, ast.RequireClause):
            conditions.append(("require", compiler.condition(clause.condition)))
            forbid_needs.append(None)  # a requirement fires when its patterns do not match
        elif isinstance(clause, ast.ForbidClause):
            conditions.append(("forbid", compiler.condition(clause.condition)))
            forbid_needs.append(compiler.required_patterns(clause.condition))
        elif isinstance(clause, ast.SeverityClause):
            severity_cases.append((clause.severity.name, compiler.condition(clause.condition)))
        elif isinstance(clause, ast.NoteClause):
            notes.append((compiler.template(clause.template, ""), compiler.condition(clause.condition)))
    known_forbid_needs = [need for need in forbid_needs if need is not None]
    if forbid_needs and len(known_forbid_needs) == len(forbid_needs):
        needs.append(frozenset().union(*known_forbid_needs))
    return _CompiledRule(
        rule.id, rule.severity, tuple(guards), tuple(conditions), tuple(severity_cases), tuple(notes),
        compiler.template(rule.message, f"rule {rule.id} is broken"),
        tuple(needs), compiler.prefilter.present_in_text if needs else None,
    )


def compile_policy(checked: CheckedPolicy) -> CompiledPolicy:
    """Compile a policy that checked without errors."""
    from .codegen import generate_rule_runner

    compiler = ExpressionCompiler(checked)
    enabled = [rule for rule in checked.rules if not rule.disabled]
    rules = [_compile_rule(compiler, rule) for rule in enabled]
    run_rules, runner_source = generate_rule_runner(compiler, list(zip(enabled, rules, strict=True)))
    compiler.prefilter.compile()
    return CompiledPolicy(checked, rules, compiler.prefilter, run_rules, runner_source)
