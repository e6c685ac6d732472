"""The registry of built-in functions, message fields and context values is the one place they are
declared: the language reference, the editor grammar, the examples' message vocabulary and the
message model agree with it, and what each declaration says of its implementation holds."""

from __future__ import annotations

import html
import json
import pickle
import re
from pathlib import Path

import pytest
import re2
from hypothesis import given, strategies as st

from bsm_rules.core.errors import MessageError
from bsm_rules.engine.policy import check_policy
from bsm_rules.library import BUILTINS, CONTEXT, FIELDS, message_vocabulary, parse_html, readable
from bsm_rules.library.runtime import Segment
from bsm_rules.library.schema import STRING, TEXT
from bsm_rules.messages.model import Message, parse_message

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE_DOC = ROOT / "docs" / "language.md"
GRAMMAR = ROOT / "lsp" / "vscode" / "syntaxes" / "bsm.tmLanguage.json"
FINDERS = [b for b in BUILTINS.values() if b.finder is not None]
TRIGGERED = [b for b in FINDERS if b.trigger is not None]


def _ids(builtin) -> str:
    return builtin.name


# -- the language reference ----------------------------------------------------------------------

def _builtin_section() -> str:
    text = LANGUAGE_DOC.read_text(encoding="utf-8")
    start = text.index("\n## Built-in functions\n")
    return text[start:text.index("\n## ", start + 1)]


def _function_rows() -> list[list[str]]:
    lines = [line for line in _builtin_section().splitlines() if line.startswith("|")]
    assert lines[0] == "| function | result | description | example |"
    return [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in lines[2:]]


def test_the_reference_documents_every_builtin_with_its_signature_and_nothing_else():
    assert _function_rows() == [[f"`{b.documented_call}`", b.documented_result, b.doc, f"`{b.example}`"]
                                for b in BUILTINS.values()]


# A value of each type a parameter is documented with, and a value of none of them.
_ARGUMENT_OF = {"text": "body", "string": "order_id", "list": "attachments.size"}
_NO_ARGUMENT = "sent_at"


def _checks(call: str) -> list[str]:
    return [d.code for d in check_policy(f'rule r error {{ message "m" forbid {call} }}').diagnostics if d.is_error]


def test_the_checker_takes_the_documented_argument_types_and_refuses_others():
    for builtin in BUILTINS.values():
        documented = re.fullmatch(rf"{builtin.name}\((.*)\)", builtin.documented_call).group(1).split(", ")
        call = f"{builtin.name}({', '.join(_ARGUMENT_OF[name] for name in documented)})"
        assert "BSM301" not in _checks(f"{call} is present"), call
        assert "BSM301" in _checks(f"{builtin.name}({_NO_ARGUMENT}) is present"), builtin.name


def test_the_reference_policy_uses_every_builtin_example():
    section = _builtin_section()
    policy = section[section.index("```bsm\n") + len("```bsm\n"):section.rindex("```")]
    assert check_policy(policy).ok
    for builtin in BUILTINS.values():
        assert builtin.example in policy, builtin.name


def test_a_wrong_argument_count_is_reported_with_the_declared_signature():
    for builtin in BUILTINS.values():
        args = ", ".join(["body"] * (len(builtin.params) + 1))
        checked = check_policy(f'rule r error {{ message "m" forbid {builtin.name}({args}) }}')
        (diagnostic,) = [d for d in checked.diagnostics if d.code == "BSM302"]
        assert f"note: {builtin.signature}" in diagnostic.notes


# -- the editor grammar --------------------------------------------------------------------------

def _grammar_builtin_pattern() -> str:
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    (pattern,) = [p["match"] for p in grammar["repository"]["function-call"]["patterns"]
                  if p.get("captures", {}).get("1", {}).get("name") == "support.function.builtin.bsm"]
    return pattern


def test_the_textmate_grammar_names_exactly_the_registered_builtins():
    names = re.fullmatch(r"\\b\(([a-z_|]+)\)\\s\*\(\?=\\\(\)", _grammar_builtin_pattern()).group(1).split("|")
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(BUILTINS)


