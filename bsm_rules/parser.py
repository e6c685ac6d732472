"""Parses policy text into an AST, recovering after syntax errors to report each broken statement."""

from __future__ import annotations

import functools
import re
import threading

import attrs

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .build import build_policy
from .diagnostics import Diagnostic, Related, Severity
from .resources import grammar_text
from .source import SourceFile, Span

__all__ = ["parse", "parse_source", "STATEMENT_KEYWORDS", "CLAUSE_KEYWORDS"]

STATEMENT_KEYWORDS = ("policy", "include", "category", "pattern", "list", "domains", "rule", "override", "disable")
CLAUSE_KEYWORDS = ("message", "when", "require", "forbid", "severity", "note")
MAX_SYNTAX_ERRORS = 50

_STATEMENT_START = re.compile(r"^[ \t]*(?:@|(?:%s)\b)" % "|".join(STATEMENT_KEYWORDS), re.MULTILINE)

_TERMINAL_WORDS = {
    "STRING": "a string",
    "NAME": "a name",
    "RULE_ID": "a rule id (lower-case words joined by '-', e.g. no-email-address)",
    "SEVERITY": "a severity: error, warning or info",
    "REGEX": "a regular expression /…/",
    "NUMBER": "a number",
    "UNIT": "a unit",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "$END": "the end of the file",
}


_comment_sink = threading.local()


def _collect_comment(token: Token) -> Token:
    sink = getattr(_comment_sink, "tokens", None)
    if sink is not None:
        sink.append(token)
    return token


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
                lexer_callbacks={"COMMENT": _collect_comment})


_VALUE_STARTERS = {"ALL", "ANY", "FALSE", "TRUE", "LPAR", "LSQB", "MINUS", "NAME", "NUMBER", "REGEX", "STRING"}
_OPERATORS = {"ADD_OP", "MUL_OP", "COMPARE", "AND", "OR", "NOT", "IN", "IS", "CONTAINS", "STARTS", "ENDS", "MATCHES", "DOT", "LPAR"}


def _literal(name: str) -> str | None:
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" else None


def _describe_expected(expected: set[str]) -> str:
    """What the parser would have accepted, in words a policy author uses."""
    expected = set(expected)
    words: list[str] = []
    if len(expected & _VALUE_STARTERS) >= 5:
        words.append("an expression (a name, number, string, list or function call)")
        expected -= _VALUE_STARTERS
    if {"AND", "OR", "MATCHES"} <= expected:
        words.append("an operator (and, or, ==, contains, matches, …)")
        expected -= _OPERATORS
    literals = {name: _literal(name) for name in expected}
    statement_words = {n for n, w in literals.items() if w in STATEMENT_KEYWORDS or w == "@"}
    if len(statement_words) >= 3:
        words.append("a statement (" + ", ".join(STATEMENT_KEYWORDS) + ")")
        expected -= statement_words
    clause_words = {n for n, w in literals.items() if w in CLAUSE_KEYWORDS}
    if len(clause_words) >= 3:
        words.append("a rule clause (" + ", ".join(CLAUSE_KEYWORDS) + ")")
        expected -= clause_words
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif literals.get(name):
            words.append(f"'{literals[name]}'")
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"'{token.value}'"


_CLOSERS = {"{": "}", "[": "]", "(": ")"}


def _open_bracket_before(text: str, offset: int) -> int | None:
    """Offset of the innermost bracket still open at `offset` (strings and comments skipped)."""
    stack: list[int] = []
    index = 0
    while index < offset:
        char = text[index]
        if char in "\"/":
            line_end = text.find("\n", index)
            line_end = offset if line_end == -1 else min(line_end, offset)
            close = index + 1
            while close < line_end and text[close] != char:
                close += 2 if text[close] == "\\" else 1
            index = close + 1
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = newline if newline != -1 else offset
            continue
        if char in _CLOSERS:
            stack.append(index)
        elif char in _CLOSERS.values() and stack and _CLOSERS[text[stack[-1]]] == char:
            stack.pop()
        index += 1
    return stack[-1] if stack else None


