"""Small example texts for hovers: a string a pattern matches, built from the pattern itself."""

from __future__ import annotations

import re
import unicodedata

import attrs

from bsm_rules.language import compile_regex

__all__ = ["sample_match"]

_MAX_LENGTH = 200
#: For each class escape (`\d`, `\S`, `\pL`, …) and POSIX class (`[:alpha:]`): a character in it,
#: and the characters it holds (a Unicode property is taken to be the letters).
_NAMED_CLASSES = {
    "d": ("7", r"\d"), "D": ("a", r"\D"), "s": (" ", r"\s"), "S": ("a", r"\S"), "w": ("a", r"\w"), "W": (" ", r"\W"),
    "p": ("a", r"[^\W\d_]"), "P": (" ", r"[\W\d_]"),
    "alpha": ("a", r"[^\W\d_]"), "alnum": ("a", r"[^\W_]"), "word": ("a", r"\w"), "digit": ("7", r"\d"),
    "xdigit": ("7", "[0-9A-Fa-f]"), "lower": ("a", "[a-z]"), "upper": ("A", "[A-Z]"), "space": (" ", r"\s"),
    "blank": (" ", "[ \t]"), "punct": (".", "[!-/:-@[-`{-~]"),
}
#: Characters tried, in order, for a negated class (`[^…]`).
_OUTSIDE_CANDIDATES = "abxq7 "
_ESCAPED_CHARACTERS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_ANCHOR_ESCAPES = frozenset("bBAZzG")
_QUANTIFIER = re.compile(r"\{(?:(\d+)(?:,\d*)?|,\d+)\}")
_FLAGS = re.compile(r"\?[aiLmsux-]*(?=[:)])")


def sample_match(pattern: str, flags: str) -> str | None:
    """A short non-empty text the pattern matches, or None when this simple construction (first
    alternative, fewest repetitions, first character of a class) does not produce one."""
    try:
        parsed = _Parser(pattern).parse()
        text = _build(parsed, minimum_one=False)
        if not text:
            text = _build(parsed, minimum_one=True)
        if not text or len(text) > _MAX_LENGTH:
            return None
        return text if compile_regex(pattern, flags).search(text) else None
    except Exception:  # noqa: BLE001 - syntax this reading does not know, or anything unexpected
        return None


# -- the pattern, as far as a sample needs it ----------------------------------------------------

@attrs.frozen
class _Characters:
    """Characters written as themselves (a literal, an escape, `.`)."""

    text: str


@attrs.frozen
class _Named:
    """A class escape (`d` for `\\d`, `p` for `\\p{…}`) or a POSIX class (`alpha`) inside a class."""

    name: str


@attrs.frozen
class _Class:
    """A character class: `[…]`, `[^…]`, `\\d`, … Its items are characters, (low, high) ranges
    and named classes."""

    items: tuple
    negated: bool = False


@attrs.frozen
class _Repeat:
    """`inner` repeated at least `low` times (`*`, `+`, `?`, `{n,m}`)."""

    low: int
    inner: tuple


@attrs.frozen
class _Branch:
    """Alternatives (`a|b`); a group is a branch with one alternative."""

    alternatives: tuple


class _TooLong(Exception):
    """The shortest match this construction finds is longer than a hover can show."""


