"""How the fuzz tests run: briefly in the normal suite (a fixed seed, a few dozen inputs per
test), or with `BSM_FUZZ_EXAMPLES=N` inputs per test, freshly random, on demand; and how a failing
input is reported (as the bytes to add to the corpus)."""

from __future__ import annotations

import os

from contracts import TARGETS
from hypothesis import HealthCheck, note, settings

#: Inputs per test asked for on the command line (`BSM_FUZZ_EXAMPLES=20000 python -m pytest tests/fuzz`).
REQUESTED = int(os.environ.get("BSM_FUZZ_EXAMPLES") or 0)


def fuzz_settings(brief: int) -> settings:
    """`brief` inputs per test in the normal suite, always the same ones; `BSM_FUZZ_EXAMPLES` of
    them, different on every run, when a campaign asks for more."""
    return settings(max_examples=REQUESTED or brief, derandomize=not REQUESTED, deadline=None,
                    print_blob=True, suppress_health_check=list(HealthCheck))


def run_target(target: str, data: bytes) -> None:
    """Check one input against a target's contract; when it fails, the report shows how to add
    the input to the corpus."""
    note(f"{target} input ({len(data)} bytes): {data!r}")
    note(f"to keep it: python fuzz/add_to_corpus.py {target} NAME --literal <the bytes literal above>")
    TARGETS[target](data)
