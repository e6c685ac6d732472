"""`bsm diff OLD NEW`: evaluates two versions of a policy on a corpus (the messages given plus
messages generated at every rule's boundaries) and lists the messages whose verdict or fired
rules change."""

from __future__ import annotations

import json

import attrs

from ..core.errors import MessageError
from ..messages.model import parse_message

__all__ = ["Change", "CorpusMessage", "boundary_corpus", "diff_policies"]


@attrs.frozen
class CorpusMessage:
    """A message of the corpus and where it comes from."""

    origin: str
    message: dict


@attrs.frozen
class Change:
    """A message judged differently by the two versions."""

    origin: str
    message: dict
    old_verdict: str
    new_verdict: str
    old_fired: tuple[str, ...]
    new_fired: tuple[str, ...]

    def to_json(self) -> dict:
        return {"origin": self.origin, "message": self.message,
                "old": {"verdict": self.old_verdict, "fired": list(self.old_fired)},
                "new": {"verdict": self.new_verdict, "fired": list(self.new_fired)}}


def boundary_corpus(policy, label: str) -> list[CorpusMessage]:
    """One simple message per derived plan of every rule: firing, silent, and just inside and
    just outside each numeric limit (deterministic: the simplest message hypothesis finds)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from .properties import CannotDerive, draft_messages, rule_plans, with_context

    quick = settings(database=None, derandomize=True, max_examples=20, deadline=None,
                     phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    corpus = []
    for rule_id in policy.rule_ids:
        try:
            plans = rule_plans(policy, rule_id)
        except CannotDerive:
            continue
        for kind, alternatives in plans.items():
            try:
                draft = find(draft_messages(policy, alternatives), lambda draft: True, settings=quick)
            except (NoSuchExample, Unsatisfiable):
                continue
            corpus.append(CorpusMessage(f"generated from {label}: {rule_id}, {kind}", with_context(draft)))
    return corpus


def _outcome(policy, message: dict) -> tuple[str, tuple[str, ...]]:
    from .properties import NOW

    try:
        verdict = policy.compiled.evaluate(parse_message(message), None, NOW)
    except MessageError as error:
        return "invalid", (str(error),)
    return verdict.verdict, tuple(sorted(verdict.fired))


def diff_policies(old, new, corpus: list[CorpusMessage]) -> list[Change]:
    """The corpus messages whose verdict or fired rules differ between `old` and `new`."""
    changes = []
    seen: set[str] = set()
    for item in corpus:
        key = json.dumps(item.message, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        old_verdict, old_fired = _outcome(old, item.message)
        new_verdict, new_fired = _outcome(new, item.message)
        if (old_verdict, old_fired) != (new_verdict, new_fired):
            changes.append(Change(item.origin, item.message, old_verdict, new_verdict, old_fired, new_fired))
    return changes
