"""The language server's statement-group parser gives exactly the whole-file parse: the same
statements, comments and spans, and the whole-file diagnostics when anything is broken."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bsm_rules.language import ast
from bsm_rules.language.parser import parse_source
from bsm_rules.core.resources import bundled_policy_path
from bsm_rules.core.source import SourceFile
from bsm_lsp.incremental import ParseCache, statement_groups

STATEMENTS = [
    'policy "p" version "1"\n',
    '@doc("d")\n@allow("BSM501")\npattern p = /a{2}\\/b/i   # trailing\n',
    'list l = [\n  "a", "b",\n  "c",\n]\n',
    "# a comment line\n\n",
    "category c {\n  reasons r1, r2\n  aliases a1\n}\n",
    'rule r-1 error {\n  message "m {match}"\n  when text contains l\n  forbid subject matches p\n'
    '    or body matches /x/\n}\n',
    "override r-1 {\n  severity warning\n}\n",
    "disable r-2\n",
    'include "other.bsm"\n',
    "rule r-3 warning { forbid any(a in attachments: a.size > 10 MiB) }\n",
    'domains d = ["ups.com"]\n',
    "rule broken error {\n  forbid text ==\n}\n",
    "pattern unclosed = /abc\n",
    "   @doc(\"indented\") list x = [\"y\"]\n",
]


def spans(policy: ast.Policy) -> list[tuple[str, int, int, bool]]:
    nodes = [n for statement in policy.statements for n in ast.walk(statement)] + list(policy.comments)
    return [(type(n).__name__, n.span.start, n.span.end, n.span.source is policy.span.source) for n in nodes]


def assert_same_parse(text: str) -> None:
    source = SourceFile("/policies/p.bsm", text)
    cache = ParseCache(small_document=0)
    for _ in range(2):  # cold, then from the cache
        grouped, grouped_syntax = cache.parse(source)
        whole, whole_syntax = parse_source(source)
        assert grouped == whole
        assert grouped.comments == whole.comments
        assert spans(grouped) == spans(whole)
        assert [(d.code, d.span.start, d.message) for d in grouped_syntax] == [
            (d.code, d.span.start, d.message) for d in whole_syntax]


@pytest.mark.parametrize("name", ["amazon", "amazon-sp-api"])
def test_bundled_policies_parse_the_same(name):
    assert_same_parse(bundled_policy_path(name).read_text(encoding="utf-8"))


@settings(deadline=None)
@given(st.lists(st.sampled_from(STATEMENTS), max_size=12), st.sampled_from(["", "\n", "  \n\n"]))
def test_any_sequence_of_statements_parses_the_same(parts, separator):
    assert_same_parse(separator.join(parts))


def test_a_long_policy_is_split_into_statement_groups():
    text = "".join(STATEMENTS[:3])
    assert statement_groups(text) == [0, text.index("@doc"), text.index("list l")]
