"""The public face of a policy: `load_policy` (parse, check, compile) and `Policy.evaluate`."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from ..language.checker import CheckedPolicy
from .compiler import CompiledPolicy, compile_policy
from ..core.diagnostics import Diagnostic
from ..core.errors import PolicyError
from ..messages.model import Message, parse_context, parse_message
from ..core.resources import bundled_policy_path
from ..core.source import SourceFile
from .verdict import Verdict

__all__ = ["Policy", "load_policy", "check_policy"]


class Policy:
    """A checked and compiled policy, built once and evaluated on many messages."""

    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.compiled: CompiledPolicy = compile_policy(checked)

    @property
    def name(self) -> str | None:
        header = self.checked.header
        return header.name.value if header else None

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.checked.rules if not rule.disabled]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.checked.diagnostics if not d.is_error]

    def evaluate(self, message: dict | Message, context: dict | None = None,
                 now: datetime.datetime | None = None, default_id: str | None = None) -> Verdict:
        """Evaluate one message (a dict in the message-model JSON shape, or a `Message`) with the
        seller `context` (`avg_daily_orders`, `sent_today`; the message's own `context` wins) at
        time `now` (default: the current time; a naive datetime is taken as UTC).
        Raises `MessageError` when the message or the context does not fit the model."""
        if not isinstance(message, Message):
            message = parse_message(message, default_id)
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=datetime.timezone.utc)
        return self.compiled.evaluate(message, parse_context(context, "context") if context is not None else None, now)


def _policy_file(policy: str | os.PathLike) -> str | os.PathLike | None:
    """The file a policy argument names (a path, or `bundled:NAME`), or None when it is policy text."""
    if isinstance(policy, os.PathLike):
        return policy
    if "\n" not in policy and "{" not in policy and (policy.endswith(".bsm") or Path(policy).is_file()):
        return policy
    if policy.startswith("bundled:"):
        return bundled_policy_path(policy.removeprefix("bundled:"))
    return None


def _source_of(policy: str | os.PathLike) -> SourceFile:
    from ..language.loader import read_source

    path = _policy_file(policy)
    return SourceFile("<text>", policy) if path is None else read_source(path)


def check_policy(policy: str | os.PathLike) -> CheckedPolicy:
    """Check a policy given as a path or as text. File errors raise `PolicyError`."""
    try:
        source = _source_of(policy)
    except (OSError, UnicodeDecodeError) as error:
        from ..language.loader import describe_read_error, unreadable_diagnostic

        raise PolicyError([unreadable_diagnostic(str(policy), describe_read_error(error))]) from None
    from ..language.pipeline import check_source  # the parser (lark) is loaded only when a policy is parsed

    return check_source(source)


def _check_with_cache(policy: str | os.PathLike) -> CheckedPolicy:
    """`check_policy`, reusing the checked form of an unchanged policy file from an earlier run."""
    from ..language import policy_cache

    path = _policy_file(policy)
    if path is None or not Path(path).is_file():
        return check_policy(policy)
    checked = policy_cache.load_cached(Path(path))
    if checked is None:
        checked = check_policy(policy)
        if checked.ok:
            policy_cache.store(Path(path), checked)
    return checked


def load_policy(policy: str | os.PathLike | None = None) -> Policy:
    """Load a policy from a path, from policy text, or (None) the bundled Amazon policy.
    Raises `PolicyError` carrying every diagnostic when the policy has errors."""
    checked = _check_with_cache(policy if policy is not None else bundled_policy_path("amazon"))
    if not checked.ok:
        raise PolicyError([d for d in checked.diagnostics if d.is_error] + [d for d in checked.diagnostics if not d.is_error])
    return Policy(checked)

