"""Usage errors of `bsm` say what was wrong in the user's own words: misspelt options and commands
get a suggestion, figures are echoed as written, and every one exits 2 without evaluating."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bsm_rules.cli import EXIT_INVALID, main

MESSAGE = str(Path(__file__).resolve().parent.parent / "examples" / "message.json")


def usage_error(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(list(argv), out, err) == EXIT_INVALID
    assert out.getvalue() == ""
    return err.getvalue()


@pytest.mark.parametrize("argv, expected", [
    (["check", "--fromat", "json", MESSAGE], "help: `--fromat`: did you mean `--format`?"),
    (["lint", "--fail-onn", "warning", "x.bsm"], "help: `--fail-onn`: did you mean `--fail-on`?"),
    (["chek", MESSAGE], "help: did you mean `check`?"),
    (["check", "--avg-daily-orders", "-5", MESSAGE], "--avg-daily-orders: expected a value >= 0, found -5\n"),
    (["check", "--avg-daily-orders", "nan", MESSAGE], "--avg-daily-orders: expected a value >= 0, found nan"),
    (["check", "--sent-today", "2.5", MESSAGE], "--sent-today: expected a whole number >= 0, found 2.5"),
    (["check", "--sent-today", "lots", MESSAGE], "argument --sent-today: expected a number, found 'lots'"),
])
def test_usage_errors_say_what_was_meant(argv, expected):
    assert expected in usage_error(*argv)


def test_an_unlike_option_gets_no_suggestion():
    assert "help:" not in usage_error("check", "--zzzzzz", MESSAGE)
