"""`bsm check` on batches: worker processes, input order, summary, daily counting, progress."""

from __future__ import annotations

import datetime
import io
import itertools
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bsm_rules import load_policy
from bsm_rules.engine.batch import BatchOptions, Outcome, Progress, Summary, evaluate_stream, utc_day
from bsm_rules.cli import main
from bsm_rules.messages.inputs import read_inputs
from bsm_rules.messages.model import parse_timestamp

NOW = "2026-11-23T12:00:00Z"


def _message(number: int, **extra) -> dict:
    body = f"Thank you for order 111-2222222-{number:07d}."
    if number % 3 == 0:
        body += f" Questions? Mail us at help{number}@shop-example.com"
    if number % 7 == 0:
        body += " Leave a 5-star review!"
    return {"id": f"m{number}", "subject": f"Your parcel {number}", "body": body,
            "contact_reason": "proactive_service", **extra}


def _write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["check", "--now", NOW, *args], out, err)
    return status, out.getvalue(), err.getvalue()


def _results(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory) -> Path:
    lines: list = [_message(n) for n in range(1, 1301)]
    lines[500] = "{not json"
    lines[900] = {"id": "bad-type", "subject": 7}
    return _write_jsonl(tmp_path_factory.mktemp("batch") / "batch.jsonl", lines)


def test_workers_give_the_same_results_in_the_same_order(batch_file):
    status_one, one, _ = _run("--format", "json", str(batch_file))
    status_two, two, _ = _run("--format", "json", "--jobs", "2", str(batch_file))
    status_all, every_core, _ = _run("--format", "json", "--jobs", "0", str(batch_file))
    assert one == two == every_core
    assert status_one == status_two == status_all == 2  # two inputs are invalid
    results = _results(one)
    assert len(results) == 1300
    assert [r["message"] for r in results[:3]] == ["m1", "m2", "m3"]
    assert results[500] == {"message": "#501", "verdict": "invalid",
                            "error": results[500]["error"]} and "not valid JSON" in results[500]["error"]
    assert results[900]["message"] == "bad-type" and "$.subject: expected a string" in results[900]["error"]
    assert results[2]["verdict"] == "block" and results[0]["verdict"] == "allow"


def test_text_output_is_the_same_with_workers(batch_file):
    assert _run(str(batch_file))[1] == _run("--jobs", "2", str(batch_file))[1]


@pytest.mark.parametrize("jobs", ["-1", "65", "100000"])
def test_jobs_out_of_range_is_a_usage_error(batch_file, jobs):
    status, out, err = _run("--jobs", jobs, str(batch_file))
    assert status == 2 and out == ""
    assert "--jobs must be from 0 to 64 (0 = one process per core)" in err


# A policy of its own, so that workers that read the bundled one instead would differ.
SHOP_POLICY = '''include "bundled:amazon"

rule parcel-seven warning {
  message "parcel seven: {match}"
  forbid subject matches /parcel 7/
}
'''


