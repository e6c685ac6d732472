"""How `bsm check` writes results: compact JSON in UTF-8 with the content of `Verdict.to_json`,
in blocks, in order with the text written around them, and before standard input waits."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from hypothesis import given, strategies as st

from bsm_rules.engine.batch import Outcome, ResultWriter, Summary, render_json_result
from bsm_rules.cli import main
from bsm_rules.messages.inputs import read_inputs
from bsm_rules.engine.verdict import Verdict, Violation

NOW = "2026-11-23T12:00:00Z"

violations = st.builds(Violation, rule=st.text(min_size=1), severity=st.sampled_from(["error", "warning", "info"]),
                       message=st.text(), field=st.none() | st.sampled_from(["body", "subject", "attachments[0]"]),
                       start=st.none() | st.integers(0, 10 ** 6), end=st.none() | st.integers(0, 10 ** 6),
                       excerpt=st.none() | st.text())


@given(st.none() | st.text(), st.lists(violations, max_size=3))
def test_a_json_result_is_one_compact_line_with_the_verdict_s_content(message_id, found):
    result = Verdict(message_id, tuple(found)).to_json()
    line = render_json_result(result)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    text = line.decode("utf-8")  # text UTF-8 cannot hold is escaped, so this never fails
    assert json.loads(text) == result
    assert list(json.loads(text)) == list(result)  # keys in the same order
    assert text == json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace").decode("utf-8") + "\n"


def test_a_lone_surrogate_is_written_as_its_escape():
    assert render_json_result({"message": "\ud800-1"}) == b'{"message":"\\ud800-1"}\n'


def _utf8_stream() -> tuple[io.TextIOWrapper, io.BytesIO]:
    raw = io.BytesIO()
    return io.TextIOWrapper(raw, encoding="utf-8", write_through=False), raw


def test_results_go_in_blocks_after_the_text_written_before_them():
    out, raw = _utf8_stream()
    writer = ResultWriter(out)
    out.write("before\n")
    for number in range(ResultWriter.BLOCK + 3):
        writer.write(f"{number}\n".encode())
    out.flush()
    written = raw.getvalue()
    assert written.startswith(b"before\n0\n1\n") and written.endswith(f"{ResultWriter.BLOCK - 1}\n".encode())
    writer.flush()
    out.write("after\n")
    out.flush()
    assert raw.getvalue().endswith(f"{ResultWriter.BLOCK + 2}\nafter\n".encode())


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_results_are_written_before_standard_input_waits(encoding):
    """Before each read of a pipe that may wait, the results so far are written: the program on
    the other end may be waiting for them before it sends more."""
    reading, writing = os.pipe()
    os.write(writing, b'{"id": "a"}\n{"id": "b"}\n{"id": "c"}\n')
    os.close(writing)
    log: list[str] = []
    with open(reading, encoding=encoding) as stdin:
        for item in read_inputs(["-"], stdin=stdin, on_wait=lambda: log.append("wait")):
            log.append(item.value["id"])
    if encoding == "utf-8":  # read as bytes, a block at a time
        assert log == ["wait", "a", "b", "c", "wait"]
    else:  # read as text, a line at a time (the first two tell JSON Lines from one document)
        assert log == ["wait", "wait", "a", "b", "wait", "c", "wait"]


def test_files_never_wait(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"id": "a"}\n')
    log: list[str] = []
    with open(path, encoding="utf-8") as stdin:
        assert [item.value["id"] for item in read_inputs(["-", str(path)], stdin=stdin,
                                                          on_wait=lambda: log.append("wait"))] == ["a", "a"]
    assert log == []


def test_a_stream_without_a_utf8_byte_stream_gets_text():
    for out in (io.StringIO(), io.TextIOWrapper(io.BytesIO(), encoding="latin-1")):
        writer = ResultWriter(out)
        writer.write('{"message":"caf\u00e9"}\n'.encode())
        writer.flush()
        if isinstance(out, io.StringIO):
            assert out.getvalue() == '{"message":"caf\u00e9"}\n'
        else:
            assert out.buffer.getvalue() == b'{"message":"caf\xe9"}\n'


def test_summary_counts_outcomes_from_workers_and_from_one_process_alike():
    summary = Summary()
    summary.add(Outcome("allow", b""))
    summary.add(Outcome("block", b"", ("a", "a")))
    assert summary.to_json()["summary"]["verdicts"] == {"allow": 1, "warn": 0, "block": 1, "invalid": 0}
    assert summary.to_json()["summary"]["rules"] == {"a": {"messages": 1, "violations": 2}}


def test_the_command_writes_compact_utf8_json_and_the_summary_last(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"id": "caf\u00e9", "contact_reason": "invoice", "subject": "Your invoice",
                                "body": "Write to jane@example.com"}) + "\n" + "{broken\n", encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "bsm_rules.cli", "check", "--format", "json", "--summary",
                                "--now", NOW, str(path)], capture_output=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    first, second, summary = completed.stdout.decode("utf-8").splitlines()
    assert first.startswith('{"message":"caf\u00e9","verdict":"block","violations":[{"rule":')
    assert json.loads(second) == {"message": "#2", "verdict": "invalid",
                                  "error": f"{path}:2: not valid JSON: Expecting property name enclosed in "
                                           "double quotes at column 2"}
    assert json.loads(summary)["summary"]["messages"] == 2 and ", " not in summary


def test_results_in_memory_match_the_command_s(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps({"id": f"m{n}", "body": "x" * n}) + "\n" for n in range(300)))
    out = io.StringIO()
    assert main(["check", "--format", "json", "--now", NOW, str(path)], out, io.StringIO()) == 0
    completed = subprocess.run([sys.executable, "-m", "bsm_rules.cli", "check", "--format", "json", "--now", NOW,
                                str(path)], capture_output=True, timeout=120)
    assert completed.stdout.decode("utf-8") == out.getvalue()
    assert [json.loads(line)["message"] for line in out.getvalue().splitlines()] == [f"m{n}" for n in range(300)]