def test_the_textmate_pattern_highlights_each_builtin_call_and_no_other_name():
    pattern = re.compile(_grammar_builtin_pattern())
    for name in BUILTINS:
        assert pattern.match(f"{name}(body)").group(1) == name
        assert pattern.match(f"{name}x(body)") is None


# -- implementations, finders, triggers and samples ------------------------------------------------

@pytest.mark.parametrize("builtin", list(BUILTINS.values()), ids=_ids)
def test_every_builtin_has_an_implementation_that_is_absent_for_an_absent_argument(builtin):
    assert callable(builtin.function)
    assert builtin.function(*[None] * len(builtin.params)) is None


def test_the_finders_are_the_builtins_with_samples():
    assert FINDERS and [b.name for b in FINDERS] == [b.name for b in BUILTINS.values() if b.samples]
    assert all(b.params == ((TEXT, STRING),) for b in FINDERS)


def _segment(builtin, sample: str) -> Segment:
    return Segment("html", sample, parse_html(sample)) if builtin.html_only else Segment("body", sample)


@pytest.mark.parametrize("builtin", FINDERS, ids=_ids)
def test_a_finder_finds_something_in_each_of_its_samples(builtin):
    for sample in builtin.samples:
        assert builtin.finder(_segment(builtin, sample)), sample
        if not builtin.html_only:
            assert builtin.function(sample), sample


@pytest.mark.parametrize("builtin", TRIGGERED, ids=_ids)
def test_a_trigger_matches_each_sample_of_its_finder(builtin):
    for sample in builtin.samples:
        assert re2.search(builtin.trigger, _segment(builtin, sample).text) is not None, sample


@pytest.mark.parametrize("builtin", TRIGGERED, ids=_ids)
def test_a_trigger_is_not_vacuous(builtin):
    assert re2.search(builtin.trigger, "Thanks for your order") is None


@pytest.mark.parametrize("builtin", [b for b in FINDERS if not b.html_only], ids=_ids)
def test_a_finder_reads_html_link_targets_exactly_when_it_says_so(builtin):
    """The prefilter counts a trigger as matched in an HTML body only for such finders."""
    for sample in builtin.samples:
        markup = f'<p>Thanks</p><a href="{html.escape(sample, quote=True)}">here</a>'
        found = builtin.finder(Segment("html", markup, parse_html(markup)))
        assert bool(found) == builtin.reads_html_targets, sample


def test_html_only_finders_find_nothing_in_plain_text():
    for builtin in FINDERS:
        if builtin.html_only:
            assert all(not builtin.function(sample) for sample in builtin.samples)


_VALUES = {"list": st.lists(st.integers() | st.none()), "string": st.text()}


@pytest.mark.parametrize("builtin", [b for b in BUILTINS.values() if b.inline_source], ids=_ids)
def test_an_inline_source_computes_what_the_function_does(builtin):
    assert builtin.inline
    strategies = [_VALUES[alternatives[0].name] for alternatives in builtin.params]

    @given(st.tuples(*strategies))
    def agree(values):
        names = {f"a{i}": value for i, value in enumerate(values)}
        source = builtin.inline_source.format(*names)
        assert eval(source, {}, names) == builtin.function(*values)  # noqa: S307 - the registry's own source

    agree()


# -- fields, context values and the message model -------------------------------------------------

def test_a_name_reads_its_field_or_context_value():
    assert all(readable(name) is field for name, field in {**FIELDS, **CONTEXT}.items())
    assert readable("match") is None and not set(FIELDS) & set(CONTEXT)


def test_declarations_pickle_as_references_to_the_registry():
    """The policy cache pickles checked policies, which name fields (whose getters are functions)."""
    for declaration in (*FIELDS.values(), *CONTEXT.values(), *BUILTINS.values()):
        assert pickle.loads(pickle.dumps(declaration)) is declaration


def test_the_text_fields_are_computed_on_demand():
    assert [f.name for f in FIELDS.values() if f.is_text] == ["subject", "body", "html", "text"]
    assert all(f.lazy for f in FIELDS.values() if f.is_text)


def test_record_fields_read_message_attributes_that_exist():
    for field in FIELDS.values():
        if field.message_attributes:
            record_fields = [name for name, _, _ in field.type.fields]
            assert [name for name, _ in field.message_attributes] == record_fields
            assert {attribute for _, attribute in field.message_attributes} <= set(Message.__struct_fields__)


def _literal(field_type) -> str:
    """An example-message value with every field of a record (values need not be valid)."""
    record = field_type.element if field_type.is_list else field_type
    if record is None or not record.fields:
        return '"x"'
    value = "{ " + ", ".join(f"{name}: {_literal(sub)}" for name, sub, _ in record.fields) + " }"
    return f"[{value}]" if field_type.is_list else value


def test_the_examples_message_vocabulary_is_the_registry_s_given_fields():
    message = ", ".join(f"{field.name}: {_literal(field.type)}" for field in FIELDS.values())
    context = ", ".join(f"{value.name}: 1" for value in CONTEXT.values())
    checked = check_policy(f'example "every name" {{\n  message {{ {message} }}\n  context {{ {context} }}\n'
                           "  expect allow\n}\n")
    unknown = [d.span.text for d in checked.diagnostics if d.code == "BSM602"]
    expected = [f.name for f in FIELDS.values() if not f.given]
    expected += [name for f in FIELDS.values() for name in (f.type.element or f.type).computed]
    expected += [v.name for v in CONTEXT.values() if not v.given]
    assert sorted(unknown) == sorted(expected)
    assert unknown  # the check is not vacuous: computed values are refused


def _paths(vocabulary, prefix: str = "$") -> list[str]:
    paths = []
    for key, nested in vocabulary.items():
        path = f"{prefix}.{key}"
        paths.append(path)
        if isinstance(nested, list):
            paths += _paths(nested[0], f"{path}[0]")
        elif isinstance(nested, dict):
            paths += _paths(nested, path)
    return paths


class _Recording(dict):
    """A JSON object that notes the keys read from it."""

    def __init__(self, path: str, read: list[str], values: dict):
        super().__init__(values)
        self.path, self.read = path, read

    def get(self, key, default=None):
        self.read.append(f"{self.path}.{key}")
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.append(f"{self.path}.{key}")
        return super().__getitem__(key)


def test_the_message_model_reads_exactly_the_vocabulary():
    read: list[str] = []
    message = _Recording("$", read, {
        "sender": _Recording("$.sender", read, {}), "recipient": _Recording("$.recipient", read, {}),
        "attachments": [_Recording("$.attachments[0]", read, {"name": "a.pdf", "size": 1})],
        "in_reply_to": _Recording("$.in_reply_to", read, {"received_at": "2026-01-01T00:00:00Z"}),
        "context": _Recording("$.context", read, {}),
    })
    parse_message(message)
    assert sorted(set(read)) == sorted(_paths(message_vocabulary()))


_VALID = {"$.attachments[0]": {"name": "a.pdf", "size": 1}, "$.in_reply_to": {"received_at": "2026-01-01T00:00:00Z"}}


@pytest.mark.parametrize("path", _paths(message_vocabulary()))
def test_a_wrong_value_under_each_vocabulary_key_is_an_input_error_there(path):
    message: dict = {}
    target, container_path = message, "$"
    parts = re.findall(r"\.(\w+)(\[0\])?", path)
    for index, (key, item) in enumerate(parts):
        last = index == len(parts) - 1
        if last:
            nested = _lookup(message_vocabulary(), parts)
            target[key] = "x" if isinstance(nested, list) else [[1]]
            break
        child = dict(_VALID.get(f"{container_path}.{key}", {}))
        if item:
            target[key] = [dict(_VALID[f"{container_path}.{key}[0]"])]
            target, container_path = target[key][0], f"{container_path}.{key}[0]"
        else:
            target[key] = child
            target, container_path = child, f"{container_path}.{key}"
    with pytest.raises(MessageError) as raised:
        parse_message(message)
    assert raised.value.path == path


def _lookup(vocabulary, parts):
    nested = vocabulary
    for key, item in parts:
        nested = nested[key]
        if item:
            nested = nested[0]
    return nested
