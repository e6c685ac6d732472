"""Batches are streams: a long JSON Lines file is checked in constant memory, in input order.

The run uses a one-rule policy so that it measures reading, evaluating and writing a stream
rather than the bundled rules (which the other tests cover) and stays quick."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MESSAGES = 200_000
SMALL = 1_000
# Peak RSS may grow by this much between a 1,000 and a 200,000 message run: far less than the
# input (about 30 MB of JSON, several times that as Python objects) or the output.
ALLOWED_GROWTH_KB = 25_000
POLICY = """policy "Streaming"

rule no-at-sign error {
  message "no email addresses"
  forbid text matches /[a-z0-9]@[a-z0-9]/
}
"""


def _generate(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count):
            message = {"id": f"m{number}", "subject": "Your parcel", "body": f"Parcel {number} left today.",
                       "contact_reason": "shipment_delay", "sender": {"id": f"s{number % 5}"}}
            if number % 10 == 0:
                message["body"] += f" Write to shop{number}@example.com"
            out.write(json.dumps(message) + "\n")


def _check_peak_rss(policy: Path, input_path: Path, output_path: Path) -> tuple[int, int]:
    """(exit status, peak resident set size in KiB) of `bsm check` run as a child process."""
    command = [sys.executable, "-m", "bsm_rules.cli", "check", "--format", "json", "--policy", str(policy),
               "--now", "2026-11-23T12:00:00Z", str(input_path)]
    with open(output_path, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        assert process.stderr.read() == b""
        process.stderr.close()
    return process.returncode, usage.ru_maxrss


def test_two_hundred_thousand_messages_in_constant_memory_and_in_order(tmp_path):
    small_in, big_in = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    policy = tmp_path / "streaming.bsm"
    policy.write_text(POLICY)
    _generate(small_in, SMALL)
    _generate(big_in, MESSAGES)
    status, small_peak = _check_peak_rss(policy, small_in, tmp_path / "small.out")
    assert status == 1
    status, big_peak = _check_peak_rss(policy, big_in, tmp_path / "big.out")
    assert status == 1  # every tenth message has an email address
    count = 0
    with open(tmp_path / "big.out", encoding="utf-8") as results:
        for count, line in enumerate(results, start=1):
            result = json.loads(line)
            number = count - 1
            assert result["message"] == f"m{number}"
            assert result["verdict"] == ("block" if number % 10 == 0 else "allow")
    assert count == MESSAGES
    assert big_peak - small_peak < ALLOWED_GROWTH_KB, (small_peak, big_peak)