class _Parser:
    """Reads a regular expression (the syntax RE2 and Python share) into the nodes above; what
    adds no characters to a match (anchors, lookarounds, flags, back-references) is dropped."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.position = 0

    def parse(self) -> tuple:
        nodes = self.alternation()
        if self.position != len(self.pattern):
            raise ValueError(f"unbalanced ')' at {self.position}")
        return nodes

    def peek(self, text: str) -> bool:
        return self.pattern.startswith(text, self.position)

    def take(self) -> str:
        if self.position >= len(self.pattern):
            raise ValueError("the pattern ends too early")
        char = self.pattern[self.position]
        self.position += 1
        return char

    def alternation(self) -> tuple:
        alternatives = [self.sequence()]
        while self.peek("|"):
            self.position += 1
            alternatives.append(self.sequence())
        return alternatives[0] if len(alternatives) == 1 else (_Branch(tuple(alternatives)),)

    def sequence(self) -> tuple:
        nodes: list = []
        while self.position < len(self.pattern) and not self.peek("|") and not self.peek(")"):
            atom = self.atom()
            low = self.quantifier()
            if low is None:
                if atom is not None:
                    nodes.append(atom)
            elif atom is None:
                raise ValueError(f"nothing to repeat at {self.position}")
            else:
                nodes.append(_Repeat(low, (atom,)))
        return tuple(nodes)

    def quantifier(self) -> int | None:
        """The fewest repetitions the quantifier at the position allows, or None without one."""
        char = self.pattern[self.position : self.position + 1]
        if char in ("*", "?", "+"):
            self.position += 1
            low = 1 if char == "+" else 0
        elif char == "{" and (written := _QUANTIFIER.match(self.pattern, self.position)):
            self.position = written.end()
            low = int(written.group(1) or 0)
        else:
            return None
        if self.peek("?") or self.peek("+"):  # lazy or possessive: the same fewest repetitions
            self.position += 1
        if self.pattern[self.position : self.position + 1] in ("*", "?", "+"):
            raise ValueError(f"multiple repeat at {self.position}")
        return low

    def atom(self):
        """The node at the position, or None for what matches no characters."""
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return self.character_class()
        if char == ".":
            return _Characters("x")
        if char in "^$":
            return None
        if char == "\\":
            return self.escape()
        if char in "*+?":
            raise ValueError(f"nothing to repeat at {self.position - 1}")
        return _Characters(char)

    def group(self):
        keeps = True
        if self.peek("?"):
            if self.peek("?#"):
                end = self.pattern.index(")", self.position)
                self.position = end + 1
                return None
            if self.peek("?P=") or self.peek("?("):
                raise ValueError("back-references and conditionals are not sampled")
            if self.peek("?P<") or (self.peek("?<") and not (self.peek("?<=") or self.peek("?<!"))):
                self.position = self.pattern.index(">", self.position) + 1
            elif self.peek("?:") or self.peek("?>"):
                self.position += 2
            elif self.peek("?=") or self.peek("?!"):
                self.position += 2
                keeps = False
            elif self.peek("?<=") or self.peek("?<!"):
                self.position += 3
                keeps = False
            elif flags := _FLAGS.match(self.pattern, self.position):
                self.position = flags.end()
                if self.take() == ")":
                    return None  # `(?i)`: flags for the rest of the pattern
            else:
                raise ValueError(f"unknown group syntax at {self.position}")
        inside = self.alternation()
        if self.take() != ")":
            raise ValueError("missing ')'")
        return _Branch((inside,)) if keeps else None

    def escape(self):
        char = self.take()
        if char in _ANCHOR_ESCAPES:
            return None
        if char in "dDsSwW":
            return _Class((_Named(char),))
        if char in "pP":
            self.skip_property_name()
            return _Class((_Named(char),))
        if char.isdigit() and char != "0":
            raise ValueError("back-references are not sampled")
        return _Characters(self.escaped_character(char))

    def escaped_character(self, char: str) -> str:
        """The character an escape other than a class or an anchor stands for."""
        if char in _ESCAPED_CHARACTERS:
            return _ESCAPED_CHARACTERS[char]
        if char == "0":  # up to two more octal digits
            end = self.position
            while end < min(self.position + 2, len(self.pattern)) and self.pattern[end] in "01234567":
                end += 1
            digits, self.position = self.pattern[self.position : end], end
            return chr(int("0" + digits, 8))
        if char == "x" and self.peek("{"):
            end = self.pattern.index("}", self.position)
            code, self.position = self.pattern[self.position + 1 : end], end + 1
            return chr(int(code, 16))
        if char in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[char]
            code = self.pattern[self.position : self.position + width]
            self.position += width
            return chr(int(code, 16))
        if char == "N" and self.peek("{"):
            end = self.pattern.index("}", self.position)
            name, self.position = self.pattern[self.position + 1 : end], end + 1
            return unicodedata.lookup(name)
        if char.isalnum():
            raise ValueError(f"unknown escape \\{char}")
        return char

    def character_class(self) -> _Class:
        negated = self.peek("^")
        if negated:
            self.position += 1
        items: list = []
        first = True
        while first or not self.peek("]"):
            first = False
            if self.peek("[:"):
                end = self.pattern.index(":]", self.position)
                items.append(_Named(self.pattern[self.position + 2 : end]))
                self.position = end + 2
                continue
            char = self.take()
            if char == "\\":
                escaped = self.take()
                if escaped in "dDsSwWpP":
                    if escaped in "pP":
                        self.skip_property_name()
                    items.append(_Named(escaped))
                    continue
                char = "\b" if escaped == "b" else self.escaped_character(escaped)
            if self.peek("-") and not self.peek("-]"):
                self.position += 1
                high = self.take()
                if high == "\\":
                    high = self.escaped_character(self.take())
                items.append((char, high))
            else:
                items.append(char)
        self.position += 1
        return _Class(tuple(items), negated)

    def skip_property_name(self) -> None:
        """Past the name of a Unicode property: `L` in `\\pL`, `{Greek}` in `\\p{Greek}`."""
        if self.peek("{"):
            self.position = self.pattern.index("}", self.position) + 1
        else:
            self.take()


# -- the sample ----------------------------------------------------------------------------------

def _build(nodes: tuple, minimum_one: bool) -> str:
    out = []
    for node in nodes:
        if isinstance(node, _Characters):
            out.append(node.text)
        elif isinstance(node, _Class):
            out.append(_class_member(node))
        elif isinstance(node, _Repeat):
            count = max(node.low, 1) if minimum_one else node.low
            part = _build(node.inner, minimum_one) if count else ""
            if len(part) * count > _MAX_LENGTH:
                raise _TooLong
            out.append(part * count)
        else:
            out.append(_build(node.alternatives[0], minimum_one))
    return "".join(out)


def _class_member(node: _Class) -> str:
    if node.negated:
        return next(c for c in _OUTSIDE_CANDIDATES if not any(_in_item(c, item) for item in node.items))
    item = node.items[0]
    if isinstance(item, _Named):
        return _NAMED_CLASSES.get(item.name, ("a", None))[0]
    return item[0]  # a character, or the low end of a range


def _in_item(char: str, item) -> bool:
    if isinstance(item, _Named):
        return item.name in _NAMED_CLASSES and re.fullmatch(_NAMED_CLASSES[item.name][1], char) is not None
    if isinstance(item, tuple):
        return item[0] <= char <= item[1]
    return char == item
