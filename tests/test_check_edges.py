"""`bsm check` where users trip: misspelt message fields get a note (an error with --strict), the
exit status still tells what was seen when the output is closed early, and numbers too large for a
float are read by both message readers alike."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bsm_rules import load_policy
from bsm_rules.cli import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, main
from bsm_rules.core.exit_status import EXIT_INTERRUPTED, EXIT_TERMINATED

MISSPELT = {"contact_reason": "return_refund", "subjet": "Your refund", "bdy": "mail jane@example.com"}
NOTES = ["unknown field `subjet` ignored; did you mean `subject`?", "unknown field `bdy` ignored; did you mean `body`?"]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def misspelt(tmp_path) -> str:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(MISSPELT) + "\n" + json.dumps({**MISSPELT, "x-trace": "1"}) + "\n", encoding="utf-8")
    return str(path)


def test_a_misspelt_field_gets_a_note_in_json(misspelt):
    status, out, _ = run(["check", "--format", "json", misspelt])
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["notices"] for r in results] == [NOTES, NOTES]  # a field unlike any known one is not noted
    assert status == EXIT_OK


def test_a_misspelt_field_gets_a_note_in_text(misspelt):
    _, out, _ = run(["check", misspelt])
    assert out.count("  note: unknown field `subjet` ignored; did you mean `subject`?") == 2


def test_strict_makes_unknown_fields_input_errors(misspelt):
    status, out, _ = run(["check", "--strict", "--format", "json", misspelt])
    results = [json.loads(line) for line in out.splitlines()]
    assert status == EXIT_INVALID
    assert [r["verdict"] for r in results] == ["invalid", "invalid"]
    assert results[0]["error"].endswith("$.subjet: unknown field `subjet`; did you mean `subject`?")


def test_strict_names_a_field_unlike_any_known_one(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"body": "Hello", "x trace": 1}), encoding="utf-8")
    status, out, _ = run(["check", "--strict", "--format", "json", str(path)])
    assert json.loads(out)["error"].endswith('$["x trace"]: unknown field `x trace`')


def test_the_python_api_carries_the_notes():
    verdict = load_policy().evaluate(MISSPELT)
    assert verdict.to_json()["notices"] == NOTES


def test_a_known_message_has_no_notices_key():
    verdict = load_policy().evaluate({"contact_reason": "return_refund", "subject": "Your refund", "body": "On its way."})
    assert "notices" not in verdict.to_json()


def _many_messages(path, first: dict, count: int = 30_000) -> None:
    plain = json.dumps({"contact_reason": "return_refund", "subject": "Your refund", "body": "Your money is on its way."})
    path.write_text(json.dumps(first) + "\n" + (plain + "\n") * count, encoding="utf-8")


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("output_format", ["json", "text"])
def test_closed_output_keeps_the_status_of_what_was_seen(tmp_path, jobs, output_format):
    path = tmp_path / "many.jsonl"
    _many_messages(path, {"id": "first", "body": "write to jane@example.com"})
    process = subprocess.Popen([sys.executable, "-m", "bsm_rules", "check", "--jobs", jobs, "--format", output_format,
                                str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_line = process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    status = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert b"first" in first_line
    assert status == EXIT_BLOCKED
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize("message", [
    {"attachments": [{"name": "a.pdf", "size": 10 ** 400}]},
    {"context": {"sent_today": 10 ** 400}},
    {"context": {"avg_daily_orders": 10 ** 400}},
])
def test_numbers_too_large_for_a_float_read_alike_in_every_reader(tmp_path, message):
    line = json.dumps(message)
    (tmp_path / "m.jsonl").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "m.json").write_text("[" + line + "]", encoding="utf-8")
    results = []
    for name in ("m.jsonl", "m.json"):
        _, out, _ = run(["check", "--format", "json", str(tmp_path / name)])
        results.append(json.loads(out))
    assert results[0] == results[1]
    assert results[0]["verdict"] != "invalid" and "internal error" not in out


def test_python_m_bsm_rules_runs_the_command_line():
    completed = subprocess.run([sys.executable, "-m", "bsm_rules", "--version"], capture_output=True, text=True)
    assert completed.returncode == 0 and completed.stdout.startswith("bsm ")


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("signal_name, to_group, status", [
    ("SIGINT", True, EXIT_INTERRUPTED),    # Ctrl-C: the whole terminal group gets it
    ("SIGINT", False, EXIT_INTERRUPTED),
    ("SIGTERM", False, EXIT_TERMINATED),
])
def test_an_interrupted_run_stops_quietly_on_a_line_boundary(tmp_path, jobs, signal_name, to_group, status):
    import os
    import signal
    import time

    path = tmp_path / "many.jsonl"
    _many_messages(path, {"id": "first", "body": "write to jane@example.com"}, count=300_000)
    out_path, err_path = tmp_path / "out.jsonl", tmp_path / "err.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "bsm_rules", "check", "--jobs", jobs, "--format", "json",
                                    str(path)], stdout=out, stderr=err, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while out_path.stat().st_size < 100_000 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert process.poll() is None, "the run ended before it could be interrupted"
            (os.killpg if to_group else os.kill)(process.pid, getattr(signal, signal_name))
            assert process.wait(timeout=60) == status
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    output = out_path.read_bytes()
    assert output.endswith(b"\n") and json.loads(output.splitlines()[-1])["message"]
    assert err_path.read_text() == ""
