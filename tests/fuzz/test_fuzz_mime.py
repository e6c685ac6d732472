"""Fuzzing the email reader with `.eml` and `.mbox` bytes: mutations of the test mail and
generated MIME messages (contract: `contracts.check_mime`), and mboxes whose messages are known."""

from __future__ import annotations

import msgspec
from contracts import workspace
from fuzzing import fuzz_settings, run_target
from generators import mboxes, mime_inputs
from hypothesis import given

from bsm_rules.core import MessageError
from bsm_rules.messages import parse_email, read_inputs


@fuzz_settings(brief=60)
@given(mime_inputs)
def test_email_input_gets_one_result_per_message_and_no_internal_error(data):
    run_target("mime", data)


@fuzz_settings(brief=30)
@given(mboxes())
def test_an_mbox_gives_each_of_its_messages_as_it_was_written(mbox):
    data, messages = mbox
    path = workspace() / "known.mbox"
    path.write_bytes(data)
    items = list(read_inputs([str(path)]))
    assert [item.default_id for item in items] == [f"known.mbox#{n}" for n in range(1, len(messages) + 1)]
    for index, (item, written) in enumerate(zip(items, messages, strict=True)):
        last = index == len(messages) - 1
        try:  # the blank line that ends the mbox stays with its last message
            expected = parse_email(written + (b"\n" if last else b""), item.default_id)
        except MessageError:
            expected = None
        if expected is None:
            assert item.error is not None and item.message is None
        else:
            assert item.message == msgspec.structs.replace(expected, id=item.default_id)
