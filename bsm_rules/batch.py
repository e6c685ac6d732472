"""Evaluates a stream of input items for `bsm check`: daily counting, worker processes, results
in input order, rendered output, the per-rule summary and the progress line."""

from __future__ import annotations

import collections
import datetime
import json
import os
import time
from collections.abc import Iterable, Iterator
from typing import TextIO

import attrs

from .diagnostics import caret_snippet
from .errors import MessageError
from .inputs import InputItem
from .message import Message, parse_message
from .verdict import Violation, invalid_result

__all__ = ["BatchOptions", "Outcome", "Progress", "Summary", "count_daily", "evaluate_stream", "render_text_result",
           "resolve_jobs"]

CHUNK_SIZE = 256          # items sent to a worker at once: large enough that pickling does not dominate
CHUNKS_IN_FLIGHT = 4      # per worker: bounds memory while keeping every worker busy


@attrs.frozen
class BatchOptions:
    """What every evaluation of one run shares; sent once to each worker process."""

    policy: str | None
    context: dict
    now: datetime.datetime | None
    output_format: str = "text"
    color: bool = False


@attrs.frozen
class Outcome:
    """One message's result, already rendered for output; `rules` has one id per violation."""

    verdict: str
    output: str
    rules: tuple[str, ...] = ()


class _Evaluator:
    def __init__(self, policy, options: BatchOptions):
        self.policy = policy
        self.options = options

    def __call__(self, entry: tuple[InputItem, int | None]) -> Outcome:
        item, sent_today = entry
        item = item.decoded()
        message = None
        if item.error is not None:
            result = invalid_result(item.default_id, item.error)
        else:
            try:
                message = item.message or parse_message(item.value, item.default_id)
                context = self.options.context
                if sent_today is not None:
                    context = {**context, "sent_today": sent_today}
                result = self.policy.compiled.evaluate(message, context, self.options.now).to_json()
            except MessageError as error:
                result = invalid_result(_message_id(item), f"{item.where}: {error}")
            except Exception as error:  # a bug must not stop the batch or lose the other results
                result = invalid_result(_message_id(item), f"{item.where}: internal error while evaluating "
                                        f"({type(error).__name__}: {error}); please report it")
        if self.options.output_format == "json":
            output = json.dumps(result, ensure_ascii=False) + "\n"
        else:
            output = render_text_result(result, message, self.options.color)
        return Outcome(result["verdict"], output, tuple(v["rule"] for v in result.get("violations", ())))


def _message_id(item: InputItem) -> str:
    message_id = item.value.get("id") if isinstance(item.value, dict) else None
    if message_id is None or isinstance(message_id, (dict, list)):
        return item.default_id
    return str(message_id)


# -- daily counting ----------------------------------------------------------------------------


def count_daily(items: Iterable[InputItem], base: int, now: datetime.datetime
                ) -> Iterator[tuple[InputItem, int | None]]:
    """Pair each item with the messages sent before it by the same sender on the same UTC day
    (of `sent_at`, else of `now`), plus `base`. Items are read as messages here so that only
    messages that could be read count; one that cannot becomes an error item."""
    seen: collections.Counter = collections.Counter()
    for item in items:
        item = item.decoded()
        if item.error is not None:
            yield item, None
            continue
        message = item.message
        if message is None:
            try:
                message = parse_message(item.value, item.default_id)
            except MessageError as error:
                yield InputItem(_message_id(item), item.where, error=f"{item.where}: {error}"), None
                continue
            item = attrs.evolve(item, message=message)
        key = (message.sender_id, (message.sent_at or now).astimezone(datetime.timezone.utc).date())
        yield item, base + seen[key]
        seen[key] += 1


# -- running -----------------------------------------------------------------------------------


_worker: _Evaluator | None = None


def _start_worker(options: BatchOptions, inherited: _Evaluator | None) -> None:
    global _worker
    if inherited is not None and inherited.options == options:
        _worker = inherited  # forked: the parent's compiled policy is already here
        return
    from .policy import load_policy

    _worker = _Evaluator(load_policy(options.policy), options)


def _run_chunk(chunk: list[tuple[InputItem, int | None]]) -> list[Outcome]:
    assert _worker is not None
    return [_worker(entry) for entry in chunk]


