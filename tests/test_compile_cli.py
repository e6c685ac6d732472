"""`bsm compile` prints the generated rule runner, and the runner's lines are known to
`linecache` under a stable pseudo file name, so that tracebacks show them."""

from __future__ import annotations

import gc
import io
import linecache
import traceback

import pytest

from bsm_rules import load_policy
from bsm_rules.cli import main


def _compile(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["compile", *args], out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("policy", [None, "bundled:amazon-sp-api"])
def test_the_printed_runner_compiles_and_names_every_rule(policy):
    status, source, err = _compile(*(("--policy", policy) if policy else ()))
    assert (status, err) == (0, "")
    code = compile(source, "<printed>", "exec")
    assert code.co_names == ("run_rules",)
    loaded = load_policy(policy)
    assert source == loaded.compiled.runner_source
    comments = {line.strip().removeprefix("# ") for line in source.splitlines() if line.strip().startswith("# ")}
    assert loaded.rule_ids and set(loaded.rule_ids) <= comments


def test_a_policy_with_errors_prints_its_diagnostics_and_no_source():
    status, source, err = _compile("--policy", "rule broken error {\n  forbid nonsense\n}\n")
    assert (status, source) == (2, "")
    assert "BSM201" in err and "the policy has 1 error(s)" in err


def test_a_failing_runner_line_shows_in_its_traceback():
    compiled = load_policy().compiled
    with pytest.raises(AttributeError) as failure:
        compiled.run_rules(None, [])  # no message view: the runner's first line fails
    frame = traceback.extract_tb(failure.value.__traceback__)[-1]
    assert frame.filename == compiled.run_rules.__code__.co_filename
    assert frame.filename.startswith("<bsm rule runner: Amazon Buyer-Seller Messaging ")
    expected = compiled.runner_source.splitlines()[frame.lineno - 1]
    assert linecache.getline(frame.filename, frame.lineno) == expected + "\n"
    assert frame.line == expected.strip() == "m = view.message"
    assert "    m = view.message\n" in "".join(traceback.format_exception(failure.value))


def test_the_pseudo_file_name_is_stable_and_leaves_linecache_with_the_last_runner():
    text = 'policy "compile name test"\n\nrule short-body info {\n  message "short"\n  forbid body contains "x"\n}\n'
    first, second = load_policy(text).compiled, load_policy(text).compiled
    file_name = first.run_rules.__code__.co_filename
    assert second.run_rules.__code__.co_filename == file_name
    assert file_name.startswith("<bsm rule runner: compile name test ")
    # Constants are not written into the source: the same source, the same lines, one name.
    assert load_policy(text.replace('"x"', '"y"')).compiled.run_rules.__code__.co_filename == file_name
    other = load_policy(text.replace("short-body", "other-body")).compiled
    assert other.run_rules.__code__.co_filename != file_name
    del first
    gc.collect()
    assert linecache.getline(file_name, 1) == "def run_rules(view, out):\n"  # the second still runs
    del second
    gc.collect()
    assert linecache.getline(file_name, 1) == ""
    assert linecache.getline(other.run_rules.__code__.co_filename, 1) == "def run_rules(view, out):\n"
