"""`bsm check` through the real command line (docs/message-model.md): inputs, context,
output formats, exit statuses, bad inputs in a batch and usage errors; results are validated
against a JSON schema of the result format."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bsm_rules.cli import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-22T12:00:00Z"

VIOLATION_SCHEMA = {
    "type": "object",
    "required": ["rule", "severity", "message"],
    "additionalProperties": False,
    "properties": {
        "rule": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
        "severity": {"enum": ["error", "warning", "info"]},
        "message": {"type": "string", "minLength": 1},
        "field": {"type": "string", "pattern": r"^(?:subject|body|html|attachments\[[0-9]+\])$"},
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "excerpt": {"type": "string"},
    },
    "dependentRequired": {"start": ["end", "field"], "end": ["start"], "excerpt": ["field"]},
}
RESULT_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "required": ["message", "verdict", "violations"],
            "additionalProperties": False,
            "properties": {
                "message": {"type": "string"},
                "verdict": {"enum": ["allow", "warn", "block"]},
                "violations": {"type": "array", "items": VIOLATION_SCHEMA},
            },
        },
        {
            "type": "object",
            "required": ["message", "verdict", "error"],
            "additionalProperties": False,
            "properties": {
                "message": {"type": "string"},
                "verdict": {"const": "invalid"},
                "error": {"type": "string", "minLength": 1},
            },
        },
    ]
}

CLEAN = {"id": "clean", "contact_reason": "return_refund", "subject": "Your return of the blue kettle",
         "body": "We received the kettle you sent back, and your money is on its way."}
WARNED = {**CLEAN, "id": "warned", "body": "Call us on +1 206-555-0100 any time."}
BLOCKED = {**CLEAN, "id": "blocked", "body": "Write to jane.doe@example.com today."}


def run(argv: list[str], stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(argv, out, err)
    return status, out.getvalue(), err.getvalue()


def results(output: str) -> list[dict]:
    decoded = [json.loads(line) for line in output.splitlines()]
    for result in decoded:
        jsonschema.validate(result, RESULT_SCHEMA)
        if result["verdict"] != "invalid":
            severities = {v["severity"] for v in result["violations"]}
            expected = "block" if "error" in severities else "warn" if "warning" in severities else "allow"
            assert result["verdict"] == expected
    return decoded


def write(path: Path, content) -> str:
    if isinstance(content, bytes):
        path.write_bytes(content)
        return str(path)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def jsonl(*messages) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


# -- inputs ---------------------------------------------------------------------------------------

def test_json_file_with_one_object():
    status, out, err = run(["check", str(EXAMPLES / "message.json"), "--format", "json", "--now", NOW])
    assert status == EXIT_BLOCKED, err
    (result,) = results(out)
    assert result["message"] == "m-17" and result["verdict"] == "block"
    body = json.loads((EXAMPLES / "message.json").read_text())["body"]
    (violation,) = result["violations"]
    assert violation["rule"] == "no-email-address" and violation["field"] == "body"
    assert body[violation["start"]:violation["end"]] == violation["excerpt"] == "jane.doe@example.com"


def test_json_file_with_a_list_keeps_input_order(tmp_path):
    path = write(tmp_path / "batch.json", [BLOCKED, CLEAN, {k: v for k, v in WARNED.items() if k != "id"}])
    status, out, _ = run(["check", path, "--format", "json", "--now", NOW])
    assert status == EXIT_BLOCKED
    assert [(r["message"], r["verdict"]) for r in results(out)] == [("blocked", "block"), ("clean", "allow"), ("#3", "warn")]


def test_json_lines_file_with_blank_lines(tmp_path):
    path = write(tmp_path / "batch.jsonl", jsonl(CLEAN, "", {k: v for k, v in WARNED.items() if k != "id"}))
    status, out, _ = run(["check", path, "--format", "json", "--now", NOW])
    assert status == EXIT_OK
    assert [(r["message"], r["verdict"]) for r in results(out)] == [("clean", "allow"), ("#3", "warn")]


def test_standard_input_by_dash_and_by_default(monkeypatch):
    for argv in (["check", "-"], ["check"]):
        status, out, _ = run([*argv, "--format", "json", "--now", NOW], jsonl(CLEAN, BLOCKED), monkeypatch)
        assert status == EXIT_BLOCKED
        assert [r["verdict"] for r in results(out)] == ["allow", "block"]


def test_standard_input_with_one_json_document(monkeypatch):
    status, out, _ = run(["check", "-", "--format", "json"], json.dumps(WARNED, indent=2), monkeypatch)
    assert status == EXIT_OK
    assert [r["verdict"] for r in results(out)] == ["warn"]


def test_several_inputs_in_order(tmp_path):
    first = write(tmp_path / "a.json", BLOCKED)
    second = write(tmp_path / "b.jsonl", jsonl(CLEAN))
    status, out, _ = run(["check", first, second, "--format", "json"])
    assert status == EXIT_BLOCKED
    assert [r["message"] for r in results(out)] == ["blocked", "clean"]


# -- bad inputs in a batch ------------------------------------------------------------------------

def test_a_bad_json_line_is_invalid_with_its_line_number_and_the_batch_goes_on(tmp_path):
    path = write(tmp_path / "batch.jsonl", jsonl(CLEAN, '{"id": "broken", "body": ', BLOCKED))
    status, out, _ = run(["check", path, "--format", "json"])
    assert status == EXIT_INVALID
    clean, broken, blocked = results(out)
    assert (clean["verdict"], blocked["verdict"]) == ("allow", "block")
    assert broken["verdict"] == "invalid" and broken["message"] == "#2"
    assert f"{path}:2" in broken["error"] and "not valid JSON" in broken["error"]


@pytest.mark.parametrize(("bad", "path"), [
    ({"subject": 5}, "$.subject"),
    ({"recipient": {"opted_out": "yes"}}, "$.recipient.opted_out"),
    ({"attachments": [{"name": "a.pdf", "size": 1}, {"name": "b.pdf", "size": "big"}]}, "$.attachments[1].size"),
    ({"in_reply_to": {"received_at": "yesterday"}}, "$.in_reply_to.received_at"),
    ({"sent_at": "2026-11-22T09:30+01:00"}, "$.sent_at"),  # ISO 8601, but RFC 3339 needs the seconds
    ({"context": {"sent_today": -1}}, "$.context.sent_today"),
    ({"contact_reason": "complaint"}, "$.contact_reason"),
])
def test_a_wrong_typed_field_is_invalid_with_its_json_path(tmp_path, bad, path):
    file = write(tmp_path / "batch.jsonl", jsonl({**CLEAN, "id": "bad", **bad}, BLOCKED))
    status, out, _ = run(["check", file, "--format", "json"])
    assert status == EXIT_INVALID
    invalid, blocked = results(out)
    assert invalid["message"] == "bad" and invalid["verdict"] == "invalid"
    assert f"{file}:1: {path}: " in invalid["error"]
    assert blocked["verdict"] == "block"


def test_a_message_that_is_not_an_object_is_invalid(tmp_path):
    file = write(tmp_path / "batch.json", [CLEAN, ["not", "a", "message"]])
    status, out, _ = run(["check", file, "--format", "json"])
    assert status == EXIT_INVALID
    assert [r["verdict"] for r in results(out)] == ["allow", "invalid"]
    assert "$: a message is a JSON object" in results(out)[1]["error"]


def test_a_file_that_is_not_json_is_one_invalid_input(tmp_path):
    file = write(tmp_path / "broken.json", '{"id": "x",\n "body": nope}')
    status, out, err = run(["check", file, "--format", "json"])
    assert status == EXIT_INVALID
    (result,) = results(out)
    assert result["verdict"] == "invalid" and f"{file}:2" in result["error"]


# -- exit statuses --------------------------------------------------------------------------------

@pytest.mark.parametrize(("messages", "status"), [
    ([CLEAN], EXIT_OK),
    ([CLEAN, WARNED], EXIT_OK),
    ([WARNED, BLOCKED, CLEAN], EXIT_BLOCKED),
    ([BLOCKED, "{"], EXIT_INVALID),
    (["{", CLEAN], EXIT_INVALID),
])
def test_exit_status(tmp_path, messages, status):
    file = write(tmp_path / "batch.jsonl", jsonl(*messages))
    for output_format in ("json", "text"):
        assert run(["check", file, "--format", output_format])[0] == status


# -- policy and context ---------------------------------------------------------------------------

def test_policy_option(tmp_path):
    policy = write(tmp_path / "shop.bsm", """policy "Shop"

rule no-kettles warning {
  message "we sell no kettles: {match}"
  forbid body contains "kettle"
}
""")
    status, out, _ = run(["check", "--policy", policy, write(tmp_path / "m.json", BLOCKED), "--format", "json"])
    assert status == EXIT_OK  # the email rule is not in this policy
    (result,) = results(out)
    assert result["violations"] == [] and result["verdict"] == "allow"
    status, out, _ = run(["check", "--policy", policy, write(tmp_path / "c.json", CLEAN), "--format", "json"])
    (result,) = results(out)
    assert [(v["rule"], v["excerpt"], v["severity"]) for v in result["violations"]] == [("no-kettles", "kettle", "warning")]
    assert status == EXIT_OK and result["verdict"] == "warn"


def test_bundled_sp_api_policy_by_name(tmp_path):
    message = {"contact_reason": "invoice", "body": "Your invoice."}
    status, out, _ = run(["check", "--policy", "bundled:amazon-sp-api", write(tmp_path / "m.json", message),
                          "--format", "json"])
    assert status == EXIT_BLOCKED
    assert [v["rule"] for v in results(out)[0]["violations"]] == ["sp-api-attachment-required"]


def test_a_broken_policy_evaluates_nothing(tmp_path):
    policy = write(tmp_path / "broken.bsm", 'rule broken error {\n  forbid body contians "x"\n}\n')
    status, out, err = run(["check", "--policy", policy, write(tmp_path / "m.json", CLEAN)])
    assert status == EXIT_INVALID
    assert out == ""
    assert "error[BSM" in err and "broken.bsm:2:" in err


def test_missing_policy_file(tmp_path):
    status, out, err = run(["check", "--policy", str(tmp_path / "none.bsm"), write(tmp_path / "m.json", CLEAN)])
    assert (status, out) == (EXIT_INVALID, "")
    assert "none.bsm" in err


DAILY = ["--format", "json"]


def daily_limit_fired(status_out) -> list[bool]:
    status, out, _ = status_out
    return ["daily-limit" in [v["rule"] for v in r["violations"]] for r in results(out)]


def test_context_file(tmp_path):
    messages = write(tmp_path / "m.jsonl", jsonl(CLEAN, {**CLEAN, "id": "own", "context": {"sent_today": 0}}))
    context = write(tmp_path / "context.json", {"avg_daily_orders": 10, "sent_today": 650})
    # The message's own context wins over the file.
    assert daily_limit_fired(run(["check", messages, "--context", context, *DAILY])) == [True, False]
    at_limit = write(tmp_path / "at-limit.json", {"avg_daily_orders": 10, "sent_today": 649})
    assert daily_limit_fired(run(["check", messages, "--context", at_limit, *DAILY])) == [False, False]


def test_context_flags_and_their_precedence(tmp_path):
    messages = write(tmp_path / "m.jsonl", jsonl(CLEAN, {**CLEAN, "id": "own", "context": {"avg_daily_orders": 1000}}))
    assert daily_limit_fired(run(["check", messages, "--avg-daily-orders", "10", "--sent-today", "650", *DAILY])) \
        == [True, False]
    context = write(tmp_path / "context.json", {"avg_daily_orders": 10, "sent_today": 0})
    # A flag overrides the same value from the file.
    assert daily_limit_fired(run(["check", messages, "--context", context, "--sent-today", "650", *DAILY])) \
        == [True, False]
    assert daily_limit_fired(run(["check", messages, *DAILY])) == [False, False]


def test_now_option_decides_late_responses(tmp_path):
    reply = {**CLEAN, "in_reply_to": {"received_at": "2026-11-21T12:00:00Z"}}
    file = write(tmp_path / "m.json", reply)
    for now, fired in (("2026-11-22T12:00:00Z", False), ("2026-11-22T12:00:01Z", True)):
        status, out, _ = run(["check", file, "--now", now, "--format", "json"])
        assert ("late-response" in [v["rule"] for v in results(out)[0]["violations"]]) == fired
        assert status == EXIT_OK


def test_the_message_language_is_detected_when_not_given(tmp_path):
    english_buyer = {"recipient": {"role": "buyer", "language": "en-GB"}}
    german = {**CLEAN, **english_buyer, "id": "de", "subject": "Ihre Rücksendung",
              "body": "Wir haben den Wasserkocher erhalten, den Sie zurückgeschickt haben, und Ihr Geld ist unterwegs."}
    english = {**CLEAN, **english_buyer, "id": "en"}
    status, out, _ = run(["check", "--format", "json", write(tmp_path / "m.jsonl", jsonl(german, english))])
    by_id = {result["message"]: result for result in results(out)}
    assert status == EXIT_OK
    assert [(v["rule"], v["message"]) for v in by_id["de"]["violations"]] == [
        ("buyer-language", "the message is in de, but the buyer's language is en-GB")]
    assert by_id["en"]["violations"] == []


# -- usage errors: stderr, nothing evaluated ------------------------------------------------------

@pytest.mark.parametrize(("make_args", "says"), [
    (lambda d: [str(d / "missing.jsonl")], "missing.jsonl"),
    (lambda d: [write(d / "m.json", CLEAN), str(d / "missing.json")], "missing.json"),
    (lambda d: [write(d / "m.json", CLEAN), "--context", str(d / "none.json")], "--context"),
    (lambda d: [write(d / "m.json", CLEAN), "--context", write(d / "c.json", "{not json")], "--context"),
    (lambda d: [write(d / "m.json", CLEAN), "--context", write(d / "c.json", [1, 2])], "--context"),
    (lambda d: [write(d / "m.json", CLEAN), "--context", write(d / "c.json", {"sent_today": "many"})], "sent_today"),
    (lambda d: [write(d / "m.json", CLEAN), "--sent-today", "-1"], "--sent-today"),
    (lambda d: [write(d / "m.json", CLEAN), "--sent-today", "lots"], "--sent-today"),
    (lambda d: [write(d / "m.json", CLEAN), "--avg-daily-orders", "-0.5"], "--avg-daily-orders: expected a value >= 0"),
    (lambda d: [write(d / "m.json", CLEAN), "--avg-daily-orders", "nan"], "--avg-daily-orders: expected a value >= 0"),
    (lambda d: [write(d / "m.json", CLEAN), "--avg-daily-orders", "inf"], "--avg-daily-orders: expected a value >= 0"),
    (lambda d: [write(d / "m.json", CLEAN), "--context", write(d / "c.json", b"\xff{}")], "not UTF-8 text"),
    (lambda d: [write(d / "m.json", CLEAN), "--now", "tomorrow"], "--now"),
    (lambda d: [write(d / "m.json", CLEAN), "--format", "yaml"], "--format"),
])
def test_usage_errors_print_to_stderr_and_evaluate_nothing(tmp_path, make_args, says):
    status, out, err = run(["check", *make_args(tmp_path)])
    assert status == EXIT_INVALID
    assert out == ""
    assert says in err


@pytest.mark.parametrize("name", ["m.json", "m.jsonl", "m.eml"])
def test_an_input_that_cannot_be_opened_is_a_usage_error_naming_it(tmp_path, monkeypatch, name):
    import builtins

    from bsm_rules.messages import inputs

    unreadable = Path(write(tmp_path / name, CLEAN))

    def refusing_open(file, *args, **kwargs):
        if Path(file) == unreadable:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(inputs, "open", refusing_open, raising=False)  # root may read any file
    status, out, err = run(["check", write(tmp_path / "first.json", CLEAN), str(unreadable)])
    assert status == EXIT_INVALID
    assert out == ""
    assert f"{name}: cannot be read: Permission denied" in err


# -- the text format ------------------------------------------------------------------------------

def test_text_format_shows_verdict_rule_severity_message_and_carets(tmp_path):
    message = {**CLEAN, "id": "m-9", "subject": "Re: your kettle",
               "body": "Hello!\nWrite to jane.doe@example.com 😊 or call +1 206-555-0100."}
    status, out, _ = run(["check", write(tmp_path / "m.json", message), "--format", "text"])
    assert status == EXIT_BLOCKED
    lines = out.splitlines()
    assert lines[0] == "m-9: block"
    assert lines[-1] == "1 message(s): 1 block"
    for rule, severity, excerpt in (("no-email-address", "error", "jane.doe@example.com"),
                                    ("no-emoji", "warning", "😊"), ("phone-number", "warning", "+1 206-555-0100")):
        header = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{severity}[{rule}]: "))
        assert f'"{excerpt}"' in lines[header]  # the rule's message quotes the match
        assert lines[header + 1].strip() == f"--> body:2:{message['body'].split(chr(10))[1].index(excerpt) + 1}"
        source, carets = lines[header + 2], lines[header + 3]
        assert source.strip() == "2 | Write to jane.doe@example.com 😊 or call +1 206-555-0100."
        column = display_width(source[:source.index(excerpt)])
        assert display_width(carets[:carets.index("^")]) == column
        assert carets[carets.index("^"):].rstrip() == "^" * display_width(excerpt)


def display_width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_text_format_for_unlocated_and_invalid_results(tmp_path):
    file = write(tmp_path / "m.jsonl", jsonl({**CLEAN, "id": "s", "recipient": {"role": "seller"}}, "{oops"))
    status, out, _ = run(["check", file])
    assert status == EXIT_INVALID
    lines = out.splitlines()
    assert lines[0] == "s: block"
    assert lines[1].strip().startswith("error[seller-to-seller]: Buyer-Seller Messaging cannot be used")
    assert lines[2] == "#2: invalid"
    assert f"{file}:2" in lines[3] and "not valid JSON" in lines[3]
    assert lines[-1] == "2 message(s): 1 block, 1 invalid"


def test_text_format_points_into_the_html_source(tmp_path):
    message = {**CLEAN, "id": "h", "body": "", "html": "<p>Mail\n<b>jane@example.com</b></p>"}
    status, out, _ = run(["check", write(tmp_path / "m.json", message)])
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if "error[no-email-address]" in line)
    assert lines[header + 1].strip() == "--> html:2:4"
    assert lines[header + 3].strip() == "| " + " " * 3 + "^" * len("jane@example.com")


# -- the installed executable ---------------------------------------------------------------------

def bsm_executable() -> str:
    candidate = Path(sys.executable).parent / "bsm"
    return str(candidate) if candidate.exists() else "bsm"


def test_installed_bsm_executable(tmp_path):
    completed = subprocess.run(
        [bsm_executable(), "check", "-", "--format", "json", "--now", NOW],
        input=jsonl(CLEAN, WARNED, "{", BLOCKED), capture_output=True, text=True, encoding="utf-8", timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == EXIT_INVALID, completed.stderr
    assert [r["verdict"] for r in results(completed.stdout)] == ["allow", "warn", "invalid", "block"]
    completed = subprocess.run([bsm_executable(), "check", str(EXAMPLES / "messages.jsonl")],
                               capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert completed.returncode == EXIT_BLOCKED, completed.stderr
    assert "error[no-email-address]" in completed.stdout and "^^^^" in completed.stdout
    completed = subprocess.run([bsm_executable(), "check", str(tmp_path / "missing.json")],
                               capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert (completed.returncode, completed.stdout) == (EXIT_INVALID, "")
    assert "missing.json" in completed.stderr


def test_lone_surrogates_in_the_input_do_not_break_the_output(tmp_path):
    """JSON may escape a lone surrogate; it cannot be written as UTF-8, so it is written escaped."""
    lines = '{"id": "\\ud800-1", "body": "\\ud800 write to a@b.de"}\n' + json.dumps(CLEAN) + "\n"
    file = write(tmp_path / "m.jsonl", lines)
    for output_format in ("json", "text"):
        completed = subprocess.run([bsm_executable(), "check", file, "--format", output_format],
                                   capture_output=True, timeout=120)
        assert completed.returncode == EXIT_BLOCKED, completed.stderr
        assert b"Traceback" not in completed.stderr
        output = completed.stdout.decode("utf-8")
        if output_format == "json":
            first, second = results(output)
            assert first["message"] == "\ud800-1" and first["violations"][0]["excerpt"] == "a@b.de"
            assert second["verdict"] == "allow"
        else:
            assert output.startswith("\\ud800-1: block\n")
            assert "1 | \ufffd write to a@b.de" in output


# -- many findings --------------------------------------------------------------------------------

def test_violations_of_a_rule_are_listed_up_to_a_hundred_per_field_then_counted(tmp_path):
    body = "jo@ex.com " * 250
    message = {**CLEAN, "id": "many", "subject": "Mail jo@ex.com or jo@ex.com", "body": body}
    status, out, _ = run(["check", write(tmp_path / "m.json", message), "--format", "json"])
    assert status == EXIT_BLOCKED
    (result,) = results(out)
    emails = [v for v in result["violations"] if v["rule"] == "no-email-address"]
    in_body = [v for v in emails if v["field"] == "body"]
    assert [v["field"] for v in emails].count("subject") == 2
    assert len(in_body) == 101
    assert all(body[v["start"]:v["end"]] == "jo@ex.com" for v in in_body[:100])
    assert [v["start"] for v in in_body[:100]] == [10 * n for n in range(100)]
    assert in_body[100] == {"rule": "no-email-address", "severity": "error",
                            "message": "… and 150 more in body (not listed)", "field": "body"}


def test_the_count_of_unlisted_violations_adds_up_over_the_clauses_of_a_rule(tmp_path):
    # no-marketing forbids marketing phrases and percentages off: one list and one count per field
    body = "Use code SAVE. " * 70 + "Now 20% off. " * 70
    status, out, _ = run(["check", write(tmp_path / "m.json", {**CLEAN, "id": "sale", "body": body}), "--format", "json"])
    (result,) = results(out)
    marketing = [v for v in result["violations"] if v["rule"] == "no-marketing"]
    assert len(marketing) == 101
    assert marketing[-1]["message"] == "… and 40 more in body (not listed)"
    assert [v for v in marketing if "start" not in v] == [marketing[-1]]


def test_a_megabyte_of_addresses_is_checked_and_written_in_a_short_line(tmp_path):
    file = write(tmp_path / "m.json", {**CLEAN, "id": "mb", "body": "jo@ex.com " * 100_000})
    for output_format in ("json", "text"):
        status, out, _ = run(["check", file, "--format", output_format])
        assert status == EXIT_BLOCKED
        assert len(out) < 100_000
        assert "… and 99,900 more in body (not listed)" in out


# -- size limit -----------------------------------------------------------------------------------

TOO_LARGE = "larger than 25 MiB, the most one message may be; not read"


def _huge_line(size: int) -> bytes:
    return b'{"id": "huge", "body": "' + b"x" * size + b'"}\n'


def test_a_json_lines_line_larger_than_the_limit_is_invalid_and_the_batch_goes_on(tmp_path):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl(CLEAN).encode() + _huge_line(MAX_MESSAGE_BYTES) + jsonl(BLOCKED).encode())
    status, out, _ = run(["check", str(path), "--format", "json"])
    assert status == EXIT_INVALID
    assert [(r["message"], r["verdict"]) for r in results(out)] == [
        ("clean", "allow"), ("#2", "invalid"), ("blocked", "block")]
    assert results(out)[1]["error"] == f"{path}:2: {TOO_LARGE}"


def test_a_line_just_under_the_limit_is_read(tmp_path):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    path = tmp_path / "m.jsonl"
    path.write_bytes(_huge_line(MAX_MESSAGE_BYTES - 40))
    status, out, _ = run(["check", str(path), "--format", "json"])
    assert [r["verdict"] for r in results(out)] != ["invalid"]


def test_reading_a_long_line_holds_no_more_than_the_limit():
    import tracemalloc

    from bsm_rules.messages.inputs import _read_jsonl, _byte_lines
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    class Endless(io.RawIOBase):
        """A line of 3 × the limit, then a message, made as it is read."""

        def __init__(self):
            self.left = 3 * MAX_MESSAGE_BYTES

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.left < 0:
                return 0
            if self.left == 0:
                tail = b"\n" + json.dumps(CLEAN).encode() + b"\n"
                buffer[:len(tail)] = tail
                self.left = -1
                return len(tail)
            size = min(len(buffer), self.left)
            buffer[:size] = b"x" * size
            self.left -= size
            return size

    tracemalloc.start()
    try:
        items = [(item.where, item.error is None) for item in
                 _read_jsonl(_byte_lines(io.BufferedReader(Endless())), "in", decode=True)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert items == [("in:1", False), ("in:2", True)]
    assert peak < MAX_MESSAGE_BYTES + (4 << 20)


def test_standard_input_lines_larger_than_the_limit_are_invalid(tmp_path):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    lines = jsonl(CLEAN).encode() + _huge_line(MAX_MESSAGE_BYTES) + jsonl(BLOCKED).encode()
    completed = subprocess.run([bsm_executable(), "check", "--format", "json"], input=lines, capture_output=True,
                               timeout=120)
    assert completed.returncode == EXIT_INVALID
    decoded = results(completed.stdout.decode())
    assert [r["verdict"] for r in decoded] == ["allow", "invalid", "block"]
    assert decoded[1]["error"] == f"<stdin>:2: {TOO_LARGE}"


def test_a_json_document_larger_than_the_limit_is_invalid(tmp_path, monkeypatch):
    from bsm_rules.messages.items import MAX_MESSAGE_BYTES

    document = json.dumps([CLEAN, {**CLEAN, "body": "x" * MAX_MESSAGE_BYTES}], indent=1)
    status, out, _ = run(["check", write(tmp_path / "m.json", document), "--format", "json"])
    assert status == EXIT_INVALID
    assert [r["error"] for r in results(out)] == [f"{tmp_path / 'm.json'}: {TOO_LARGE}"]
    status, out, _ = run(["check", "--format", "json"], stdin=document, monkeypatch=monkeypatch)
    assert [r["error"] for r in results(out)] == [f"<stdin>: {TOO_LARGE}"]


# -- a megabyte of hostile text -------------------------------------------------------------------

@pytest.mark.parametrize(("field", "piece", "verdict", "rules"), [
    ("body", "\U0001F468\u200d", "warn", {"no-emoji"}),  # one emoji of a megabyte
    ("body", "\U0001F600", "warn", {"no-emoji"}),
    ("body", "x@x.", "allow", set()),
    ("body", "a.co.uk ", "block", {"no-external-links"}),
    ("body", "\ufdfa", "allow", set()),  # NFKC makes 18 characters of it
    ("html", "<!--", "allow", set()),
    ("html", "<![CDATA[", "allow", set()),
    ("html", "<a x='>' ", "allow", set()),
])
def test_a_megabyte_of_hostile_text_in_a_field_is_checked(tmp_path, field, piece, verdict, rules):
    message = {"id": "mb", field: piece * (1_000_000 // len(piece.encode()))}
    status, out, err = run(["check", write(tmp_path / "m.json", message), "--format", "json"])
    (result,) = results(out)
    assert (result["verdict"], err) == (verdict, "")
    assert {v["rule"] for v in result["violations"]} - {"important-tag-missing", "order-id-missing",
                                                        "category-assumed", "generic-subject"} == rules
    assert all(len([v for v in result["violations"] if v["rule"] == rule]) <= 101 for rule in rules)
