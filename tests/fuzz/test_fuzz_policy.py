"""Fuzzing the policy checker, formatter and compiler with policy text built from the grammar and
the bundled policies (contract: `contracts.check_policy`)."""

from __future__ import annotations

from fuzzing import fuzz_settings, run_target
from generators import checking_policy_inputs, policy_inputs
from hypothesis import given


@fuzz_settings(brief=60)
@given(policy_inputs)
def test_policy_text_is_checked_formatted_and_evaluated_within_the_contract(data):
    run_target("policy", data)


@fuzz_settings(brief=25)
@given(checking_policy_inputs)
def test_policies_that_likely_check_compile_and_evaluate_within_the_contract(data):
    run_target("policy", data)
