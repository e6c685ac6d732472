"""Helpers for people who test their own policies with pytest and hypothesis: message
strategies, strategies derived from a rule, and the `bsm_policy` pytest fixture (registered as a
pytest plugin, so it is available in every test once bsm-rules is installed)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

__all__ = ["NOW", "bsm_policy", "evaluate", "load_test_policy", "messages", "messages_avoiding", "messages_firing"]

from .properties import NOW


@functools.lru_cache(maxsize=32)
def _cached_policy(policy: str | None, mtime: float | None):
    from ..engine.policy import load_policy

    return load_policy(policy)


def load_test_policy(policy: str | os.PathLike | None = None):
    """Load a policy once per test session (reloaded when the file changes); None is the bundled
    Amazon policy, `bundled:NAME` a bundled one, anything else a path or policy text."""
    key = os.fspath(policy) if policy is not None else None
    mtime = None
    if key is not None and "\n" not in key and os.path.isfile(key):
        mtime = os.path.getmtime(key)
    return _cached_policy(key, mtime)


def _policy_object(policy):
    if policy is None or isinstance(policy, (str, os.PathLike)):
        return load_test_policy(policy)
    return policy


def messages(category: str | None = None, with_attachments: bool | None = None, language: str | None = None,
             policy=None):
    """Plain messages in the message-model JSON shape: a contact reason of `category` (any
    category when None), neutral text, attachments of allowed types when `with_attachments` is
    true (none when false, either when None), and `language` as the declared and the buyer's
    language. The vocabulary comes from `policy` (default: the bundled Amazon policy)."""
    from .properties import benign_messages

    return benign_messages(_policy_object(policy), category=category, with_attachments=with_attachments,
                           language=language)


def messages_firing(policy, rule_id: str):
    """Messages derived from the rule's own conditions that make it fire (guard met, what it
    forbids planted, limits exceeded); seller figures are in the message's `context`."""
    from .properties import firing_messages

    return firing_messages(_policy_object(policy), rule_id)


def messages_avoiding(policy, rule_id: str):
    """Messages that meet the rule's guard but carry nothing it forbids."""
    from .properties import avoiding_messages

    return avoiding_messages(_policy_object(policy), rule_id)


def evaluate(policy, message: dict):
    """The verdict of a message (a dict) under `policy`, evaluated at the fixed time `NOW` that
    the generated messages assume."""
    policy = _policy_object(policy)
    from ..messages.model import parse_message

    return policy.compiled.evaluate(parse_message(message), None, NOW)


try:
    import pytest
except ImportError:  # pytest is optional: the strategies work without it
    def bsm_policy():  # pragma: no cover - only without pytest
        raise RuntimeError("the bsm_policy fixture needs pytest")
else:
    @pytest.fixture
    def bsm_policy() -> Callable:
        """A loader: `bsm_policy()` is the bundled Amazon policy, `bsm_policy("path/to/policy.bsm")`
        a policy file; each is loaded once per session and a policy with errors fails the test
        with its diagnostics."""
        return load_test_policy
