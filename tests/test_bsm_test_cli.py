"""`bsm test` through the command line: the bundled policies pass with full rule coverage, a
broken copy of a bundled rule fails with expected vs actual and the evaluation trace, and the
JSON and JUnit reports, coverage thresholds and exit statuses."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bsm_rules.cli import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, main

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["test", *argv], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A copy of the bundled Amazon policy and its examples, to break on purpose."""
    for name in ("amazon.bsm", "amazon.test.bsm"):
        shutil.copy(POLICIES / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_bundled_policies_pass_with_full_coverage():
    status, out, _ = run("--coverage", "--min-coverage", "100", str(POLICIES))
    assert status == EXIT_OK, out
    assert "rule coverage: 100.0% (33 of 33 rules)" in out
    assert " 0 failed" in out.splitlines()[-1]
    assert "FAIL" not in out and "GAP" not in out


def test_every_bundled_rule_has_a_firing_and_a_silent_example():
    status, out, _ = run("--coverage", "--format", "json", str(POLICIES))
    report = json.loads(out)
    rules = {entry["rule"]: entry for entry in report["coverage"]["rules"]}
    assert len(rules) == 33 and report["coverage"]["percent"] == 100.0
    assert all(entry["fires"] and entry["silent"] for entry in rules.values())
    assert report["summary"]["failed"] == 0 and report["summary"]["examples"] >= 90


def test_widening_a_limit_fails_the_boundary_example_with_a_trace(policy_copy):
    _edit(policy_copy / "amazon.bsm", "forbid sum(attachments.size) > 10 MiB", "forbid sum(attachments.size) > 20 MiB")
    status, out, _ = run(str(policy_copy / "amazon.test.bsm"))
    assert status == EXIT_BLOCKED
    assert "FAIL attachments total 10 MiB + 1 bytes" in out
    failure = out.split("FAIL attachments total 10 MiB + 1 bytes", 1)[1].split("  PASS", 1)[0]
    assert "expected verdict block, got allow" in failure
    assert "expected attachment-size to fire, it did not" in failure
    assert '"size": 5242881' in failure  # the message, ready to paste
    assert "forbid sum(attachments.size) > 20 MiB: false (no violation)" in failure
    assert "sum(attachments.size) = 10485761" in failure


def test_weakening_a_pattern_fails_the_near_miss_examples(policy_copy):
    _edit(policy_copy / "amazon.bsm", r"pattern important_tag = /\[important\]/i", "pattern important_tag = /important/i")
    status, out, _ = run(str(policy_copy / "amazon.test.bsm"))
    assert status == EXIT_BLOCKED
    for tag in ("(Important)", "IMPORTANT:", "[ Important ]"):
        assert f"FAIL near misses of the tag do not count: {tag}" in out
    assert "expected important-tag-missing to fire, it did not" in out
    assert "require subject matches important_tag: true (no violation)" in out


def test_json_report_of_a_failure(policy_copy):
    _edit(policy_copy / "amazon.bsm", "forbid recipient.role == \"seller\"", "forbid recipient.role == \"buyer\"")
    status, out, _ = run("--format", "json", str(policy_copy / "amazon.test.bsm"))
    assert status == EXIT_BLOCKED
    report = json.loads(out)
    failed = [e for f in report["files"] for e in f["examples"] if e["status"] == "fail"]
    seller = next(e for e in failed if e["name"] == "writing to another seller")
    assert seller["expected"]["fires"] == ["seller-to-seller"]
    assert "seller-to-seller" not in seller["actual"]["fired"]
    assert seller["message"]["recipient"] == {"role": "seller"}
    assert any("rule seller-to-seller" in line for line in seller["trace"])


def test_junit_report_is_valid_xml_with_failures(policy_copy):
    _edit(policy_copy / "amazon.bsm", "forbid contact_reason == out_of_stock", "forbid contact_reason == coupon")
    status, out, _ = run("--format", "junit", str(policy_copy / "amazon.test.bsm"))
    assert status == EXIT_BLOCKED
    root = ElementTree.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failures) > 0
    names = {c.get("name") for c in failures}
    assert "an out-of-stock message" in names
    failure = next(c for c in failures if c.get("name") == "an out-of-stock message").find("failure")
    assert "expected out-of-stock to fire" in failure.get("message")
    assert "trace:" in failure.text


