"""Parses policy text into an AST, recovering after syntax errors to report each broken statement."""

from __future__ import annotations

import difflib
import functools
import re
import threading
import typing
import unicodedata

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from ..core.cache import cache_file
from ..core.diagnostics import Diagnostic, Fix, Related, Severity
from ..core.resources import grammar_text
from ..core.source import SourceFile, Span
from . import ast
from .build import build_node, build_policy, token_span

__all__ = [
    "CLAUSE_KEYWORDS", "LOOK_ALIKES", "STATEMENT_KEYWORDS", "Expected", "expected_at", "grammar_keywords", "parse",
    "parse_source",
]

STATEMENT_KEYWORDS = ("policy", "include", "category", "pattern", "list", "domains", "rule", "override", "disable",
                      "example", "examples")
CLAUSE_KEYWORDS = ("message", "when", "require", "forbid", "severity", "note")
MAX_SYNTAX_ERRORS = 50
#: How deeply a statement may nest (operators chained, `not`, brackets, calls, lists; BSM105), so
#: that checking, compiling and formatting it stay within Python's recursion and parser limits.
MAX_NESTING = 64

_STATEMENT_START = re.compile(rf"^[ \t]*(?:@|(?:{'|'.join(STATEMENT_KEYWORDS)})\b)", re.MULTILINE)

#: Cyrillic and Greek letters that look like Latin ones (names are ASCII; strings are compared
#: letter by letter, so a look-alike never matches the text it seems to say).
LOOK_ALIKES = dict(zip(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501\u0410\u0412\u0415\u041a\u041c\u041d"
    "\u041e\u0420\u0421\u0422\u0425\u0406\u0408\u0405\u03bf\u03b1\u03bd\u03c1\u039f\u0391\u0392\u0395\u0396"
    "\u0397\u0399\u039a\u039c\u039d\u03a1\u03a4\u03a5\u03a7",
    "aeopcyxijshdABEKMHOPCTXIJSoavpOABEZHIKMNPTYX",
    strict=True,
))

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
    # The LALR tables take a second to build; lark keeps them in a file checked by the grammar's hash.
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
                lexer_callbacks={"COMMENT": _collect_comment}, cache=cache_file("lark-bsm-grammar.cache"))


def grammar_keywords() -> frozenset[str]:
    """The words the grammar writes as literals (`rule`, `fires`, `starts`, …): none can be a name."""
    return frozenset(terminal.pattern.value for terminal in _lark().terminals
                     if terminal.pattern.type == "str" and terminal.pattern.value.isidentifier())


_VALUE_STARTERS = {"ALL", "ANY", "FALSE", "TRUE", "LPAR", "LSQB", "MINUS", "NAME", "NUMBER", "REGEX", "STRING"}
_OPERATORS = {"ADD_OP", "MUL_OP", "COMPARE", "AND", "OR", "NOT", "IN", "IS", "CONTAINS", "STARTS", "ENDS", "MATCHES",
              "DOT", "LPAR", "UNIT"}
_MAX_SHOWN = 30


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
    if {"AND", "OR"} <= expected:
        words.append("an operator (and, or, ==, +, contains, matches, …)")
        expected -= _OPERATORS
    literals = {name: word for name in expected if (word := _literal(name))}
    statement_words = {n for n, w in literals.items() if w in STATEMENT_KEYWORDS or w == "@"}
    if len(statement_words) >= 3:
        words.append("a statement (" + ", ".join(STATEMENT_KEYWORDS) + ")")
        expected -= statement_words
    clause_words = {n for n, w in literals.items() if w in CLAUSE_KEYWORDS}
    if len(clause_words) >= 3:
        words.append("a rule clause (" + ", ".join(CLAUSE_KEYWORDS) + ")")
        expected -= clause_words
    if "$END" in expected:
        words.append(_TERMINAL_WORDS["$END"])
        expected.discard("$END")
    keywords = sorted(n for n in expected if n in literals and literals[n][0].isalpha())
    punctuation = sorted(n for n in expected if n in literals and not literals[n][0].isalpha())
    for name in keywords + punctuation:
        words.append(f"'{literals[name]}'")
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    shown = token.value if len(token.value) <= _MAX_SHOWN else token.value[: _MAX_SHOWN - 1] + "…"
    if token.type == "STRING":
        return f"string {shown}"
    if token.type == "REGEX":
        return f"regular expression {shown}"
    return f"'{shown}'"


