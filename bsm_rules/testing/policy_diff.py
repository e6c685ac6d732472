"""`bsm diff OLD NEW`: evaluates two versions of a policy on a corpus (the messages given plus
messages generated at every rule's boundaries) and lists the messages whose verdict or fired
rules change."""

from __future__ import annotations

import json
from typing import Callable, TextIO

import attrs

from ..core.errors import MessageError
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..messages.model import parse_message

__all__ = ["Change", "CorpusMessage", "boundary_corpus", "diff_policies", "run_diff_command"]


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

    from .properties import CannotDerive, draft_messages, with_context, rule_plans

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


def _given_corpus(paths: list[str]) -> tuple[list[CorpusMessage], list[str]]:
    from ..language.examples import message_to_json
    from ..messages.inputs import read_inputs

    corpus, problems = [], []
    for item in read_inputs(paths):
        if item.error is not None:
            problems.append(item.error)
        elif item.message is not None:
            corpus.append(CorpusMessage(item.where, message_to_json(item.message)))
        elif isinstance(item.value, dict):
            corpus.append(CorpusMessage(item.where, item.value))
        else:
            problems.append(f"{item.where}: a message is a JSON object")
    return corpus, problems


def run_diff_command(args, out: TextIO, err: TextIO, load: Callable) -> int:
    from ..messages.inputs import InputError

    old, new = load(args.old), load(args.new)
    if old is None or new is None:
        return EXIT_INVALID
    try:
        corpus, problems = _given_corpus(args.inputs)
    except InputError as error:
        print(f"bsm diff: {error}", file=err)
        return EXIT_INVALID
    for problem in problems:
        print(f"bsm diff: skipped {problem}", file=err)
    if args.generated:
        corpus += boundary_corpus(old, "OLD") + boundary_corpus(new, "NEW")
    changes = diff_policies(old, new, corpus)
    if args.format == "json":
        out.write(json.dumps({"messages": len(corpus), "changes": [c.to_json() for c in changes]},
                             ensure_ascii=False, indent=2) + "\n")
    else:
        for change in changes:
            print(change.origin, file=out)
            print(f"  old: {change.old_verdict} {', '.join(change.old_fired) or '(no rule fired)'}", file=out)
            print(f"  new: {change.new_verdict} {', '.join(change.new_fired) or '(no rule fired)'}", file=out)
            print("  message: " + json.dumps(change.message, ensure_ascii=False), file=out)
        print(f"{len(changes)} of {len(corpus)} message(s) judged differently", file=out)
    if problems and not changes:
        return EXIT_INVALID
    return EXIT_BLOCKED if changes else EXIT_OK
