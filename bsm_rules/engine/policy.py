"""The public face of a policy: `load_policy` (parse, check, compile) and `Policy.evaluate`."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from ..core.diagnostics import Diagnostic, Severity
from ..core.errors import PolicyError
from ..core.resources import bundled_policy_path
from ..core.source import SourceFile
from ..language.checker import CheckedPolicy
from ..messages.model import Message, parse_context, parse_message
from .compiler import CompiledPolicy, compile_policy
from .verdict import Verdict

__all__ = ["Policy", "check_policy", "load_policy"]


class Policy:
    """A checked and compiled policy, built once and evaluated on many messages. It pickles as
    its compiled policy (which is compiled again when unpickled)."""

    def __init__(self, checked: CheckedPolicy):
        self.checked = checked
        self.compiled: CompiledPolicy = compile_policy(checked)

    def __reduce__(self):
        return _policy_of, (self.compiled,)

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
        verdict = self.compiled.evaluate(message, parse_context(context, "context") if context is not None else None, now)
        return msgspec.structs.replace(verdict, notices=message.notices) if message.notices else verdict


def _policy_of(compiled: CompiledPolicy) -> Policy:
    """The policy of an unpickled compiled policy (without compiling it once more)."""
    policy = Policy.__new__(Policy)
    policy.checked = compiled.checked
    policy.compiled = compiled
    return policy


def _policy_file(policy: str | os.PathLike) -> str | os.PathLike | None:
    """The file a policy argument names (a path, or `bundled:NAME`), or None when it is policy
    text. One line that does not start with a statement keyword names a file, existing or not
    (`policies`, `shop.bsm`), so that a mistyped path reads as "no such file", not as a syntax
    error."""
    if isinstance(policy, os.PathLike):
        return policy
    if policy.startswith("bundled:"):
        return bundled_policy_path(policy.removeprefix("bundled:"))
    if "\n" in policy or "{" in policy:
        return None
    if policy.endswith(".bsm") or os.path.lexists(policy):
        return policy
    from ..language.parser import STATEMENT_KEYWORDS

    first_word = policy.strip().split(" ", 1)[0].lstrip("@")
    return None if first_word in STATEMENT_KEYWORDS or first_word.startswith("#") else policy


def _is_file(path: str | os.PathLike) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long, a NUL: reading it reports why
        return False


def _source_of(policy: str | os.PathLike) -> SourceFile:
    from ..language.loader import read_source

    path = _policy_file(policy)
    if path is not None:
        return read_source(path)
    assert isinstance(policy, str)  # only text names no file
    return SourceFile("<text>", policy)


def check_policy(policy: str | os.PathLike, include_paths: Sequence[str | os.PathLike] = ()) -> CheckedPolicy:
    """Check a policy given as a path or as text; `include_paths` are folders besides the policy's
    own that its includes may read from. File errors raise `PolicyError`."""
    try:
        source = _source_of(policy)
    except (OSError, UnicodeDecodeError) as error:
        from ..language.loader import describe_read_error, unreadable_diagnostic

        raise PolicyError([unreadable_diagnostic(str(policy), describe_read_error(error))]) from None
    from ..language.pipeline import check_source  # the parser (lark) is loaded only when a policy is parsed

    return check_source(source, include_paths=include_paths)


def _check_with_cache(policy: str | os.PathLike, include_paths: Sequence[str | os.PathLike]) -> CheckedPolicy:
    """`check_policy`, reusing the checked form of an unchanged policy file from an earlier run."""
    from ..language import policy_cache

    path = _policy_file(policy)
    if path is None or not _is_file(path):
        return check_policy(policy, include_paths)
    checked = policy_cache.load_cached(Path(path), include_paths)
    if checked is None:
        checked = check_policy(policy, include_paths)
        if checked.ok:
            policy_cache.store(Path(path), checked, include_paths)
    return checked


def load_policy(policy: str | os.PathLike | None = None, include_paths: Sequence[str | os.PathLike] = ()) -> Policy:
    """Load a policy from a path, from policy text, or (None) the bundled Amazon policy;
    `include_paths` are folders besides the policy's own that its includes may read from.
    Raises `PolicyError` carrying every diagnostic when the policy has errors, or when it has no
    rule to check messages with."""
    if policy is not None and not isinstance(policy, os.PathLike) and not policy.strip():
        raise PolicyError([_no_rules(SourceFile("<text>", policy), "the policy text is empty")])
    checked = _check_with_cache(policy if policy is not None else bundled_policy_path("amazon"), include_paths)
    if not checked.ok:
        raise PolicyError([d for d in checked.diagnostics if d.is_error] + [d for d in checked.diagnostics if not d.is_error])
    if not any(not rule.disabled for rule in checked.rules):
        main = checked.units[-1].ast.span.source
        raise PolicyError([_no_rules(main, "it defines no rule" if not checked.rules else "every rule is disabled")])
    return Policy(checked)


def _no_rules(source: SourceFile, why: str) -> Diagnostic:
    return Diagnostic("BSM213", Severity.ERROR, f"the policy has no rules to check messages with: {why}",
                      source.span(0, 0), notes=("help: write a `rule`, or `include \"bundled:amazon\"`",))
