"""The policy language: parsing into an AST, loading includes, checking, examples, lints, the
formatter and the cache of checked policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.exports import lazy_exports

if TYPE_CHECKING:
    from .build import UNITS
    from .checker import CheckedPolicy, CheckedRule, PolicyUnit, compile_regex
    from .examples import VERDICT_NAMES, ExampleCase, collect_cases, expand_example
    from .formatter import format_expr, format_policy, format_statements
    from .loader import policy_files, read_source, resolve_include
    from .parser import (
        CLAUSE_KEYWORDS,
        STATEMENT_KEYWORDS,
        Expected,
        expected_at,
        grammar_keywords,
        parse,
        parse_source,
    )
    from .pipeline import check_source, check_units
    from .symbols import (
        CategorySymbol,
        ContextSymbol,
        DomainsSymbol,
        FieldSymbol,
        ListSymbol,
        PatternSymbol,
        ReasonSymbol,
        Symbol,
        VariableSymbol,
    )

__all__ = [
    "CLAUSE_KEYWORDS", "STATEMENT_KEYWORDS", "UNITS", "VERDICT_NAMES", "CategorySymbol", "CheckedPolicy", "CheckedRule",
    "ContextSymbol", "DomainsSymbol", "ExampleCase", "Expected", "FieldSymbol", "ListSymbol", "PatternSymbol",
    "PolicyUnit", "ReasonSymbol", "Symbol", "VariableSymbol", "check_source", "check_units", "collect_cases",
    "compile_regex", "expand_example", "expected_at", "format_expr", "format_policy", "format_statements",
    "grammar_keywords", "parse", "parse_source", "policy_files", "read_source", "resolve_include",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "parser": ("parse", "parse_source", "grammar_keywords", "expected_at", "Expected", "STATEMENT_KEYWORDS",
               "CLAUSE_KEYWORDS"),
    "build": ("UNITS",),
    "checker": ("CheckedPolicy", "CheckedRule", "PolicyUnit", "compile_regex"),
    "symbols": ("CategorySymbol", "ContextSymbol", "DomainsSymbol", "FieldSymbol", "ListSymbol",
                "PatternSymbol", "ReasonSymbol", "Symbol", "VariableSymbol"),
    "pipeline": ("check_source", "check_units"),
    "loader": ("read_source", "resolve_include", "policy_files"),
    "examples": ("ExampleCase", "expand_example", "collect_cases", "VERDICT_NAMES"),
    "formatter": ("format_policy", "format_statements", "format_expr"),
})
