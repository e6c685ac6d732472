"""Evaluates a stream of input items for `bsm check`: daily counting, worker processes, results
in input order, rendered output, the per-rule summary and the progress line."""

from __future__ import annotations

import collections
import contextlib
import datetime
import json
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple, TextIO

import attrs
import msgspec

from ..core.diagnostics import caret_snippet
from ..core.errors import MessageError
from ..messages.inputs import utf8_bytes
from ..messages.items import InputItem
from ..messages.model import Message, parse_message, read_plain_message
from .verdict import Violation, invalid_result

__all__ = ["BatchOptions", "Outcome", "Progress", "ResultWriter", "Summary", "count_daily", "evaluate_stream",
           "render_json_result", "render_text_result", "resolve_jobs", "start_method", "utc_day"]

CHUNK_SIZE = 256          # items sent to a worker at once: large enough that pickling does not dominate
CHUNKS_IN_FLIGHT = 4      # per worker: bounds memory while keeping every worker busy


@attrs.frozen
class BatchOptions:
    """What every evaluation of one run shares; sent once to each worker process."""

    context: dict
    now: datetime.datetime | None
    output_format: str = "text"
    color: bool = False
    strict: bool = False  # unknown message fields are input errors


class Outcome(NamedTuple):
    """One message's result, already rendered for output (UTF-8 bytes for JSON, text for text);
    `rules` has one id per violation."""

    verdict: str
    output: bytes | str
    rules: tuple[str, ...] = ()


_encode_json = msgspec.json.Encoder().encode
_make = tuple.__new__  # builds a named tuple (an Outcome, an InputItem) from all its fields, without keywords


def read_message(item: InputItem, strict: bool = False) -> tuple[InputItem, Message | None]:
    """The message of an item, with the item decoded: `(item, None)` when the item is an input
    error. A JSON Lines line of bytes is read by the quick path when it is a plain message;
    anything else is decoded and read the careful way, with the same results and errors.
    Raises MessageError."""
    message = item.message
    if message is not None:
        return item, message
    raw = item.raw
    if type(raw) is bytes:
        message = read_plain_message(raw, item.default_id)
        if message is not None:
            return item, message
    item = item.decoded()
    if item.error is not None:
        return item, None
    return item, parse_message(item.value, item.default_id, strict)


class _Evaluator:
    def __init__(self, compiled, options: BatchOptions):
        self.options = options
        self.evaluate = compiled.evaluate
        self.render = render_json_result if options.output_format == "json" else None

    def __call__(self, entry: tuple[InputItem, int | None]) -> Outcome:
        item, sent_today = entry
        message = None
        try:
            item, message = read_message(item, self.options.strict)
            if message is None:
                assert item.error is not None  # an item without a message is an input error
                result = invalid_result(item.default_id, item.error)
            else:
                context = self.options.context
                if sent_today is not None:
                    context = {**context, "sent_today": sent_today}
                verdict = self.evaluate(message, context, self.options.now)
                if self.render is not None and not verdict.violations and not message.notices:  # the common case
                    return _make(Outcome, ("allow", render_json_result(verdict.to_json()), ()))
                result = verdict.to_json()
                if message.notices:
                    result["notices"] = list(message.notices)
        except MessageError as error:
            result = invalid_result(_message_id(item), f"{item.where}: {error}")
        except Exception as error:  # noqa: BLE001 - a bug must not stop the batch or lose the other results
            result = invalid_result(_message_id(item), f"{item.where}: internal error while evaluating "
                                    f"({type(error).__name__}: {error}); please report it")
        output = self.render(result) if self.render is not None else render_text_result(result, message,
                                                                                        self.options.color)
        violations = result.get("violations")
        return Outcome(result["verdict"], output, tuple([v["rule"] for v in violations]) if violations else ())


def _message_id(item: InputItem) -> str:
    item = item.decoded()
    message_id = item.value.get("id") if isinstance(item.value, dict) else None
    if message_id is None or isinstance(message_id, (dict, list)):
        return item.default_id
    return str(message_id)