def test_junit_report_of_a_passing_run():
    status, out, _ = run("--format", "junit", str(POLICIES / "amazon-sp-api.test.bsm"))
    assert status == EXIT_OK
    root = ElementTree.fromstring(out.split("\n", 1)[1])
    assert root.find("testsuite").get("failures") == "0"
    assert len(root.findall(".//testcase")) >= 10


def test_coverage_below_the_minimum_fails(tmp_path):
    (tmp_path / "small.test.bsm").write_text('''include "bundled:amazon"

example "only one rule tested" {
  message { contact_reason: "coupon", subject: "A gift", body: "Thanks." }
  fires no-marketing
}
''', encoding="utf-8")
    status, out, _ = run("--coverage", "--min-coverage", "50", str(tmp_path))
    assert status == EXIT_BLOCKED
    assert "below the minimum of 50%" in out
    assert re.search(r"GAP\s+no-marketing\s+fires: yes\s+silent: NO", out)
    assert re.search(r"GAP\s+no-emoji\s+fires: NO\s+silent: yes", out)
    status, _, _ = run("--coverage", str(tmp_path))
    assert status == EXIT_OK  # coverage is only reported unless a minimum is set


def test_an_invalid_policy_exits_2_with_located_diagnostics(tmp_path):
    (tmp_path / "bad.test.bsm").write_text('include "bundled:amazon"\n\nexample "x" {\n'
                                           '  message { subject: "Hi" }\n  fires no-emial-address\n}\n')
    (tmp_path / "good.test.bsm").write_text('include "bundled:amazon"\n\nexample "y" {\n'
                                            '  message { contact_reason: "coupon", subject: "Hi" }\n  expect block\n}\n')
    status, out, _ = run(str(tmp_path))
    assert status == EXIT_INVALID
    assert "error[BSM601]: unknown rule id `no-emial-address`" in out
    assert "bad.test.bsm:5:9" in out
    assert "PASS y" in out  # the other file still ran


def test_a_missing_path_is_a_usage_error(tmp_path):
    status, _, err = run(str(tmp_path / "nope.bsm"))
    assert status == EXIT_INVALID
    assert "no such file or directory" in err


def test_bad_options_are_usage_errors():
    assert run("--min-coverage", "120", str(POLICIES))[0] == EXIT_INVALID
    assert run("--max-examples", "0", str(POLICIES))[0] == EXIT_INVALID


def test_now_sets_the_time_of_messages_without_sent_at(tmp_path):
    (tmp_path / "reply.test.bsm").write_text('''include "bundled:amazon"

example "a reply an hour after the buyer wrote" {
  message {
    contact_reason: "reply",
    subject: "Re: the jacket size",
    body: "The jacket is true to size.",
    in_reply_to: { received_at: "2026-11-20T09:00:00Z" },
  }
  not fires late-response
}
''', encoding="utf-8")
    assert run("--now", "2026-11-20T10:00:00Z", str(tmp_path))[0] == EXIT_OK
    status, out, _ = run("--now", "2026-11-22T10:00:00Z", str(tmp_path))
    assert status == EXIT_BLOCKED and "expected late-response not to fire, it fired" in out
    assert run("--now", "yesterday", str(tmp_path))[0] == EXIT_INVALID


def test_a_policy_is_tested_with_the_examples_of_its_test_file_beside_it():
    status, out, _ = run("--format", "json", str(POLICIES / "amazon.bsm"))
    report = json.loads(out)
    files = {Path(entry["path"]).name for entry in report["files"]}
    assert "amazon.test.bsm" in files
    assert report["summary"]["examples"] > 80 and report["summary"]["failed"] == 0
    assert status == EXIT_OK
