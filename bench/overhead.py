"""What `bsm check` costs per message around the evaluator: reading and decoding JSON Lines, reading
messages, rendering and writing results, the summary and progress plumbing.

    python bench/overhead.py [--batch N] [--jobs N] [--format json|text]

Runs `bsm check` on N generated messages with a one-rule policy that never fires (so evaluation
costs next to nothing) and prints the CPU time per message of the whole run, less the run's start
(a one-message run) and less the evaluator's own time on the same messages (measured in process).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from timing import child_times  # noqa: E402

from bsm_rules import load_policy  # noqa: E402
from bsm_rules.messages.model import parse_message, parse_timestamp  # noqa: E402

NOW = "2026-11-23T12:00:00Z"
POLICY = 'policy "Overhead" version "1"\n\nrule never info {\n  forbid sent_today > 1000000\n}\n'


def _cpu_seconds(command: list[str]) -> float:
    """The least CPU time (the command's and its workers') of three runs."""
    return min(child_times(command)[1] for _ in range(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100_000, help="messages in the batch")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--format", choices=("json", "text"), default="json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        policy_path = Path(directory) / "overhead.bsm"
        policy_path.write_text(POLICY)
        batch, one = Path(directory) / "batch.jsonl", Path(directory) / "one.jsonl"
        messages = list(generate(args.batch, seed=7))
        batch.write_text("".join(json.dumps(message) + "\n" for message in messages))
        one.write_text(json.dumps(messages[0]) + "\n")

        def check(path: Path) -> list[str]:
            return [sys.executable, "-m", "bsm_rules.cli", "check", "--policy", str(policy_path), "--now", NOW,
                    "--format", args.format, "--jobs", str(args.jobs), str(path)]

        start = _cpu_seconds(check(one))
        whole = _cpu_seconds(check(batch))
        policy = load_policy(str(policy_path))
        now = parse_timestamp(NOW, "now")
        parsed = [parse_message(message) for message in messages]
        evaluate = policy.compiled.evaluate
        begun = time.process_time()
        for message in parsed:
            evaluate(message, {}, now)
        evaluating = time.process_time() - begun
    per_message = (whole - start) / args.batch * 1e6
    evaluator = evaluating / args.batch * 1e6
    print(f"bsm check --format {args.format} --jobs {args.jobs}, {args.batch:,} messages, one-rule policy:")
    print(f"  end to end, less the start of the run  {per_message:6.1f} µs/message (CPU)")
    print(f"  of which the evaluator (in process)    {evaluator:6.1f} µs/message")
    print(f"  around the evaluator                   {per_message - evaluator:6.1f} µs/message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
