"""Small example texts for hovers: a string a pattern matches, built from the pattern itself."""

from __future__ import annotations

import re._constants as sre
import re._parser as sre_parse

from bsm_rules.language.checker import compile_regex

__all__ = ["sample_match"]

_CATEGORY_SAMPLES = {
    sre.CATEGORY_DIGIT: "7", sre.CATEGORY_NOT_DIGIT: "a", sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: "a", sre.CATEGORY_WORD: "a", sre.CATEGORY_NOT_WORD: " ",
}
_MAX_LENGTH = 200


def sample_match(pattern: str, flags: str) -> str | None:
    """A short non-empty text the pattern matches, or None when this simple construction (first
    alternative, fewest repetitions, first character of a class) does not produce one."""
    try:
        parsed = sre_parse.parse(pattern)
        text = _build(parsed, minimum_one=False)
        if not text:
            text = _build(parsed, minimum_one=True)
        if not text or len(text) > _MAX_LENGTH:
            return None
        return text if compile_regex(pattern, flags).search(text) else None
    except Exception:  # noqa: BLE001 - RE2 syntax Python cannot parse, or anything unexpected
        return None


class _TooLong(Exception):
    """The shortest match this construction finds is longer than a hover can show."""


def _build(items, minimum_one: bool) -> str:
    out = []
    for op, argument in items:
        if op is sre.LITERAL:
            out.append(chr(argument))
        elif op is sre.NOT_LITERAL:
            out.append("a" if argument != ord("a") else "b")
        elif op is sre.ANY:
            out.append("x")
        elif op is sre.IN:
            out.append(_class_member(argument))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _high, inner = argument
            count = max(low, 1) if minimum_one else low
            part = _build(inner, minimum_one) if count else ""
            if len(part) * count > _MAX_LENGTH:
                raise _TooLong
            out.append(part * count)
        elif op is sre.SUBPATTERN:
            out.append(_build(argument[-1], minimum_one))
        elif op is sre.BRANCH:
            out.append(_build(argument[1][0], minimum_one))
        elif op is sre.ATOMIC_GROUP:
            out.append(_build(argument, minimum_one))
        # AT (anchors and \b), assertions and the rest add no characters.
    return "".join(out)


def _class_member(members) -> str:
    negated = any(op is sre.NEGATE for op, _ in members)
    if negated:
        excluded = {chr(a) for op, a in members if op is sre.LITERAL}
        return next(c for c in "axq7 " if c not in excluded)
    for op, argument in members:
        if op is sre.LITERAL:
            return chr(argument)
        if op is sre.RANGE:
            return chr(argument[0])
        if op is sre.CATEGORY:
            return _CATEGORY_SAMPLES.get(argument, "a")
    return "a"