def _keyword_suggestion(token: Token, expected: set[str]) -> str | None:
    """The keyword a misspelt word was probably meant to be (`ruel` → `rule`)."""
    if token.type not in ("NAME", "RULE_ID") or len(token.value) < 3:
        return None
    keywords = [w for w in (_literal(n) for n in expected) if w and w.isalpha()]
    close = difflib.get_close_matches(token.value, keywords, n=1, cutoff=0.7)
    return close[0] if close else None


def _misspelt_leading_keyword(previous: Token | None, text: str) -> tuple[str, tuple[int, int]] | None:
    """A word that starts its line and looks like a statement or clause keyword, with the keyword
    and the word's offsets. In `forbidd links(text)` the lexer, which expects a clause keyword
    there, reads `forbid` and then the name `d`, and the parser stumbles only on `links`."""
    if previous is None or previous.type != "NAME" or previous.start_pos is None or previous.end_pos is None:
        return None
    start = previous.start_pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    word = text[start:previous.end_pos]
    if len(word) < 3 or text[text.rfind("\n", 0, start) + 1 : start].strip():
        return None
    close = difflib.get_close_matches(word, STATEMENT_KEYWORDS + CLAUSE_KEYWORDS, n=1, cutoff=0.7)
    if not close or close[0] == word:
        return None
    return close[0], (start, previous.end_pos)


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
        offset: int = error.pos_in_stream  # type: ignore[assignment]  # lark declares it None on the base class
        char = text[offset]
        if char == '"':
            line_end = text.find("\n", offset)
            end = len(text) if line_end == -1 else line_end
            body_end = len(text[:end].rstrip())
            return Diagnostic(
                "BSM103", Severity.ERROR, "unclosed string: it starts here and the line ends before its closing '\"'",
                Span(source, offset, end), label="string opened here",
                notes=("note: write \\\" for a quote inside a string",),
                fixes=(Fix("close the string at the end of the line", Span(source, body_end, body_end), '"'),),
            )
        if char == "/":
            return _unclosed_regex(source, offset)
        expected = _describe_expected(_accepted(error, error.allowed))
        look_alike = _look_alike(source, offset)
        if look_alike:
            return look_alike
        message = f"unexpected character '{char}'"
        span = Span(source, offset, offset + 1)
        fixes: tuple[Fix, ...] = ()
        notes: tuple[str, ...] = ()
        if char in "&|":
            word = "and" if char == "&" else "or"
            span = Span(source, offset, offset + (2 if text[offset : offset + 2] == char * 2 else 1))
            fixes = (Fix(f"write `{word}`", span, word),)
        elif char == "'":
            notes = ("note: strings are written in double quotes",)
            close = text.find("'", offset + 1, (text.find("\n", offset) + 1 or len(text) + 1) - 1)
            if close != -1:
                quoted = Span(source, offset, close + 1)
                fixes = (Fix("use double quotes", quoted, '"' + text[offset + 1 : close].replace('"', '\\"') + '"'),)
        elif char in "\u00a0\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            message = f"invisible character U+{ord(char):04X} in the policy"
            fixes = (Fix("remove the character", span, " " if char == "\u00a0" else ""),)
        return Diagnostic(
            "BSM102", Severity.ERROR, message + (f"; expected {expected}" if expected else ""),
            span, label="not allowed here", notes=notes, fixes=fixes,
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    assert token.start_pos is not None  # lark places every token it parses
    if token.value == "/" and "REGEX" in (error.expected or ()):
        return _unclosed_regex(source, token.start_pos)
    if token.type != "$END" and (look_alike := _look_alike(source, token.start_pos)):
        return look_alike
    expected_names = _accepted(error, error.expected)
    expected = _describe_expected(expected_names)
    if token.type == "$END":
        offset = len(text.rstrip())
        span = Span(source, max(0, offset - 1), offset) if offset else Span(source, 0, 0)
    else:
        span = token_span(source, token)
    opened = _unclosed_bracket(text, token)
    if opened is not None:
        bracket = text[opened]
        closer = _CLOSERS[bracket]
        insert_at = len(text[: token.start_pos if token.type != "$END" else len(text)].rstrip())
        return Diagnostic(
            "BSM104", Severity.ERROR, f"unclosed '{bracket}': expected '{closer}' before {_found(token)}", span,
            label=f"expected '{closer}' before this",
            related=(Related(f"'{bracket}' opened here", Span(source, opened, opened + 1)),),
            fixes=(Fix(f"insert '{closer}'", Span(source, insert_at, insert_at), ("\n" if bracket == "{" else "") + closer),),
        )
    previous = (getattr(error, "token_history", None) or [None])[-1]
    after = f" after {_found(previous)}" if previous is not None and expected.startswith("an expression") else ""
    message = f"unexpected {_found(token)}{after}" + (f"; expected {expected}" if expected else "")
    fixes = ()
    suggestion = _keyword_suggestion(token, expected_names)
    misspelt = _misspelt_leading_keyword(previous, text)
    if suggestion:
        fixes = (Fix(f"did you mean `{suggestion}`?", span, suggestion),)
    elif misspelt is not None:
        keyword, word_span = misspelt[0], Span(source, *misspelt[1])
        fixes = (Fix(f"did you mean `{keyword}`?", word_span, keyword),)
    elif token.value == "=" and "COMPARE" in expected_names:
        fixes = (Fix("compare with '=='", span, "=="),)
    elif expected_names == {"LBRACE"} and (brace_at := _end_of_last_token(error)) is not None:
        fixes = (Fix("insert '{'", Span(source, brace_at, brace_at), " {"),)
    return Diagnostic("BSM101", Severity.ERROR, message, span, label="unexpected here", fixes=fixes)


def _end_of_last_token(error: UnexpectedInput) -> int | None:
    """Where the last token the parser took ends."""
    parser = getattr(error, "interactive_parser", None)
    stack = parser.parser_state.value_stack if parser is not None else []
    if not stack:
        return None
    last = stack[-1]
    if isinstance(last, Token):
        return last.end_pos
    return None if last.meta.empty else last.meta.end_pos


def _accepted(error: UnexpectedInput, fallback) -> set[str]:
    """The terminals the parser would have accepted where it failed."""
    try:
        return set(error.interactive_parser.accepts())
    except Exception:  # noqa: BLE001 - accepts() replays the parser; fall back to the table's (larger) view
        return set(fallback or ())


def _look_alike(source: SourceFile, offset: int) -> Diagnostic | None:
    """A Cyrillic or Greek look-alike letter in the word at `offset` (`pаttern` with a Cyrillic
    `а` stops the lexer at its `p`), or None."""
    word_match = re.match(r"\w*", source.text[offset:])
    assert word_match is not None  # \w* matches an empty word too
    word = word_match.group()
    index = next((i for i, letter in enumerate(word) if letter in LOOK_ALIKES), None)
    if index is None:
        return None
    char = word[index]
    latin = LOOK_ALIKES[char]
    span = Span(source, offset + index, offset + index + 1)
    return Diagnostic(
        "BSM102", Severity.ERROR, f"'{char}' (U+{ord(char):04X} {unicodedata.name(char, '')}) only looks like the Latin '{latin}'",
        span, label="not a Latin letter", notes=("note: names and keywords are written in Latin letters",),
        fixes=(Fix(f"write the Latin '{latin}'", span, latin),),
    )


def _unclosed_regex(source: SourceFile, offset: int) -> Diagnostic:
    line_end = source.text.find("\n", offset)
    end = len(source.text) if line_end == -1 else line_end
    return Diagnostic(
        "BSM103", Severity.ERROR, "unclosed regular expression: the line ends before its closing '/'",
        Span(source, offset, end), label="regular expression opened here",
        notes=("help: end the pattern with '/' (and its flags) on the same line; write \\/ for a slash inside it",),
    )


def _unclosed_bracket(text: str, token: Token) -> int | None:
    """The bracket left open when the parser meets the next statement (or clause, or the end of
    the file) while still inside it; None when the error is something else."""
    if token.type == "$END":
        return _open_bracket_before(text, len(text))
    assert token.start_pos is not None  # lark places every token it parses
    if token.value in _CLOSERS.values():  # `any(… }`: the innermost bracket is another one
        opened = _open_bracket_before(text, token.start_pos)
        return opened if opened is not None and _CLOSERS[text[opened]] != token.value else None
    line_start = text.rfind("\n", 0, token.start_pos) + 1
    if text[line_start : token.start_pos].strip():
        return None
    opened = _open_bracket_before(text, token.start_pos)
    if opened is None:
        return None
    if token.value in STATEMENT_KEYWORDS or token.value == "@":
        return opened
    if token.value in CLAUSE_KEYWORDS and text[opened] in "([":
        return opened
    return None


def _statement_groups(text: str) -> list[int]:
    """Offsets where statements begin: a line starting with a statement keyword, or the first
    of the annotation lines right above it."""
    groups: list[int] = []
    previous_annotation_end = -2
    for match in _STATEMENT_START.finditer(text):
        line_start = match.start()
        if line_start != previous_annotation_end + 1:
            groups.append(line_start)
        line_end = text.find("\n", line_start)
        is_annotation = match.group().lstrip().startswith("@")
        previous_annotation_end = (len(text) if line_end == -1 else line_end) if is_annotation else -2
    return groups


def _statement_bounds(text: str, offset: int) -> tuple[int, int]:
    """The region to blank out after an error at `offset`: from the statement holding it to the
    next statement. An error on the first token of a statement belongs to the statement before
    it (which was left unfinished)."""
    starts = _statement_groups(text)
    line_start = text.rfind("\n", 0, offset) + 1
    if line_start in starts and text[line_start:offset].strip() == "" and offset > 0:
        earlier = [s for s in starts if s < line_start]
        if earlier:
            return earlier[-1], line_start
    before = [s for s in starts if s <= offset]
    begin = before[-1] if before else line_start
    after = [s for s in starts if s > offset]
    end = after[0] if after else len(text)
    if end <= begin:
        end = len(text)
    return begin, end


def _current_statement_start(error: UnexpectedInput) -> int | None:
    """Where the statement the parser was inside when it failed begins (its annotations
    included), from the parser's value stack; None when the error does not say."""
    parser = getattr(error, "interactive_parser", None)
    if parser is None:
        return None
    for value in parser.parser_state.value_stack:
        if isinstance(value, Token):
            return value.start_pos
        if not value.data.startswith("__start_star") and not value.meta.empty:
            return value.meta.start_pos
    return None


def _first_too_deep(tree: Tree) -> tuple[int, int] | None:
    """Where the first subtree nested deeper than `MAX_NESTING` below its statement starts and
    ends; None when every statement is shallow enough. Iterative: the tree may be deep."""
    stack = [(statement, 0) for statement in reversed(tree.children) if isinstance(statement, Tree)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING and not node.meta.empty:
            return node.meta.start_pos, node.meta.end_pos
        stack.extend((child, depth + 1) for child in reversed(node.children) if isinstance(child, Tree))
    return None


def _deeper_than(tree: Tree, limit: int) -> bool:
    """Whether `tree` nests more than `limit` levels. Iterative: the tree may be deep."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return False


def _blank(text: str, begin: int, end: int) -> str:
    return text[:begin] + re.sub(r"[^\n]", " ", text[begin:end]) + text[end:]


def parse_source(source: SourceFile) -> tuple[ast.Policy, list[Diagnostic]]:
    """Parse a policy: the AST of every statement that parsed, and one diagnostic per broken one."""
    diagnostics: list[Diagnostic] = []
    text = source.text
    lark = _lark()
    for _ in range(MAX_SYNTAX_ERRORS + 1):
        comment_tokens: list[Token] = []
        _comment_sink.tokens = comment_tokens
        try:
            tree = lark.parse(text)
        except UnexpectedInput as error:
            diagnostics.append(_syntax_diagnostic(error, source))
            offset = getattr(error, "pos_in_stream", None)
            if isinstance(error, UnexpectedToken) and error.token.type == "$END":
                offset = len(text.rstrip()) - 1
            begin, end = _statement_bounds(text, max(0, offset or 0))
            current = _current_statement_start(error)
            if current is not None and current < begin:
                begin = current
            text = _blank(text, begin, end)
            continue
        finally:
            _comment_sink.tokens = None
        too_deep = _first_too_deep(tree)
        if too_deep is not None:
            diagnostics.append(Diagnostic(
                "BSM105", Severity.ERROR, f"nested too deeply: more than {MAX_NESTING} levels of operators, "
                "brackets and calls", Span(source, *too_deep), label=f"level {MAX_NESTING + 1} starts here",
                notes=("help: put alternatives in a `list` or a `pattern`, or split the condition over several rules",),
            ))
            begin, end = _statement_bounds(text, too_deep[0])
            text = _blank(text, begin, end)
            continue
        try:
            policy = build_policy(tree, source)
        except VisitError as error:  # a malformed literal the grammar let through
            raise error.orig_exc from None
        comments = tuple(ast.Comment(t.value, token_span(source, t)) for t in comment_tokens)
        return attrs.evolve(policy, comments=comments), diagnostics
    stopped = f"note: stopped after {len(diagnostics)} syntax errors; the rest of the file was not checked"
    diagnostics[-1] = attrs.evolve(diagnostics[-1], notes=(*diagnostics[-1].notes, stopped))
    return ast.Policy((), Span(source, 0, len(source.text))), diagnostics


def parse(text: str, name: str = "<text>") -> tuple[ast.Policy, list[Diagnostic]]:
    return parse_source(SourceFile(name, text))


# -- what may come next at a cursor (for completion) ------------------------------------------

@attrs.frozen
class Expected:
    """What the grammar lets come next at a cursor, as the parser reads the statement up to it
    (the word being typed there left out)."""

    #: The accepted tokens: the grammar's literal words and punctuation as written (`rule`, `{`),
    #: a word that only other words may follow as the phrases it starts (`starts with`, `is absent`),
    #: other terminals by name (`NAME`, `STRING`, `REGEX`, `NUMBER`, `UNIT`, `SEVERITY`, `RULE_ID`,
    #: `COMPARE`, `ADD_OP`, `MUL_OP`, `$END`). Empty inside a string, a regular expression or a comment.
    tokens: frozenset[str] = frozenset()
    #: The tokens of the statement before the cursor, in the same terms, the nearest last.
    before: tuple[str, ...] = ()
    #: The expression right before the last one or two of those tokens: `recipient` in
    #: `recipient.`, `l.domain` in `l.domain not in`, `text` in `text matches`.
    operand: ast.Expr | None = None
    #: The quantifier variables in scope, outermost first, each with the expression it goes over.
    variables: tuple[tuple[str, ast.Expr], ...] = ()


_EXPRESSIONS = typing.get_args(ast.Expr)
_TYPED_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_MAX_PHRASE_WORDS = 4
_MAX_FALSE_STARTS = 8


@functools.lru_cache(maxsize=1)
def _literals() -> dict[str, str]:
    """Terminal name -> the text of the terminals the grammar writes literally."""
    return {t.name: t.pattern.value for t in _lark().terminals if t.pattern.type == "str"}


def _term(name: str) -> str:
    return _literals().get(name, name)


def _typed_word_start(text: str, offset: int) -> int:
    """Where the name, keyword or rule id being typed at `offset` begins (`offset` when none is)."""
    start = offset
    while start > 0 and text[start - 1] in _TYPED_WORD_CHARS:
        start -= 1
    while start < offset and not (text[start].isalpha() or text[start] == "_"):
        start += 1  # digits and '-' before the first letter are a number or an operator
    return start


def expected_at(text: str, offset: int) -> Expected:
    """What may be written at `offset` in `text`: the parser reads the statement holding the
    cursor up to the word being typed there. The text after the cursor is not read; a token
    before it that the parser cannot take is left out, so that an unfinished or broken statement
    still says what may come next."""
    offset = max(0, min(offset, len(text)))
    cut = _typed_word_start(text, offset)
    starts = _statement_groups(text[:cut]) or [0]
    index = len(starts) - 1
    while True:
        start = starts[index]
        # Blanks keep the offsets of the text, so that the nodes built from it have their real spans.
        visible = " " * start + text[start:cut]
        read = _read(visible)
        if isinstance(read, Expected):
            return read
        begin, end = read
        # A line can start with a statement's keyword inside a statement (`category: "…"` in an
        # example's message): when what is read from there breaks on that line, read from the
        # statement before.
        if index > 0 and len(starts) - index < _MAX_FALSE_STARTS and "\n" not in visible[start:begin]:
            index -= 1
            continue
        return _expected_despite(visible, begin, end)


def _expected_despite(text: str, begin: int, end: int) -> Expected:
    """What the parser accepts at the end of `text` when the tokens it cannot take, the first
    from `begin` to `end`, are left out."""
    for _ in range(MAX_SYNTAX_ERRORS):
        text = text[:begin] + " " * (end - begin) + text[end:]
        read = _read(text)
        if isinstance(read, Expected):
            return read
        begin, end = read
    return Expected()


def _read(text: str) -> Expected | tuple[int, int]:
    """What the parser accepts at the end of `text`, or where the first token it cannot take
    begins and ends (nothing is accepted inside a string or regular expression left open)."""
    try:
        return _expected_after(text)
    except UnexpectedInput as error:
        begin, end = _unexpected_extent(error)
        return Expected() if _opens_literal(text, error, begin) else (begin, end)


def _unexpected_extent(error: UnexpectedInput) -> tuple[int, int]:
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        return error.token.start_pos, max(error.token.end_pos, error.token.start_pos + 1)
    position = getattr(error, "pos_in_stream", None) or 0
    return position, position + 1


def _opens_literal(text: str, error: UnexpectedInput, begin: int) -> bool:
    """Whether the text ends inside a string or regular expression that opens at `begin` (its
    closing quote or slash not written yet)."""
    if "\n" in text[begin:]:
        return False
    if isinstance(error, UnexpectedCharacters):
        return text[begin] in "\"/"
    return isinstance(error, UnexpectedToken) and error.token.value == "/" and "REGEX" in (error.expected or ())


def _expected_after(text: str) -> Expected:
    """What the parser accepts at the end of `text`; raises UnexpectedInput where it cannot go on."""
    parser = _lark().parse_interactive(text)
    before: list[str] = []
    comments: list[Token] = []
    _comment_sink.tokens = comments
    try:
        for token in parser.iter_parse():
            before.append(_term(token.type))
    finally:
        _comment_sink.tokens = None
    if comments and comments[-1].end_pos == len(text):
        return Expected()  # the cursor is in a comment
    tokens = frozenset(phrase for name in parser.accepts() for phrase in _phrases(parser, name))
    source = SourceFile("<text>", text)
    stack = parser.parser_state.value_stack
    return Expected(tokens, tuple(before), _operand(stack, source), _quantifier_variables(stack, source))


def _phrases(parser, name: str, words: int = 1) -> list[str]:
    """The accepted terminal `name` in the terms of `Expected.tokens`: a word after which the
    grammar allows only words becomes the phrases it starts (`is` -> `is present`, `is absent`)."""
    word = _literals().get(name)
    if word is None or not word.isalpha() or words >= _MAX_PHRASE_WORDS:
        return [word or name]
    follower = parser.copy(deepcopy_values=False)
    follower.feed_token(Token(name, word))
    following = follower.accepts()
    if not following or not all(_literals().get(n, "").isalpha() for n in following):
        return [word]
    return [f"{word} {rest}" for n in sorted(following) for rest in _phrases(follower, n, words + 1)]


def _expression(value, source: SourceFile) -> ast.Expr | None:
    # A tree nested too deeply is a syntax error (BSM105) and too deep to build: no expression.
    if not isinstance(value, Tree) or _deeper_than(value, MAX_NESTING):
        return None
    try:
        node = build_node(value, source)
    except VisitError:  # a malformed literal the grammar let through
        return None
    return node if isinstance(node, _EXPRESSIONS) else None


def _operand(stack: list, source: SourceFile) -> ast.Expr | None:
    """The expression below the last one or two tokens on the parser's value stack."""
    for depth in (2, 3):
        if len(stack) < depth or not all(isinstance(v, Token) for v in stack[len(stack) - depth + 1:]):
            return None
        if isinstance(stack[-depth], Tree):
            return _expression(stack[-depth], source)
    return None


def _quantifier_variables(stack: list, source: SourceFile) -> tuple[tuple[str, ast.Expr], ...]:
    """The variables of the quantifiers still open on the value stack after their `:`
    (`any(a in attachments: …`)."""
    found = []
    for index in range(len(stack) - 5):
        kind, _lpar, variable, _in, over, colon = stack[index : index + 6]
        if (isinstance(kind, Tree) and kind.data == "quantifier_kind" and isinstance(variable, Tree)
                and getattr(colon, "type", None) == "COLON"):
            source_expr = _expression(over, source)
            if source_expr is not None:
                found.append((str(variable.children[0]), source_expr))
    return tuple(found)
