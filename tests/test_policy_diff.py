"""`bsm diff OLD NEW`: two versions of the Amazon policy that differ in one limit are told apart
by the given messages and by the generated boundary messages; identical versions are not."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bsm_rules.cli import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, main

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["diff", *argv], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("versions")
    old, new = directory / "old.bsm", directory / "new.bsm"
    shutil.copy(ROOT / "policies" / "amazon.bsm", old)
    text = old.read_text(encoding="utf-8")
    assert text.count("forbid sent_today + 1 > 5 * avg_daily_orders + 600") == 1
    new.write_text(text.replace("forbid sent_today + 1 > 5 * avg_daily_orders + 600",
                                "forbid sent_today + 1 > 5 * avg_daily_orders + 700"), encoding="utf-8")
    return old, new


def _message(directory: Path, name: str, sent_today: int) -> Path:
    path = directory / name
    path.write_text(json.dumps({"id": name, "contact_reason": "return_refund", "subject": "Your refund",
                                "body": "We refunded the lamp.",
                                "context": {"avg_daily_orders": 10, "sent_today": sent_today}}))
    return path


def test_a_changed_limit_shows_in_given_and_generated_messages(versions, tmp_path):
    old, new = versions
    inside_both = _message(tmp_path, "quiet.json", 100)
    between = _message(tmp_path, "between.json", 660)
    status, out, _ = run("--format", "json", str(old), str(new), str(inside_both), str(between))
    assert status == EXIT_BLOCKED
    report = json.loads(out)
    changes = report["changes"]
    origins = [c["origin"] for c in changes]
    assert str(between) in origins and str(inside_both) not in origins
    given = next(c for c in changes if c["origin"] == str(between))
    assert given["old"] == {"verdict": "block", "fired": ["daily-limit"]}
    assert given["new"] == {"verdict": "allow", "fired": []}
    generated = [c for c in changes if c["origin"].startswith("generated")]
    assert generated, "the boundary messages should show the change"
    assert all(set(c["old"]["fired"]) ^ set(c["new"]["fired"]) == {"daily-limit"} for c in changes)
    assert any("generated from OLD: daily-limit, outside limit" in o for o in origins)
    assert any("generated from NEW: daily-limit, inside limit" in o for o in origins)
    assert report["messages"] > 100


def test_the_text_report(versions, tmp_path):
    old, new = versions
    status, out, _ = run(str(old), str(new), str(_message(tmp_path, "between.json", 650)), "--no-generated")
    assert status == EXIT_BLOCKED
    assert out.splitlines() == [
        str(tmp_path / "between.json"),
        "  old: block daily-limit",
        "  new: allow (no rule fired)",
        "  message: " + (tmp_path / "between.json").read_text(),
        "1 of 1 message(s) judged differently",
    ]


def test_identical_versions_change_nothing(versions):
    old, _ = versions
    status, out, _ = run(str(old), str(old))
    assert status == EXIT_OK
    assert out.strip().endswith("message(s) judged differently") and out.startswith("0 of ")


def test_a_broken_version_or_input_is_exit_2(versions, tmp_path):
    old, _ = versions
    bad = tmp_path / "bad.bsm"
    bad.write_text("rule x error {\n  forbid nope\n}\n")
    status, _, err = run(str(old), str(bad), "--no-generated")
    assert status == EXIT_INVALID and "BSM201" in err
    status, _, err = run(str(old), str(old), str(tmp_path / "missing.json"))
    assert status == EXIT_INVALID and "no such file" in err
