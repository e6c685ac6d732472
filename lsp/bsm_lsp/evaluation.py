"""Runs a checked policy on the sample messages configured for the workspace (`bsm.samples`, a
glob of JSON / JSON Lines files) and counts verdicts, overall and per rule."""

from __future__ import annotations

import collections
from pathlib import Path

import attrs

from bsm_rules.core import BsmError
from bsm_rules.engine import Policy
from bsm_rules.language import CheckedPolicy
from bsm_rules.messages import InputError, read_inputs

__all__ = ["MAX_SAMPLES", "SampleRun", "evaluate_samples", "sample_files"]

MAX_SAMPLES = 2000


@attrs.frozen
class SampleRun:
    """Verdict counts of one run over the samples, and which samples each rule flagged."""

    total: int
    verdicts: dict[str, int]
    fired: dict[str, list[str]]
    problem: str | None = None

    def summary(self) -> str:
        if self.problem:
            return self.problem
        counts = ", ".join(f"{self.verdicts.get(v, 0)} {v}" for v in ("allow", "warn", "block", "invalid"))
        return f"{self.total} samples: {counts}"


def sample_files(root: str | None, pattern: str | None) -> list[Path]:
    if not pattern:
        return []
    if Path(pattern).is_absolute():
        base, relative = Path(Path(pattern).anchor), str(Path(pattern).relative_to(Path(pattern).anchor))
    else:
        base, relative = Path(root or "."), pattern
    try:
        return sorted(p for p in base.glob(relative) if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".ndjson"))
    except (ValueError, OSError):
        return []


def evaluate_samples(checked: CheckedPolicy, files: list[Path]) -> SampleRun:
    """Evaluate the policy on every message of `files`; a bad message counts as `invalid`."""
    if not files:
        return SampleRun(0, {}, {}, "no sample messages: set bsm.samples to a glob of JSON / JSONL files")
    if not checked.ok:
        return SampleRun(0, {}, {}, "the policy has errors; fix them to evaluate it on the samples")
    policy = Policy(checked)
    verdicts: collections.Counter[str] = collections.Counter()
    fired: dict[str, list[str]] = {}
    total = 0
    try:
        for item in read_inputs([str(f) for f in files]):
            if total >= MAX_SAMPLES:
                break
            total += 1
            if item.error is not None:
                verdicts["invalid"] += 1
                continue
            try:
                verdict = policy.evaluate(item.value, default_id=item.default_id)
            except BsmError:
                verdicts["invalid"] += 1
                continue
            verdicts[verdict.verdict] += 1
            for rule_id in verdict.fired:
                fired.setdefault(rule_id, []).append(verdict.message_id or item.where)
    except InputError as error:
        return SampleRun(0, {}, {}, f"cannot read the samples: {error}")
    return SampleRun(total, dict(verdicts), fired)
