"""`bsm test --properties`: the properties derived from the bundled rules hold; a weakened rule
yields a shrunk counterexample printed as message JSON; failures are kept in the database and
replayed first; limits are probed on both sides of their boundary."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from bsm_rules.cli import EXIT_BLOCKED, EXIT_OK, main
from bsm_rules.engine.policy import load_policy
from bsm_rules.testing.properties import find_boundary, rule_plans, run_properties

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
UNANCHORED = r"pattern generic_subject = /\s*(?:hello|hi|hey|hello there|greetings|your order|order|message|a message|question|info|information|update)?\s*[.!?]*\s*/i"


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["test", *argv], out, err)
    return status, out.getvalue() + err.getvalue()


@pytest.fixture
def broken_policy(tmp_path: Path) -> Path:
    """The Amazon policy with the generic-subject pattern's anchors removed: it now matches the
    empty string inside every subject."""
    path = tmp_path / "amazon.bsm"
    shutil.copy(POLICIES / "amazon.bsm", path)
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("pattern generic_subject ="))
    lines[index] = UNANCHORED
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_bundled_policies_satisfy_their_derived_properties(tmp_path):
    status, out = run("--properties", "--max-examples", "3", "--database", str(tmp_path / "db"), str(POLICIES))
    assert status == EXIT_OK, out
    summary = out.splitlines()[-1]
    found = re.search(r"(\d+) properties: (\d+) passed, 0 failed", summary)
    assert found and int(found.group(1)) >= 100
    for name in ("daily-limit: outside limit", "daily-limit: inside limit", "attachment-size: inside limit",
                 "sp-api-text-length: outside limit", "late-response: outside limit", "no-email-address: fires",
                 "important-tag-missing: stays silent"):
        assert f"PASS property {name}" in out


def test_a_weakened_pattern_gives_a_counterexample_ready_to_paste(broken_policy, tmp_path):
    status, out = run("--properties", "--max-examples", "5", "--database", str(tmp_path / "db"), str(broken_policy))
    assert status == EXIT_BLOCKED
    assert "FAIL property generic-subject: stays silent" in out
    block = out.split("FAIL property generic-subject: stays silent", 1)[1]
    assert "generic-subject should stay silent on this generated message" in block
    document = block.split("counterexample (paste into an example as `message { … }` or a .json file):\n", 1)[1]
    lines = []
    for line in document.splitlines():
        lines.append(line.strip())
        if line.strip() == "}":
            break
    message = json.loads("\n".join(lines))
    assert message["subject"]  # a perfectly specific subject...
    policy = load_policy(broken_policy)
    assert "generic-subject" in policy.evaluate(message).fired  # ...that the broken rule flags
    assert "generic-subject" not in load_policy(POLICIES / "amazon.bsm").evaluate(message).fired
    assert "forbid subject matches generic_subject: true (violation)" in block


def test_failures_are_saved_and_replayed_first(broken_policy, tmp_path):
    database = tmp_path / "db"
    policy = load_policy(broken_policy)
    first = run_properties(policy, seed=1, max_examples=5, database=str(database), rules=["generic-subject"])
    assert [r.kind for r in first if not r.passed] == ["stays silent"]
    assert database.is_dir() and any(database.rglob("*"))
    again = run_properties(policy, seed=99, max_examples=1, database=str(database), rules=["generic-subject"])
    failed = [r for r in again if not r.passed]
    assert failed and failed[0].counterexample == next(r for r in first if not r.passed).counterexample


def test_the_same_seed_gives_the_same_counterexample(broken_policy):
    policy = load_policy(broken_policy)
    runs = [run_properties(policy, seed=7, max_examples=5, database=None, rules=["generic-subject"])
            for _ in range(2)]
    assert [r.counterexample for r in runs[0]] == [r.counterexample for r in runs[1]]


def test_limits_are_probed_just_inside_and_just_outside():
    policy = load_policy(POLICIES / "amazon.bsm")
    plans = rule_plans(policy, "attachment-size")
    assert {"fires", "stays silent", "inside limit sum(attachments.size) > 10 MiB",
            "outside limit sum(attachments.size) > 10 MiB"} <= set(plans)
    from bsm_rules.testing.policy_diff import boundary_corpus

    sizes = {item.origin.rsplit(", ", 1)[1]: item.message["attachments"][0]["size"]
             for item in boundary_corpus(policy, "P") if "attachment-size, " in item.origin and "limit" in item.origin}
    assert sizes == {"inside limit sum(attachments.size) > 10 MiB": 10 * 1024 * 1024,
                     "outside limit sum(attachments.size) > 10 MiB": 10 * 1024 * 1024 + 1}


def test_find_boundary_locates_the_first_change():
    assert find_boundary(lambda k: k > 1000) == (False, True, 1001)
    assert find_boundary(lambda k: None if k < 5 else k < 50) == (None, True, 5)
    assert find_boundary(lambda k: True) is None


def test_an_underivable_rule_is_skipped_not_failed(tmp_path):
    path = tmp_path / "p.bsm"
    path.write_text('rule odd info {\n  message "m"\n  forbid all(a in attachments: a.size > 1 B)\n}\n')
    results = run_properties(load_policy(path), max_examples=2, database=None)
    assert [(r.passed, bool(r.skipped)) for r in results] == [(True, True)]
    assert "all(" in results[0].skipped
    status, out = run("--properties", "--max-examples", "2", "--database", str(tmp_path / "db"), str(path))
    assert status == EXIT_OK
    assert "SKIP property odd: derived: cannot derive messages for `all(…)` conditions" in out
    assert out.splitlines()[-1].endswith("1 properties: 0 passed, 0 failed, 1 skipped")
