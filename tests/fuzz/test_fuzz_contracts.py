"""The contracts themselves: each one notices the failure it is there to notice, so that a quiet
fuzz run means something."""

from __future__ import annotations

import pytest
from contracts import (
    ContractBroken,
    bytes_of,
    check_messages,
    check_policy,
    diagnostics_located,
    sample_messages,
    text_of,
    verdict_holds,
)
from hypothesis import given
from hypothesis import strategies as st

from bsm_rules.core import Diagnostic, Severity, SourceFile
from bsm_rules.engine import load_policy
from bsm_rules.engine.verdict import Verdict, Violation


@given(st.text())
def test_bytes_of_text_read_back_as_the_text(text):
    assert text_of(bytes_of(text)) == text


def test_bytes_that_are_not_utf8_become_lone_surrogates():
    assert text_of(b"a\xffb") == "a\udcffb"


def test_a_diagnostic_located_outside_its_text_breaks_the_contract():
    source = SourceFile("x.bsm", "rule")
    outside = Diagnostic("BSM101", Severity.ERROR, "unexpected", source.span(2, 9))
    with pytest.raises(ContractBroken, match="outside its text"):
        diagnostics_located([outside], {"x.bsm": source})
    with pytest.raises(ContractBroken, match="never checked"):
        diagnostics_located([Diagnostic("BSM101", Severity.ERROR, "x", source.span(0, 1))], {})
    with pytest.raises(ContractBroken, match="unknown diagnostic code"):
        diagnostics_located([Diagnostic("BSM999", Severity.ERROR, "x", source.span(0, 1))], {"x.bsm": source})


def test_a_violation_pointing_past_its_field_breaks_the_contract():
    policy = load_policy("bundled:amazon")
    message = sample_messages()[0]
    rule = policy.rule_ids[0]
    beyond = Violation(rule, "error", "m", "body", 0, len(message.body) + 1, message.body)
    with pytest.raises(ContractBroken, match="outside"):
        verdict_holds(Verdict("m", (beyond,)), message, policy)
    wrong_excerpt = Violation(rule, "error", "m", "body", 0, 1, "?")
    with pytest.raises(ContractBroken, match="excerpt"):
        verdict_holds(Verdict("m", (wrong_excerpt,)), message, policy)
    with pytest.raises(ContractBroken, match="not an enabled rule"):
        verdict_holds(Verdict("m", (Violation("no-such-rule", "error", "m"),)), message, policy)


def test_the_seed_inputs_keep_their_contracts():
    check_policy(b'rule a error {\n  forbid body contains "x"\n}\n')
    check_messages(b'{"id": "a", "body": "x"}\n\n{"id": "b"\n')
