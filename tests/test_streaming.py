"""Batches are streams: a long JSON Lines file is checked in constant memory, in input order,
in one process and with worker processes.

The run uses a one-rule policy so that it measures reading, evaluating and writing a stream
rather than the bundled rules (which the other tests cover) and stays quick."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MESSAGES = 200_000
SMALL = 1_000
# Peak RSS may grow by this much between a 1,000 and a 200,000 message run (measured: within a
# few MB either way). Holding the input (about 29 MB of JSON, more as lines or Python objects),
# the results, or unbounded work queued for the workers costs 30 MB and more.
ALLOWED_GROWTH_KB = 10_000
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


# Runs `bsm check` and then writes the peak resident set size (KiB) of this process and of its
# workers to stderr. The process reads its own high-water mark (`VmHWM`) because `ru_maxrss`
# of a child started by this test also holds the test process's own size when it started.
PEAK_REPORTING_CHECK = """
import resource, sys
from bsm_rules.cli import main

status = main(sys.argv[1:])
sys.stdout.flush()
with open("/proc/self/status") as status_file:
    own = next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"{max(own, workers)}\\n")
sys.exit(status)
"""


def _check_peak_rss(policy: Path, input_path: Path, output_path: Path, jobs: int) -> tuple[int, int]:
    """(exit status, peak resident set size in KiB) of `bsm check` run as a child process; with
    workers, the largest of the command's and its workers' peaks."""
    command = [sys.executable, "-c", PEAK_REPORTING_CHECK, "check", "--format", "json", "--policy", str(policy),
               "--now", "2026-11-23T12:00:00Z", "--jobs", str(jobs), str(input_path)]
    with open(output_path, "w") as out:
        completed = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, text=True, timeout=600)
    peak = completed.stderr.strip()
    assert peak.isdigit(), completed.stderr  # nothing else on stderr
    return completed.returncode, int(peak)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("streaming")
    (directory / "streaming.bsm").write_text(POLICY)
    _generate(directory / "small.jsonl", SMALL)
    _generate(directory / "big.jsonl", MESSAGES)
    return directory


@pytest.mark.parametrize("jobs", [1, 2])
def test_two_hundred_thousand_messages_in_constant_memory_and_in_order(inputs, tmp_path, jobs):
    policy, small_in, big_in = inputs / "streaming.bsm", inputs / "small.jsonl", inputs / "big.jsonl"
    status, small_peak = _check_peak_rss(policy, small_in, tmp_path / "small.out", jobs)
    assert status == 1
    status, big_peak = _check_peak_rss(policy, big_in, tmp_path / "big.out", jobs)
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
