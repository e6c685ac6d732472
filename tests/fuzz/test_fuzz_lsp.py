"""Fuzzing the language server's analysis and features with document text, and with documents
being edited (contract: `contracts.check_lsp`)."""

from __future__ import annotations

from contracts import bytes_of
from fuzzing import fuzz_settings, run_target
from generators import edit_sequences, policy_inputs
from hypothesis import given


@fuzz_settings(brief=40)
@given(policy_inputs)
def test_any_document_text_is_analysed_and_answered_within_the_contract(data):
    run_target("lsp", data)


@fuzz_settings(brief=15)
@given(edit_sequences())
def test_every_version_of_an_edited_document_is_answered_within_the_contract(versions):
    for text in versions:  # the parse caches carry statements over from one version to the next
        run_target("lsp", bytes_of(text))
