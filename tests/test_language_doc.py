"""Every example of the language reference (docs/language.md) is checked:

- a ```` ```bsm ```` block is a complete policy that loads without errors, and the `example`
  statements it holds pass;
- a ```` ```bsm-error CODE… ```` block is a deliberate mistake that produces each named diagnostic;
- a ```` ```json message ```` block is a message evaluated against the nearest ```` ```bsm ```` block
  above it, and the ```` ```json result ```` block after it is what evaluation gives (each violation
  compared on the keys it lists)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import attrs
import pytest

from bsm_rules import PolicyError, load_policy
from bsm_rules.language.examples import collect_cases
from bsm_rules.testing.examples import run_case

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@attrs.frozen
class Block:
    kind: str  # "bsm", "bsm-error", "json message", "json result", …
    words: tuple[str, ...]
    body: str
    line: int

    def __str__(self) -> str:
        return f"line {self.line}"


def blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        words = tuple(match.group("info").split())
        found.append(Block(" ".join(words[:2]) if words[:1] == ("json",) else (words[0] if words else ""),
                           words, match.group("body"), text.count("\n", 0, match.start()) + 1))
    return found


BLOCKS = blocks()
POLICY_BLOCKS = [b for b in BLOCKS if b.kind == "bsm"]
ERROR_BLOCKS = [b for b in BLOCKS if b.kind == "bsm-error"]


def message_examples() -> list[tuple[Block, Block, Block]]:
    """(policy block, message block, result block) triples."""
    triples = []
    policy = None
    for index, block in enumerate(BLOCKS):
        if block.kind == "bsm":
            policy = block
        elif block.kind == "json message":
            result = BLOCKS[index + 1] if index + 1 < len(BLOCKS) else None
            assert result is not None and result.kind == "json result", f"line {block.line}: a message without a result"
            assert policy is not None, f"line {block.line}: a message before any policy"
            triples.append((policy, block, result))
    return triples


MESSAGE_EXAMPLES = message_examples()


def test_the_doc_has_examples_of_each_kind():
    assert len(POLICY_BLOCKS) >= 25
    assert ERROR_BLOCKS and MESSAGE_EXAMPLES
    unknown = [b for b in BLOCKS if (b.kind.startswith("bsm") or b.kind.startswith("json "))
               and b.kind not in ("bsm", "bsm-error", "json message", "json result")]
    assert not unknown, f"blocks the test does not understand: {unknown}"


@pytest.mark.parametrize("block", POLICY_BLOCKS, ids=str)
def test_policy_examples_load_and_their_examples_pass(block):
    try:
        policy = load_policy(block.body)
    except PolicyError as error:
        pytest.fail(f"docs/language.md line {block.line}: the example has errors:\n{error}")
    for case in collect_cases(policy.checked):
        result = run_case(policy, case, NOW, explain=False)
        assert result.passed, (case.name, result.problems)


@pytest.mark.parametrize("block", ERROR_BLOCKS, ids=str)
def test_error_examples_produce_the_diagnostic_they_name(block):
    codes = block.words[1:]
    assert codes and all(re.fullmatch(r"BSM\d{3}", code) for code in codes), \
        f"line {block.line}: write ```bsm-error BSMnnn"
    with pytest.raises(PolicyError) as caught:
        load_policy(block.body)
    produced = {d.code for d in caught.value.diagnostics if d.is_error}
    assert set(codes) <= produced, produced


@pytest.mark.parametrize(("policy", "message", "result"), MESSAGE_EXAMPLES, ids=lambda b: str(b))
def test_message_examples_evaluate_as_the_doc_says(policy, message, result):
    expected = json.loads(result.body)
    verdict = load_policy(policy.body).evaluate(json.loads(message.body), now=NOW).to_json()
    assert verdict["verdict"] == expected["verdict"]
    got = [{key: violation.get(key) for key in wanted} for violation, wanted in
           zip(verdict["violations"], expected["violations"])]
    assert len(verdict["violations"]) == len(expected["violations"]), verdict["violations"]
    assert got == expected["violations"]


# -- the reference tables are the registry (tests/test_registry.py checks the built-ins) -------

def table_rows(heading: str) -> list[list[str]]:
    """The rows of the first table after `heading` (cells stripped; the header row excluded)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    rows, started = [], False
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            started = True
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        elif started:
            break
    return rows[1:]  # rows[0] is the line under the header


def test_field_and_context_tables_match_the_registry():
    from bsm_rules.library.registry import CONTEXT, FIELDS

    rows = table_rows("| field | type | meaning | when the message does not give it |")
    assert rows == [[f"`{f.name}`", str(f.type), f.doc, f.absent] for f in FIELDS.values()]
    rows = table_rows("| context value | type | meaning | when not given |")
    assert rows == [[f"`{f.name}`", str(f.type), f.doc, f.absent] for f in CONTEXT.values()]


def test_record_table_matches_the_schema():
    from bsm_rules.library.schema import ATTACHMENT, LINK, FOUND, RECIPIENT, REPLY, SENDER

    expected = []
    for record in (ATTACHMENT, LINK, FOUND, RECIPIENT, SENDER, REPLY):
        for index, (name, field_type, doc) in enumerate(record.fields):
            expected.append([record.name if index == 0 else "", f"`{name}`", str(field_type), doc])
    assert table_rows("| record | field | type | meaning |") == expected
