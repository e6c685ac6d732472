"""Policies as the CLI and `load_policy` are given them: an empty or rule-less policy is an error,
a path that names no policy file says so, includes stay inside the allowed folders and never show
the content of what they may not read, and only regular files of a policy's size are read."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from bsm_rules import PolicyError, load_policy
from bsm_rules.cli import EXIT_INVALID, EXIT_OK, main
from bsm_rules.language.loader import MAX_POLICY_BYTES

EMAIL_MESSAGE = '{"contact_reason": "return_refund", "subject": "Your refund", "body": "mail jane@example.com"}\n'
RULE = 'rule no-email error {\n  message "no email addresses"\n  forbid count(emails(text)) > 0\n}\n'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def message(tmp_path) -> str:
    path = tmp_path / "m.jsonl"
    path.write_text(EMAIL_MESSAGE, encoding="utf-8")
    return str(path)


def codes(error: PolicyError) -> list[str]:
    return [d.code for d in error.diagnostics]


# -- policies without rules ----------------------------------------------------------------------

def test_an_empty_policy_argument_is_a_usage_error(message):
    status, out, err = run("check", "--policy", "", message)
    assert status == EXIT_INVALID
    assert "--policy is empty" in err and out == ""


@pytest.mark.parametrize("text", ["", "# only a comment\n", 'policy "P"\n\nlist words = ["a"]\n'])
def test_a_policy_file_without_rules_checks_nothing(tmp_path, message, text):
    policy = tmp_path / "p.bsm"
    policy.write_text(text, encoding="utf-8")
    status, out, err = run("check", "--policy", str(policy), message)
    assert status == EXIT_INVALID
    assert "error[BSM213]" in err and "nothing was checked" in err
    assert out == ""


def test_load_policy_refuses_empty_text_and_disabled_rules():
    with pytest.raises(PolicyError) as empty:
        load_policy("")
    assert codes(empty.value) == ["BSM213"]
    with pytest.raises(PolicyError) as disabled:
        load_policy(RULE + "disable no-email\n")
    assert codes(disabled.value) == ["BSM213"]
    assert "every rule is disabled" in disabled.value.diagnostics[0].message


def test_lint_reports_a_policy_without_rules(tmp_path):
    policy = tmp_path / "p.bsm"
    policy.write_text("", encoding="utf-8")
    status, out, _ = run("lint", str(policy))
    assert status == EXIT_OK
    assert "warning[BSM213]" in out and "1 warning(s)" in out
    assert run("lint", "--fail-on", "warning", str(policy))[0] != EXIT_OK


# -- paths that name no policy file ---------------------------------------------------------------

@pytest.mark.parametrize("argument, reason", [
    ("policies", "is a directory"),
    ("no-such-policy", "no such file or directory"),
    ("x" * 300, "file name too long"),
    ("nul\x00.bsm", "is not a valid file name"),
])
def test_a_path_that_names_no_policy_file_says_so(tmp_path, monkeypatch, message, argument, reason):
    (tmp_path / "policies").mkdir()
    monkeypatch.chdir(tmp_path)
    status, _, err = run("check", "--policy", argument, message)
    assert status == EXIT_INVALID
    assert "error[BSM001]" in err and reason in err
    assert "BSM101" not in err
    with pytest.raises(PolicyError) as raised:
        load_policy(argument)
    assert codes(raised.value) == ["BSM001"]


def test_one_line_policy_text_is_still_policy_text():
    policy = load_policy('include "bundled:amazon"')
    assert "no-email-address" in policy.rule_ids


def test_a_fifo_is_refused_without_blocking(tmp_path, message):
    fifo = tmp_path / "policy.bsm"
    os.mkfifo(fifo)
    status, _, err = run("check", "--policy", str(fifo), message)
    assert status == EXIT_INVALID
    assert "is not a regular file" in err


def test_a_policy_over_the_size_limit_is_refused(tmp_path, message):
    big = tmp_path / "big.bsm"
    big.write_bytes(b"#" * (MAX_POLICY_BYTES + 1))
    status, _, err = run("check", "--policy", str(big), message)
    assert status == EXIT_INVALID
    assert "larger than 4 MiB" in err


# -- includes --------------------------------------------------------------------------------------

SECRET = "root:$6$very-secret-hash:19000:0:99999:7:::"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the policy's folder, holding a file that must never be shown."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "shadow").write_text(SECRET + "\n", encoding="utf-8")
    (folder / "shared.bsm").write_text(RULE, encoding="utf-8")
    return folder


@pytest.fixture
def policy_dir(tmp_path) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    return folder


def lint_include(policy_dir: Path, target: str, *options: str) -> tuple[int, str]:
    policy = policy_dir / "p.bsm"
    policy.write_text(f'include "{target}"\n\n' + RULE.replace("no-email", "own-rule"), encoding="utf-8")
    status, out, err = run("lint", *options, str(policy))
    return status, out + err


def test_an_include_outside_the_policy_folder_is_refused_unread(policy_dir, outside):
    status, output = lint_include(policy_dir, "../outside/shadow")
    assert "error[BSM211]" in output
    assert SECRET not in output and "very-secret" not in output


def test_an_absolute_include_outside_is_refused(policy_dir, outside):
    status, output = lint_include(policy_dir, str(outside / "shadow"))
    assert "error[BSM211]" in output and "very-secret" not in output


def test_a_symlink_pointing_outside_is_refused(policy_dir, outside):
    (policy_dir / "link.bsm").symlink_to(outside / "shadow")
    status, output = lint_include(policy_dir, "link.bsm")
    assert "error[BSM211]" in output and "very-secret" not in output


def test_include_path_allows_another_folder(policy_dir, outside, message):
    status, output = lint_include(policy_dir, "../outside/shared.bsm", "--include-path", str(outside))
    assert "BSM211" not in output and "0 error(s)" in output
    checked = run("check", "--include-path", str(outside), "--policy", str(policy_dir / "p.bsm"), message)
    assert checked[0] != EXIT_INVALID
    assert "no-email" in checked[1]
    with pytest.raises(PolicyError) as refused:
        load_policy(policy_dir / "p.bsm")
    assert codes(refused.value) == ["BSM211"]
    assert "no-email" in load_policy(policy_dir / "p.bsm", include_paths=[outside]).rule_ids


def test_the_cache_does_not_carry_an_include_path_over(policy_dir, outside):
    lint_include(policy_dir, "../outside/shared.bsm")
    load_policy(policy_dir / "p.bsm", include_paths=[outside])  # cached with the folder allowed
    with pytest.raises(PolicyError):
        load_policy(policy_dir / "p.bsm")


@pytest.mark.parametrize("target, reason", [
    ("bundled:../../x", "is not the name of a bundled policy"),
    ("bundled:\\u{0}", "is not a valid file name"),
    ("\\u{0}", "is not a valid file name"),
    ("\\u{D800}", "is not a valid file name"),
])
def test_include_targets_that_name_no_file(policy_dir, target, reason):
    status, output = lint_include(policy_dir, target)
    assert "error[BSM209]" in output and reason in output
    assert "Traceback" not in output


def test_including_a_device_or_fifo_is_refused(policy_dir):
    os.mkfifo(policy_dir / "fifo.bsm")
    status, output = lint_include(policy_dir, "fifo.bsm")
    assert "error[BSM209]" in output and "is not a regular file" in output