def _syntax_diagnostic(error: UnexpectedInput, source: SourceFile) -> Diagnostic:
    text = source.text
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream
        char = text[offset]
        if char == '"':
            line_end = text.find("\n", offset)
            end = len(text) if line_end == -1 else line_end
            return Diagnostic(
                "BSM103", Severity.ERROR, "unclosed string: it starts here and the line ends before its closing '\"'",
                Span(source, offset, end), label="string opened here",
                notes=("help: close the string with '\"' on the same line; write \\\" for a quote inside it",),
            )
        if char == "/":
            return Diagnostic(
                "BSM103", Severity.ERROR, "unclosed regular expression: no closing '/' on this line",
                Span(source, offset, offset + 1), label="opened here",
            )
        expected = _describe_expected(set(error.allowed or ()))
        message = f"unexpected character '{char}'"
        if char in "\u00a0\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            message = f"invisible character U+{ord(char):04X} in the policy"
        return Diagnostic(
            "BSM102", Severity.ERROR, message + (f"; expected {expected}" if expected else ""),
            Span(source, offset, offset + 1), label="not allowed here",
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    try:
        expected_names = set(error.interactive_parser.accepts())
    except Exception:  # accepts() replays the parser; fall back to the table's view
        expected_names = set(error.expected or ())
    expected = _describe_expected(expected_names)
    if token.type == "$END":
        offset = len(text.rstrip())
        span = Span(source, max(0, offset - 1), offset) if offset else Span(source, 0, 0)
    else:
        span = Span(source, token.start_pos, token.end_pos)
    message = f"unexpected {_found(token)}" + (f"; expected {expected}" if expected else "")
    related: tuple[Related, ...] = ()
    code = "BSM101"
    at_statement_start = token.type == "$END" or _STATEMENT_START.match(text, text.rfind("\n", 0, token.start_pos) + 1)
    if at_statement_start:
        opened = _open_bracket_before(text, span.start if token.type != "$END" else len(text))
        if opened is not None:
            bracket = text[opened]
            closer = _CLOSERS[bracket]
            code = "BSM104"
            message = f"unclosed '{bracket}': expected '{closer}' before {_found(token)}"
            related = (Related(f"'{bracket}' opened here", Span(source, opened, opened + 1)),)
    return Diagnostic(code, Severity.ERROR, message, span, label="unexpected here", related=related)


def _statement_bounds(text: str, offset: int) -> tuple[int, int]:
    """The region to blank out after an error at `offset`: from the statement holding it to the
    next line that starts a statement. An error on the first token of a statement belongs to
    the statement before it (which was left unfinished)."""
    starts = [m.start() for m in _STATEMENT_START.finditer(text)]
    token_start = len(text) - len(text[offset:].lstrip(" \t"))
    line_start = text.rfind("\n", 0, offset) + 1
    if line_start in starts and text[line_start:offset].strip() == "" and offset > 0:
        earlier = [s for s in starts if s < line_start]
        if earlier:
            return earlier[-1], line_start
    del token_start
    before = [s for s in starts if s <= offset]
    begin = before[-1] if before else text.rfind("\n", 0, offset) + 1
    after = [s for s in starts if s > offset]
    end = after[0] if after else len(text)
    if end <= begin:
        end = len(text)
    return begin, end


def _blank(text: str, begin: int, end: int) -> str:
    return text[:begin] + re.sub(r"[^\n]", " ", text[begin:end]) + text[end:]


def parse_source(source: SourceFile) -> tuple[ast.Policy, list[Diagnostic]]:
    """Parse a policy: the AST of every statement that parsed, and one diagnostic per broken one."""
    diagnostics: list[Diagnostic] = []
    text = source.text
    lark = _lark()
    for _ in range(MAX_SYNTAX_ERRORS + 1):
        _comment_sink.tokens = comment_tokens = []
        try:
            tree = lark.parse(text)
        except UnexpectedInput as error:
            diagnostics.append(_syntax_diagnostic(error, source))
            offset = getattr(error, "pos_in_stream", None)
            if isinstance(error, UnexpectedToken) and error.token.type == "$END":
                offset = len(text.rstrip()) - 1
            begin, end = _statement_bounds(text, max(0, offset or 0))
            text = _blank(text, begin, end)
            continue
        finally:
            _comment_sink.tokens = None
        try:
            policy = build_policy(tree, source)
        except VisitError as error:  # a malformed literal the grammar let through
            raise error.orig_exc from None
        comments = tuple(ast.Comment(t.value, Span(source, t.start_pos, t.end_pos)) for t in comment_tokens)
        return attrs.evolve(policy, comments=comments), diagnostics
    return ast.Policy((), Span(source, 0, len(source.text))), diagnostics


def parse(text: str, name: str = "<text>") -> tuple[ast.Policy, list[Diagnostic]]:
    return parse_source(SourceFile(name, text))