def _check_bytes(*args: str, env: dict | None = None) -> tuple[int, bytes, bytes]:
    """`bsm check` in a process of its own: status, standard output and error as bytes."""
    done = subprocess.run([sys.executable, "-m", "bsm_rules.cli", "check", "--now", NOW, *args],
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_spawned_workers_write_what_one_process_writes(batch_file):
    for output_format in ("json", "text"):
        one = _check_bytes("--format", output_format, str(batch_file))
        spawned = _check_bytes("--format", output_format, "--jobs", "2", str(batch_file),
                               env={"BSM_START_METHOD": "spawn"})
        assert spawned == one and one[0] == 2 and one[1]


def test_spawned_workers_get_a_policy_given_as_text(batch_file, monkeypatch):
    one = _run("--format", "json", "--policy", SHOP_POLICY, str(batch_file))
    monkeypatch.setenv("BSM_START_METHOD", "spawn")
    spawned = _run("--format", "json", "--policy", SHOP_POLICY, "--jobs", "2", str(batch_file))
    assert spawned == one
    assert sum(1 for r in _results(one[1]) if "parcel-seven" in json.dumps(r)) == 111  # 7, 70-79, 700-799


def test_spawned_workers_do_not_read_the_policy_file_again(batch_file, tmp_path, monkeypatch):
    """The policy file is gone before the workers start: they evaluate the policy they are sent."""
    shop = tmp_path / "shop.bsm"
    shop.write_text(SHOP_POLICY)
    policy = load_policy(shop)
    shop.unlink()
    monkeypatch.setenv("BSM_START_METHOD", "spawn")
    options = BatchOptions({}, parse_timestamp(NOW, "--now"), "json")

    def outputs(jobs: int) -> list:
        entries = zip(read_inputs([str(batch_file)], decode=False), itertools.repeat(None))
        return [outcome.output for outcome in evaluate_stream(policy, options, entries, jobs)]

    one = outputs(1)
    assert outputs(2) == one
    assert sum(1 for output in one if b"parcel-seven" in output) == 111


def test_an_unknown_start_method_is_a_usage_error(batch_file, monkeypatch):
    monkeypatch.setenv("BSM_START_METHOD", "teleport")
    status, out, err = _run("--jobs", "2", str(batch_file))
    assert status == 2 and out == ""
    assert "BSM_START_METHOD='teleport' is not a start method of this system" in err


def test_json_summary_is_a_final_line_that_result_readers_can_skip(batch_file):
    status, out, _ = _run("--format", "json", "--summary", str(batch_file))
    *results, last = _results(out)
    assert len(results) == 1300 and all("message" in r for r in results)
    assert set(last) == {"summary"} and "message" not in last
    summary = last["summary"]
    assert summary["messages"] == 1300
    verdicts = {v: sum(1 for r in results if r["verdict"] == v) for v in ("allow", "warn", "block", "invalid")}
    assert summary["verdicts"] == verdicts
    emails = [r for r in results if any(v["rule"] == "no-email-address" for v in r.get("violations", ()))]
    assert summary["rules"]["no-email-address"] == {"messages": len(emails), "violations": len(emails)}
    counts = [entry["messages"] for entry in summary["rules"].values()]
    assert counts == sorted(counts, reverse=True)


def test_text_summary_lists_rules_with_counts(batch_file):
    status, out, _ = _run("--summary", str(batch_file))
    tail = out[out.index("1300 message(s):"):].splitlines()
    assert tail[1].split() == ["rule", "messages", "violations"]
    rows = {line.split()[0]: (int(line.split()[1]), int(line.split()[2])) for line in tail[2:]}
    assert rows["no-email-address"][0] == sum(1 for n in range(1, 1301) if n % 3 == 0 and n not in (501, 901))


def test_count_daily_counts_earlier_messages_of_the_same_sender_and_utc_day(tmp_path):
    day = "2026-11-20T{}:00:00Z"
    messages = [
        {"id": "a1", "sender": {"id": "a"}, "sent_at": day.format("08")},
        {"id": "a2", "sender": {"id": "a"}, "sent_at": "2026-11-20T23:30:00-01:00"},  # 21 Nov in UTC
        {"id": "b1", "sender": {"id": "b"}, "sent_at": day.format("09")},
        {"id": "a3", "sender": {"id": "a"}, "sent_at": day.format("10")},
        {"id": "bad", "sender": {"id": "a"}, "sent_at": "yesterday"},
        {"id": "a4", "sender": {"id": "a"}, "sent_at": day.format("11")},
        {"id": "a5", "sender": {"id": "a"}, "sent_at": day.format("12"), "context": {"sent_today": 0}},
        {"id": "a6", "sender": {"id": "a"}, "sent_at": day.format("13")},
    ]
    path = _write_jsonl(tmp_path / "day.jsonl", messages)
    status, out, _ = _run("--format", "json", "--count-daily", "--avg-daily-orders", "0",
                          "--sent-today", "598", str(path))
    fired = {r["message"]: "daily-limit" in {v["rule"] for v in r.get("violations", ())} for r in _results(out)}
    # a1 sees 598, a3 599, a4 600 (601 > 600 blocks), a5 says 0 itself, a6 sees 602 (a5 counted too)
    assert fired == {"a1": False, "a2": False, "b1": False, "a3": False, "bad": False, "a4": True,
                     "a5": False, "a6": True}
    assert status == 2  # "bad" is invalid and did not count
    _, without, _ = _run("--format", "json", "--avg-daily-orders", "0", "--sent-today", "598", str(path))
    assert not any("daily-limit" in json.dumps(r) for r in _results(without))


def test_count_daily_takes_the_utc_day_of_moments_at_the_ends_of_the_calendar(tmp_path):
    messages = [
        {"id": "first", "sender": {"id": "a"}, "sent_at": "0001-01-01T00:00:00+00:11"},  # UTC day before 0001-01-01
        {"id": "same", "sender": {"id": "a"}, "sent_at": "0001-01-01T00:05:00+00:11"},
        {"id": "next", "sender": {"id": "a"}, "sent_at": "0001-01-01T00:11:00+00:11"},
        {"id": "last", "sender": {"id": "a"}, "sent_at": "9999-12-31T23:59:59-23:59"},  # UTC day after 9999-12-31
    ]
    path = _write_jsonl(tmp_path / "ends.jsonl", messages)
    status, out, err = _run("--format", "json", "--count-daily", "--avg-daily-orders", "0",
                            "--sent-today", "599", str(path))
    fired = {r["message"]: "daily-limit" in {v["rule"] for v in r.get("violations", ())} for r in _results(out)}
    assert fired == {"first": False, "same": True, "next": False, "last": False}
    assert status == 1 and err == ""


@given(st.datetimes(timezones=st.timezones()))
def test_the_utc_day_is_the_day_of_the_moment_in_utc(moment):
    assume(datetime.datetime.min.replace(tzinfo=datetime.timezone.utc) + datetime.timedelta(days=1) < moment
           < datetime.datetime.max.replace(tzinfo=datetime.timezone.utc) - datetime.timedelta(days=1))
    assert utc_day(moment) == moment.astimezone(datetime.timezone.utc).date().toordinal()


def test_count_daily_with_workers_matches_one_process(tmp_path):
    messages = [_message(n, sender={"id": f"s{n % 3}"}, sent_at=f"2026-11-{20 + n % 2}T10:00:00Z")
                for n in range(1, 700)]
    path = _write_jsonl(tmp_path / "many.jsonl", messages)
    args = ("--format", "json", "--count-daily", "--avg-daily-orders", "0", "--sent-today", "500", str(path))
    one, two = _run(*args)[1], _run("--jobs", "2", *args)[1]
    assert one == two
    fired = [r["message"] for r in _results(one) if any(v["rule"] == "daily-limit" for v in r["violations"])]
    assert len(fired) == 699 - 6 * 100  # per (sender, day) the first 100 pass: 500 + 100 = 600


def test_stdin_json_lines_are_read_as_a_stream():
    """Results of the first lines come out while standard input is still open."""
    process = subprocess.Popen([sys.executable, "-u", "-m", "bsm_rules.cli", "check", "--format", "json", "--now",
                                NOW, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        process.stdin.write("".join(json.dumps(_message(n)) + "\n" for n in range(1, 4)))
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "no result before the end of the input"
        first = process.stdout.readline()
        assert first, process.stderr.read()
        assert json.loads(first)["message"] == "m1"
        process.stdin.write(json.dumps(_message(4)) + "\n")
        process.stdin.close()
        # Read the rest through the same reader: `communicate` reads the pipe itself and would
        # miss results that `readline` has already taken into the reader's buffer.
        process.wait(timeout=120)  # the few results fit in the pipe
        out, err = process.stdout.read(), process.stderr.read()
    finally:
        process.kill()
        process.wait()
    assert [r["message"] for r in _results(out)] == ["m2", "m3", "m4"]
    assert err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_after_the_delay(monkeypatch):
    terminal = _Terminal()
    progress = Progress(terminal)
    for _ in range(128):
        progress.tick()
    assert terminal.getvalue() == ""  # within the first second
    monkeypatch.setattr(Progress, "DELAY", 0.0)
    progress = Progress(terminal)
    for _ in range(128):
        progress.tick()
    progress.finish()
    assert "messages checked" in terminal.getvalue() and terminal.getvalue().endswith("\r\x1b[K")
    pipe = io.StringIO()
    progress = Progress(pipe)
    for _ in range(128):
        progress.tick()
    assert pipe.getvalue() == ""


def test_summary_counts_messages_and_violations_per_rule():
    summary = Summary()
    summary.add(Outcome("block", "", ("a", "a", "b")))
    summary.add(Outcome("warn", "", ("b",)))
    summary.add(Outcome("invalid", ""))
    assert summary.to_json() == {"summary": {
        "messages": 3, "verdicts": {"allow": 0, "warn": 1, "block": 1, "invalid": 1},
        "rules": {"b": {"messages": 2, "violations": 2}, "a": {"messages": 1, "violations": 2}}}}


def test_the_cli_shows_progress_only_when_results_go_elsewhere(batch_file, monkeypatch):
    monkeypatch.setattr(Progress, "DELAY", 0.0)
    results, terminal = io.StringIO(), _Terminal()
    main(["check", "--now", NOW, "--format", "json", str(batch_file)], results, terminal)
    assert "messages checked" in terminal.getvalue()
    assert "messages checked" not in results.getvalue()
    screen, terminal = _Terminal(), _Terminal()
    main(["check", "--now", NOW, str(batch_file)], screen, terminal)
    assert terminal.getvalue() == ""
