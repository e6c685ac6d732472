"""The checked-policy cache: a second load reuses the first one's work, and any change to a
policy file it is made of, or a damaged cache entry, makes it check the policy again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bsm_rules import load_policy
from bsm_rules.language import policy_cache
from bsm_rules.core.resources import bundled_policy_path

MESSAGES = [
    {"id": "a", "subject": "Hi", "body": "Mail me at jane@example.com or see https://shop.example/x",
     "contact_reason": "delivery_scheduling"},
    {"id": "b", "subject": "[Important] order 111-2222222-3333333", "body": "Please leave a 5-star review",
     "category": "critical", "attachments": [{"name": "x.exe", "size": 20_000_000}]},
]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("BSM_CACHE_DIR", str(directory))
    return directory


def _results(policy) -> list[dict]:
    return [policy.evaluate(m, now=None).to_json() for m in MESSAGES]


def test_a_cached_policy_evaluates_like_a_freshly_checked_one(cache_dir):
    fresh = load_policy()
    assert len(list(cache_dir.glob("checked-*.pickle"))) == 1
    cached_checked = policy_cache.load_cached(bundled_policy_path("amazon"))
    assert cached_checked is not None
    cached = load_policy()
    assert json.dumps(_results(cached)) == json.dumps(_results(fresh))
    assert cached.rule_ids == fresh.rule_ids


def test_editing_an_included_file_invalidates_the_entry(tmp_path):
    base = tmp_path / "base.bsm"
    main = tmp_path / "main.bsm"
    base.write_text('list words = ["alpha"]\n')
    main.write_text('include "base.bsm"\nrule no-words error {\n  message "no"\n  forbid body contains words\n}\n')
    assert load_policy(main).evaluate({"body": "alpha"}).fired == ["no-words"]
    assert policy_cache.load_cached(main) is not None
    base.write_text('list words = ["beta"]\n')
    assert policy_cache.load_cached(main) is None
    assert load_policy(main).evaluate({"body": "alpha"}).fired == []
    assert load_policy(main).evaluate({"body": "beta"}).fired == ["no-words"]


def test_a_damaged_entry_is_ignored(cache_dir):
    load_policy()
    (entry,) = cache_dir.glob("checked-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert policy_cache.load_cached(bundled_policy_path("amazon")) is None
    assert "no-email-address" in load_policy().evaluate(MESSAGES[0]).fired


def test_policies_with_errors_are_not_cached(tmp_path, cache_dir):
    broken = tmp_path / "broken.bsm"
    broken.write_text("rule x error { forbid nonsense_field }\n")
    with pytest.raises(Exception):
        load_policy(broken)
    assert policy_cache.load_cached(broken) is None


def test_old_entries_are_pruned(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(policy_cache, "_MAX_ENTRIES", 3)
    paths = []
    for number in range(5):
        path = tmp_path / f"p{number}.bsm"
        path.write_text(f'rule r{number} error {{\n  message "m"\n  forbid body contains "x{number}"\n}}\n')
        load_policy(path)
        paths.append(path)
    assert len(list(cache_dir.glob("checked-*.pickle"))) == 3
    assert policy_cache.load_cached(paths[-1]) is not None
    assert policy_cache.load_cached(paths[0]) is None


def test_cached_objects_are_rebuilt_when_their_key_changes_or_the_file_is_damaged(cache_dir):
    from bsm_rules.core.cache import cached_object

    builds = []

    def build(value):
        builds.append(value)
        return value

    assert cached_object("thing.pickle", "k1", lambda: build([1])) == [1]
    assert cached_object("thing.pickle", "k1", lambda: build([2])) == [1]  # reused
    assert cached_object("thing.pickle", "k2", lambda: build([3])) == [3]  # key changed
    (cache_dir / "thing.pickle").write_bytes(b"\x80garbage")
    assert cached_object("thing.pickle", "k2", lambda: build([4])) == [4]
    assert builds == [[1], [3], [4]]


class _DiskFull:
    """Pickles as far as the disk allows: writing it fails like a full disk."""

    def __reduce__(self):
        raise OSError(28, "No space left on device")


def test_a_failed_write_leaves_no_entry_and_no_temporary_file(cache_dir):
    from bsm_rules.core.cache import cached_object

    value = ["large", _DiskFull()]
    assert cached_object("thing.pickle", "k1", lambda: value) is value
    assert list(cache_dir.iterdir()) == []
    assert cached_object("thing.pickle", "k1", lambda: [2]) == [2]  # nothing stale was kept


def test_without_a_usable_cache_directory_everything_still_works(tmp_path, monkeypatch):
    from bsm_rules.core.cache import cached_object
    from bsm_rules.library.finders import detect_language

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BSM_CACHE_DIR", str(blocker / "cache"))  # cannot be made: a file is in the way
    assert cached_object("thing.pickle", "k1", lambda: [1]) == [1]
    assert cached_object("thing.pickle", "k1", lambda: [2]) == [2]
    assert load_policy().evaluate(MESSAGES[0]).fired
    assert detect_language("Thank you for your order, it is on its way to you today.") == "en"


def test_entries_of_earlier_versions_are_removed(cache_dir):
    from bsm_rules.core.cache import cached_object

    cache_dir.mkdir(parents=True)
    (cache_dir / "language-identifier.pickle").write_bytes(b"an old 95 MB model")
    assert cached_object("thing.pickle", "k1", lambda: [1]) == [1]
    assert not (cache_dir / "language-identifier.pickle").exists()
    assert (cache_dir / "thing.pickle").exists()
