"""`bsm_rules.testing`: the message strategies keep their promises, the rule-derived strategies
fire / avoid their rule, the `bsm_policy` fixture loads policies, and the worked example of
docs/testing.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from bsm_rules.engine.policy import check_policy
from bsm_rules.testing import evaluate, load_test_policy, messages, messages_avoiding, messages_firing

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
AMAZON = load_test_policy()
CRITICAL_REASONS = {i.name for c in ("critical",) for i in (*AMAZON.checked.categories[c].reasons,
                                                            *AMAZON.checked.categories[c].aliases)}


@given(messages(category="critical", with_attachments=True, language="de"))
def test_messages_follow_their_parameters(message):
    assert message["contact_reason"] in CRITICAL_REASONS
    assert 1 <= len(message["attachments"]) <= 3
    assert all(a["name"].rsplit(".", 1)[1] in ("pdf", "jpg", "png", "txt") for a in message["attachments"])
    assert message["language"] == "de" and message["recipient"] == {"language": "de"}
    verdict = evaluate(AMAZON, message)
    assert verdict.verdict in ("allow", "warn", "block")
    assert "attachment-type" not in verdict.fired and "no-email-address" not in verdict.fired


@given(messages(with_attachments=False))
def test_plain_messages_have_no_attachments_and_break_no_content_rule(message):
    assert "attachments" not in message
    fired = set(evaluate(AMAZON, message).fired)
    assert not fired & {"no-email-address", "no-external-links", "phone-number", "no-emoji", "review-bias",
                        "ask-buyer-to-cancel", "generic-subject"}


def test_an_unknown_category_is_refused():
    with pytest.raises(ValueError, match="unknown category 'urgent'"):
        messages(category="urgent")


RULES = ["no-email-address", "daily-limit", "buyer-language", "attachment-type", "important-tag-missing",
         "buyer-opted-out", "late-response", "review-incentive"]


@pytest.mark.parametrize("rule", RULES)
def test_messages_firing_fire_and_messages_avoiding_do_not(rule):
    @settings(max_examples=8)
    @given(messages_firing(AMAZON, rule), messages_avoiding(AMAZON, rule))
    def check(firing, avoiding):
        assert rule in evaluate(AMAZON, firing).fired
        assert rule not in evaluate(AMAZON, avoiding).fired

    check()


def test_the_fixture_loads_the_bundled_and_a_given_policy(bsm_policy, tmp_path):
    assert bsm_policy() is bsm_policy()
    assert "no-email-address" in bsm_policy().rule_ids
    path = tmp_path / "p.bsm"
    path.write_text('rule shout info {\n  message "m"\n  forbid subject matches /^[A-Z ]+$/\n}\n')
    assert bsm_policy(path).rule_ids == ["shout"]
    assert bsm_policy(str(path)) is bsm_policy(path)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def test_the_bsm_examples_in_the_testing_guide_check():
    for block in _blocks("bsm"):
        checked = check_policy(block)
        assert checked.ok, [d.message for d in checked.diagnostics if d.is_error]


def test_the_worked_example_runs(tmp_path):
    policy = next(b for b in _blocks("bsm") if "no-cash-on-delivery" in b)
    (python,) = _blocks("python")
    (tmp_path / "shop.bsm").write_text(policy, encoding="utf-8")
    (tmp_path / "test_shop.py").write_text(python, encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "bsm_rules.cli", "test", "shop.bsm"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "2 example(s): 2 passed, 0 failed" in cli.stdout
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shop.py"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout
