"""Every input that ever broke a fuzz contract (tests/fuzz/corpus/<target>/), replayed through its
target on every run. Policy text is replayed through the language server's analysis too, and
document text through the policy pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from contracts import TARGETS

CORPUS = Path(__file__).parent / "corpus"
#: Targets whose inputs are policy text: each replays the other's corpus as well.
TEXT_TARGETS = ("policy", "lsp")

#: Corpus inputs that still break a contract, in code that is being changed elsewhere, by
#: "target:folder/file": the reason, with the place that fails. Fixing one makes its test pass,
#: which fails the run (strict), so that the entry here is removed with the fix.
OPEN: dict[str, str] = {}


def _cases() -> list:
    cases = []
    for folder in sorted(path for path in CORPUS.iterdir() if path.is_dir() and path.name in TARGETS):
        targets = TEXT_TARGETS if folder.name in TEXT_TARGETS else (folder.name,)
        for path in sorted(folder.iterdir()):
            for target in targets:
                key = f"{target}:{folder.name}/{path.name}"
                marks = [pytest.mark.xfail(strict=True, reason=OPEN[key])] if key in OPEN else []
                cases.append(pytest.param(target, path, id=key, marks=marks))
    return cases


@pytest.mark.parametrize("target, path", _cases())
def test_an_input_that_once_broke_a_contract_keeps_it_now(target, path):
    TARGETS[target](path.read_bytes())


def test_every_corpus_folder_is_a_target_and_every_open_case_is_in_the_corpus():
    folders = {path.name for path in CORPUS.iterdir() if path.is_dir()}
    assert folders <= {*TARGETS, "jsonrpc"}  # jsonrpc inputs are replayed by test_fuzz_jsonrpc.py
    for key in OPEN:
        target, _, name = key.partition(":")
        assert target in TARGETS and (CORPUS / name).is_file(), key
