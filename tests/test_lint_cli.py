"""`bsm lint PATH...` through `cli.main`: files and directories, text / JSON / SARIF 2.1.0 output
(validated against the OASIS schema), exit statuses 0 / 1 / 2 and `--fail-on warning`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from bsm_rules.cli import main
from bsm_rules.core.resources import bundled_policies_dir

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

CLEAN = 'policy "Clean"\n\nrule no-email error {\n  message "no email addresses"\n  forbid count(emails(text)) > 0\n}\n'
WARNING_ONLY = CLEAN + '\npattern unused = /x/\n'
BROKEN = ('policy "Broken"\n\npattern p = /a/\n\nrule r error {\n  message "m"\n  forbid body matches q\n}\n\n'
          'rule r warning {\n  message "again"\n  forbid body contains "x"\n}\n')


def lint(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["lint", *args], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.bsm").write_text(CLEAN)
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "nested" / "deeper" / "broken.bsm").write_text(BROKEN)
    (tmp_path / "nested" / "warning.bsm").write_text(WARNING_ONLY)
    (tmp_path / "nested" / "notes.txt").write_text("not a policy {")
    return tmp_path


def test_bundled_policies_lint_clean():
    status, out, _ = lint("--format", "json", str(bundled_policies_dir()))
    assert json.loads(out) == []
    assert status == 0
    status, _, _ = lint("--fail-on", "warning", str(bundled_policies_dir()))
    assert status == 0


def test_clean_file_exits_0(tree):
    status, out, err = lint("clean.bsm")
    assert (status, err) == (0, "")
    assert out.strip() == "1 file(s) checked: 0 error(s), 0 warning(s) or note(s)"


def test_directories_are_searched_for_policy_files(tree):
    status, out, _ = lint("--format", "json", ".")
    files = {d["file"] for d in json.loads(out)}
    assert files == {str(Path("nested/deeper/broken.bsm")), str(Path("nested/warning.bsm"))}
    assert status == 1


def test_errors_exit_1_and_are_rendered_with_carets(tree):
    status, out, _ = lint("nested/deeper/broken.bsm")
    assert status == 1
    assert "error[BSM201]: unknown name `q`" in out
    assert "7 |   forbid body matches q\n  |                       ^ not a known name\n" in out
    assert "error[BSM208]" in out and "first defined here" in out
    assert out.rstrip().endswith("1 file(s) checked: 2 error(s), 1 warning(s) or note(s)")


def test_warnings_pass_unless_fail_on_warning(tree):
    assert lint("nested/warning.bsm")[0] == 0
    status, out, _ = lint("--fail-on", "warning", "nested/warning.bsm")
    assert status == 1 and "warning[BSM501]" in out


def test_unreadable_input_exits_2_and_the_others_are_still_linted(tree):
    (tree / "latin1.bsm").write_bytes('policy "caf\xe9"\n'.encode("latin-1"))
    status, out, err = lint("--format", "json", "missing.bsm", "latin1.bsm", "nested/deeper/broken.bsm")
    assert status == 2
    found = json.loads(out)
    unreadable = [(d["file"], d["message"]) for d in found if d["code"] == "BSM001"]
    assert unreadable == [("latin1.bsm", "cannot read policy latin1.bsm: it is not UTF-8 text"),
                          ("missing.bsm", "cannot read policy missing.bsm: no such file or directory")]
    assert any(d["code"] == "BSM201" for d in found)
    assert "cannot read missing.bsm" in err


def test_json_output_carries_related_locations_and_fixes(tree):
    (tree / "typo.bsm").write_text('pattern email = /@/\nrule r error {\n  message "m"\n  forbid body matches emial\n}\n')
    _, out, _ = lint("--format", "json", "typo.bsm")
    [diagnostic] = json.loads(out)
    assert diagnostic["code"] == "BSM201"
    assert (diagnostic["line"], diagnostic["column"], diagnostic["end_column"]) == (4, 23, 28)
    assert diagnostic["fixes"] == [{"title": "did you mean `email`?", "line": 4, "column": 23, "end_line": 4,
                                    "end_column": 28, "replacement": "email"}]


def test_sarif_output_validates_against_the_schema(tree):
    status, out, _ = lint("--format", "sarif", ".")
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    assert status == 1
    [run] = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["BSM201", "BSM208", "BSM501"]
    assert run["tool"]["driver"]["rules"][0]["help"]["text"].endswith("docs/diagnostics/BSM201.md.")
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    by_code = {result["ruleId"]: result for result in run["results"]}
    location = by_code["BSM201"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "nested/deeper/broken.bsm"
    assert location["region"] == {"startLine": 7, "startColumn": 23, "endLine": 7, "endColumn": 24}
    assert by_code["BSM208"]["relatedLocations"][0]["message"]["text"] == "first defined here"
    assert by_code["BSM501"]["level"] == "warning"


def test_sarif_fixes_and_unreadable_files_validate(tree):
    (tree / "typo.bsm").write_text('pattern email = /@/\nrule r error {\n  message "m"\n  forbid body matches emial\n}\n')
    status, out, _ = lint("--format", "sarif", "typo.bsm", "missing.bsm")
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    assert status == 2
    fixes = [r["fixes"] for r in log["runs"][0]["results"] if "fixes" in r]
    [[fix]] = fixes
    [change] = fix["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == "email"


def test_empty_sarif_log_validates(tree):
    status, out, _ = lint("--format", "sarif", "clean.bsm")
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    assert status == 0 and log["runs"][0]["results"] == []


def test_schema_rejects_a_broken_log():
    """The schema really constrains the output (guards against validating against nothing)."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.1.0", "runs": [{"results": []}]}, SCHEMA, cls=jsonschema.Draft4Validator)