def _chunks(entries: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def evaluate_stream(policy, options: BatchOptions, entries: Iterable[tuple[InputItem, int | None]],
                    jobs: int = 1) -> Iterator[Outcome]:
    """Outcomes in input order. With `jobs` > 1 the items go to that many worker processes in
    chunks, a bounded number at a time, so memory stays flat however long the input is."""
    evaluator = _Evaluator(policy, options)
    if jobs <= 1:
        for entry in entries:
            yield evaluator(entry)
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else methods[0])
    inherited = evaluator if context.get_start_method() == "fork" else None
    with context.Pool(jobs, _start_worker, (options, inherited)) as pool:
        pending: collections.deque = collections.deque()
        for chunk in _chunks(entries, CHUNK_SIZE):
            pending.append(pool.apply_async(_run_chunk, (chunk,)))
            while len(pending) >= jobs * CHUNKS_IN_FLIGHT:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def resolve_jobs(jobs: int) -> int:
    """`0` means one process per core."""
    if jobs == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return jobs


# -- summary and progress ----------------------------------------------------------------------


class Summary:
    """Counts of verdicts, and per rule of the messages it fired on and of its violations."""

    def __init__(self) -> None:
        self.verdicts = {"allow": 0, "warn": 0, "block": 0, "invalid": 0}
        self.rule_messages: collections.Counter = collections.Counter()
        self.rule_violations: collections.Counter = collections.Counter()

    def add(self, outcome: Outcome) -> None:
        self.verdicts[outcome.verdict] += 1
        if outcome.rules:
            self.rule_violations.update(outcome.rules)
            self.rule_messages.update(set(outcome.rules))

    @property
    def messages(self) -> int:
        return sum(self.verdicts.values())

    def _rules_by_count(self) -> list[str]:
        return sorted(self.rule_messages, key=lambda rule: (-self.rule_messages[rule], rule))

    def to_json(self) -> dict:
        return {"summary": {
            "messages": self.messages,
            "verdicts": dict(self.verdicts),
            "rules": {rule: {"messages": self.rule_messages[rule], "violations": self.rule_violations[rule]}
                      for rule in self._rules_by_count()},
        }}

    def text(self) -> str:
        rules = self._rules_by_count()
        if not rules:
            return "no rule fired\n"
        width = max(len(rule) for rule in rules)
        lines = [f"{'rule':<{width}}  messages  violations"]
        lines += [f"{rule:<{width}}  {self.rule_messages[rule]:>8}  {self.rule_violations[rule]:>10}"
                  for rule in rules]
        return "\n".join(lines) + "\n"


class Progress:
    """A one-line count on a terminal, shown only once a run has taken a second."""

    DELAY = 1.0
    INTERVAL = 0.2

    def __init__(self, stream: TextIO, enabled: bool | None = None):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.next_update = self.started + self.DELAY
        self.count = 0
        self.shown = False

    def tick(self) -> None:
        self.count += 1
        if self.enabled and self.count % 64 == 0:
            now = time.monotonic()
            if now >= self.next_update:
                self.next_update = now + self.INTERVAL
                rate = self.count / (now - self.started)
                self.stream.write(f"\r{self.count:,} messages checked ({rate:,.0f}/s)\x1b[K")
                self.stream.flush()
                self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


# -- text rendering ----------------------------------------------------------------------------


def render_text_result(result: dict, message: Message | None, color: bool) -> str:
    lines = [f"{result['message']}: {result['verdict']}"]
    if result["verdict"] == "invalid":
        lines.append(f"  {result['error']}")
    else:
        for violation in result["violations"]:
            _render_violation(Violation(**violation), message, lines, color)
    return "\n".join(lines) + "\n"


def _render_violation(violation: Violation, message: Message | None, lines: list[str], color: bool) -> None:
    lines.append(f"  {violation.severity}[{violation.rule}]: {violation.message}")
    if violation.field is None:
        return
    field_text = getattr(message, violation.field, None) if violation.field in ("subject", "body", "html") else None
    if violation.start is None or field_text is None:
        lines.append(f"    --> {violation.field}")
        return
    line = field_text.count("\n", 0, violation.start) + 1
    column = violation.start - (field_text.rfind("\n", 0, violation.start) + 1) + 1
    lines.append(f"    --> {violation.field}:{line}:{column}")
    lines.extend("    " + text_line for text_line in
                 caret_snippet(field_text, violation.start, violation.end, color=color, kind=violation.severity))