def render_json_result(result: dict) -> bytes:
    """A result as one line of compact JSON in UTF-8. Text that UTF-8 cannot hold (a lone
    surrogate, which JSON input may escape) is written as its JSON escape."""
    try:
        return _encode_json(result) + b"\n"
    except UnicodeEncodeError:
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n"
        return text.encode("utf-8", "backslashreplace")


# -- daily counting ----------------------------------------------------------------------------


def count_daily(items: Iterable[InputItem], base: int, now: datetime.datetime
                ) -> Iterator[tuple[InputItem, int | None]]:
    """Pair each item with the messages sent before it by the same sender on the same UTC day
    (of `sent_at`, else of `now`), plus `base`. Items are read as messages here so that only
    messages that could be read count; one that cannot becomes an error item."""
    seen: collections.Counter = collections.Counter()
    for given in items:
        try:
            item, message = read_message(given)
        except MessageError as error:
            yield InputItem(_message_id(given), given.where, error=f"{given.where}: {error}"), None
            continue
        if message is None:
            yield item, None
            continue
        key = (message.sender_id, utc_day(message.sent_at or now))
        yield item._replace(message=message), base + seen[key]
        seen[key] += 1


_DAY = datetime.timedelta(days=1)


def utc_day(moment: datetime.datetime) -> int:
    """The UTC calendar day of an aware moment, as a day number (`date.toordinal`): also for the
    moments early on 0001-01-01 or late on 9999-12-31 whose UTC day is outside `datetime`'s range."""
    time_of_day = datetime.timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second,
                                     microseconds=moment.microsecond)
    return moment.toordinal() + (time_of_day - (moment.utcoffset() or datetime.timedelta())) // _DAY


# -- running -----------------------------------------------------------------------------------


_worker: _Evaluator | None = None


def _start_worker(compiled, options: BatchOptions) -> None:
    """`compiled` is the parent's compiled policy: a forked worker has it already, a spawned one
    gets it pickled (and compiles its checked policy again), once."""
    global _worker  # noqa: PLW0603 - the evaluator of this worker process, set once by the pool's initializer
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides what
    # happens (it lets the chunks under way finish and closes the pool), so no worker dies
    # half-way and prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = _Evaluator(compiled, options)


# Items and outcomes cross to and from the workers as plain tuples, which pickle several times
# faster than named ones.

def _run_chunk(chunk: list[tuple[tuple, int | None]]) -> list[tuple]:
    assert _worker is not None
    return [tuple(_worker((_make(InputItem, fields), sent_today))) for fields, sent_today in chunk]


def _chunks(entries: Iterable[tuple[InputItem, int | None]], size: int) -> Iterator[list]:
    chunk: list = []
    for item, sent_today in entries:
        chunk.append((tuple(item), sent_today))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _outcomes(results: list[tuple]) -> Iterator[Outcome]:
    for result in results:
        yield _make(Outcome, result)


def evaluate_stream(policy, options: BatchOptions, entries: Iterable[tuple[InputItem, int | None]],
                    jobs: int = 1) -> Iterator[Outcome]:
    """Outcomes in input order. With `jobs` > 1 the items go to that many worker processes in
    chunks, a bounded number at a time, so memory stays flat however long the input is."""
    if jobs <= 1:
        return map(_Evaluator(policy.compiled, options), entries)
    return _evaluate_in_workers(policy.compiled, options, entries, jobs)


def start_method() -> str:
    """How worker processes start: `$BSM_START_METHOD` when set (`fork`, `spawn`, `forkserver`),
    else `fork` where the system has it (the workers inherit the compiled policy), else the
    system's first method. Raises ValueError for a method the system does not have."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    chosen = os.environ.get("BSM_START_METHOD")
    if chosen:
        if chosen not in methods:
            raise ValueError(f"BSM_START_METHOD={chosen!r} is not a start method of this system; "
                             f"expected one of {', '.join(methods)}")
        return chosen
    return "fork" if "fork" in methods else methods[0]


class _DeferredSignals:
    """Ctrl-C and SIGTERM of the parent, held back while it talks to the pool (a signal raised
    inside the pool's queues and locks can leave the pool unable to stop) and delivered as soon
    as that call returns. Installed only in the main thread, where signal handlers run."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.previous: dict[int, object] = {}
        self.pending: int | None = None
        self.holding = False

    def __enter__(self) -> _DeferredSignals:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self._arrived) for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _arrived(self, signum: int, frame: object) -> None:
        if self.holding:
            self.pending = signum
        else:
            self._deliver(signum, frame)

    def _deliver(self, signum: int, frame: object) -> None:
        handler = self.previous.get(signum, signal.SIG_DFL)
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
            signum, self.pending = self.pending, None
            if signum is not None:
                self._deliver(signum, None)


