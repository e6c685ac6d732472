"""The benchmark: µs per message and messages per second of the compiled evaluator (bundled
policy and the baseline rule set), of the hand-written baseline, and of `bsm check` end to end.

    python bench/run.py [--messages N] [--batch N]

The last line is the speed ratio of the evaluator over the baseline on the same rule set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import baseline  # noqa: E402
from generate import generate  # noqa: E402
from timing import child_times  # noqa: E402

from bsm_rules import load_policy  # noqa: E402

NOW = "2026-11-23T12:00:00Z"


def _best_of(repeats: int, run) -> float:
    """The least CPU time of a few in-process runs, in seconds: CPU time, not wall time, so that
    other work on the machine does not count."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def _row(label: str, seconds: float, count: int, wall: float | None = None) -> float:
    per_message = seconds / count * 1e6
    line = f"{label:<58} {per_message:>8.1f} µs/message {count / seconds:>9,.0f} messages/s (CPU)"
    if wall is not None:
        line += f" {count / wall:>9,.0f} messages/s (wall)"
    print(line)
    return per_message


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bsm_rules.cli", "check", "--now", NOW, *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000, help="messages for the in-process runs")
    parser.add_argument("--batch", type=int, default=50_000, help="messages for the end-to-end runs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    messages = list(generate(args.messages))
    bundled = load_policy()
    rule_set = load_policy(HERE / "baseline.bsm")
    disagreements = [m["id"] for m in messages
                     if sorted({v.rule for v in rule_set.evaluate(m).violations})
                     != sorted({rule for rule, *_ in baseline.check(m)[1]})]
    violating = sum(1 for m in messages if baseline.check(m)[0] == "block")
    print(f"{len(messages):,} generated messages, {violating / len(messages):.0%} violating the baseline rules, "
          f"mean body {statistics.mean(len(m['body']) for m in messages):,.0f} characters; "
          f"evaluator and baseline disagree on {len(disagreements)}"
          + (f" ({', '.join(disagreements[:5])}{', …' if len(disagreements) > 5 else ''})" if disagreements else ""))
    print()

    _row("evaluator, bundled Amazon policy (in process)",
         _best_of(args.repeats, lambda: [bundled.evaluate(m) for m in messages]), len(messages))
    evaluator = _row("evaluator, baseline rule set bench/baseline.bsm (in process)",
                     _best_of(args.repeats, lambda: [rule_set.evaluate(m) for m in messages]), len(messages))
    hand_written = _row("hand-written baseline bench/baseline.py (in process)",
                        _best_of(args.repeats, lambda: [baseline.check(m) for m in messages]), len(messages))

    with tempfile.TemporaryDirectory() as directory:
        batch = Path(directory) / "batch.jsonl"
        with open(batch, "w", encoding="utf-8") as out:
            for message in generate(args.batch, seed=7):
                out.write(json.dumps(message) + "\n")
        single = Path(directory) / "one.json"
        single.write_text(json.dumps(messages[0]))
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        subprocess.run(_cli(str(single)), env=env, stdout=subprocess.DEVNULL, check=False)  # fill the caches
        baseline_policy = ["--policy", str(HERE / "baseline.bsm")]
        for label, extra in (("bsm check --jobs 1, bundled policy (end to end)", ["--jobs", "1"]),
                             ("bsm check --jobs 2, bundled policy (end to end)", ["--jobs", "2"]),
                             ("bsm check --jobs 1, baseline rule set (end to end)", ["--jobs", "1", *baseline_policy]),
                             ("bsm check --jobs 2, baseline rule set (end to end)", ["--jobs", "2", *baseline_policy])):
            wall, cpu = child_times(_cli("--format", "json", *extra, str(batch)), env)
            _row(label, cpu, args.batch, wall)
        runs = [child_times(_cli(str(single)), env) for _ in range(5)]
        print(f"{'bsm check of one message (start to finish)':<58} {min(w for w, _ in runs) * 1000:>8.0f} ms wall "
              f"{min(c for _, c in runs) * 1000:>6.0f} ms CPU")
    print()
    print(f"evaluator / baseline speed ratio on the same rules: {hand_written / evaluator:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
