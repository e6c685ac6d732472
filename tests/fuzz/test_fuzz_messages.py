"""Fuzzing the message readers and batch evaluation with JSON and JSON Lines bytes (contract:
`contracts.check_messages`)."""

from __future__ import annotations

from fuzzing import fuzz_settings, run_target
from generators import message_inputs
from hypothesis import given


@fuzz_settings(brief=60)
@given(message_inputs)
def test_message_input_gets_one_result_per_message_and_no_internal_error(data):
    run_target("messages", data)