def _evaluate_in_workers(compiled, options: BatchOptions, entries: Iterable[tuple[InputItem, int | None]],
                         jobs: int) -> Iterator[Outcome]:
    import multiprocessing

    context = multiprocessing.get_context(start_method())
    with _DeferredSignals() as signals:
        pool = context.Pool(jobs, _start_worker, (compiled, options))
        try:
            pending: collections.deque = collections.deque()
            for chunk in _chunks(entries, CHUNK_SIZE):
                with signals.held():
                    pending.append(pool.apply_async(_run_chunk, (chunk,)))
                while len(pending) >= jobs * CHUNKS_IN_FLIGHT:
                    with signals.held():
                        results = pending.popleft().get()
                    yield from _outcomes(results)
            while pending:
                with signals.held():
                    results = pending.popleft().get()
                yield from _outcomes(results)
        finally:
            # Also when interrupted or when the reader went away: the workers finish the few
            # chunks under way and leave, which stops them without killing one mid-message.
            with signals.held():
                pool.close()
                pool.join()


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


class ResultWriter:
    """Writes rendered results to `out` a block at a time. JSON results (UTF-8 bytes) go straight
    to the byte stream under `out` when it has a UTF-8 one; `flush` writes what is pending through
    to the operating system (before the input waits for more, and at the end)."""

    BLOCK = 256  # results per write

    def __init__(self, out: TextIO):
        self.out = out
        self.binary = utf8_bytes(out)
        self.pending: list = []

    def write(self, output: bytes | str) -> None:
        pending = self.pending
        pending.append(output)
        if len(pending) >= self.BLOCK:
            self._write_pending()

    def _write_pending(self) -> None:
        pending = self.pending
        if not pending:
            return
        if type(pending[0]) is str:
            self.out.write("".join(pending))
        elif self.binary is not None:
            self.out.flush()  # whatever was written as text goes first
            self.binary.write(b"".join(pending))
        else:
            self.out.write(b"".join(pending).decode("utf-8"))
        pending.clear()

    def flush(self) -> None:
        self._write_pending()
        self.out.flush()
        if self.binary is not None:
            self.binary.flush()


# -- text rendering ----------------------------------------------------------------------------


def render_text_result(result: dict, message: Message | None, color: bool) -> str:
    lines = [f"{result['message']}: {result['verdict']}"]
    if result["verdict"] == "invalid":
        lines.append(f"  {result['error']}")
    else:
        for violation in result["violations"]:
            _render_violation(Violation(**violation), message, lines, color)
        lines.extend(f"  note: {notice}" for notice in result.get("notices", ()))
    return "\n".join(lines) + "\n"


def _render_violation(violation: Violation, message: Message | None, lines: list[str], color: bool) -> None:
    lines.append(f"  {violation.severity}[{violation.rule}]: {violation.message}")
    if violation.field is None:
        return
    field_text = getattr(message, violation.field, None) if violation.field in ("subject", "body", "html") else None
    if violation.start is None or violation.end is None or field_text is None:
        lines.append(f"    --> {violation.field}")
        return
    line = field_text.count("\n", 0, violation.start) + 1
    column = violation.start - (field_text.rfind("\n", 0, violation.start) + 1) + 1
    lines.append(f"    --> {violation.field}:{line}:{column}")
    lines.extend("    " + text_line for text_line in
                 caret_snippet(field_text, violation.start, violation.end, color=color, kind=violation.severity))

