"""`bsm check`: evaluates messages from files or standard input against a policy and writes one
result per message, in input order."""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
from typing import TextIO

from ..core.errors import MessageError
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..messages.model import parse_context
from .common import UsageError, add_include_path, load_or_report, parse_now, use_color

__all__ = ["add_parser", "run"]

MAX_JOBS = 64  # more worker processes than this only fights over the cores


def _figure(text: str) -> int | float:
    """A seller figure as written: a whole number stays one (`-5` is reported as `-5`)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None


def add_parser(commands) -> None:
    """Adds `bsm check` and its options to the command parser."""
    check = commands.add_parser("check", help="check messages against a policy")
    check.add_argument("inputs", nargs="*", metavar="INPUT",
                       help="message files (.json, .jsonl, .eml, .mbox) or - for standard input (default)")
    check.add_argument("--policy", help="policy file, bundled:NAME or policy text (default: the bundled Amazon policy)")
    add_include_path(check)
    check.add_argument("--context", metavar="FILE", help="JSON object with avg_daily_orders and sent_today")
    check.add_argument("--avg-daily-orders", dest="avg_daily_orders", type=_figure, metavar="N")
    check.add_argument("--sent-today", dest="sent_today", type=_figure, metavar="N")
    check.add_argument("--now", metavar="TIMESTAMP", help="evaluate as if at this RFC 3339 time")
    check.add_argument("--contact-reason", dest="contact_reason", metavar="REASON",
                       help="contact reason of email inputs that carry no X-BSM-Contact-Reason header")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--strict", action="store_true",
                       help="an unknown field in a message makes it invalid (by default it is ignored, with a "
                            "note when it looks like a misspelt field)")
    check.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="worker processes (default 1; 0 = one per core); results keep the input order")
    check.add_argument("--summary", action="store_true",
                       help="end with per-rule counts (with --format json: a final {\"summary\": ...} line)")
    check.add_argument("--count-daily", dest="count_daily", action="store_true",
                       help="each message's sent_today counts the earlier messages of its sender on its UTC day")
    check.set_defaults(handler=run)


def _context_from_args(args) -> dict:
    context: dict = {}
    if args.context:
        try:
            with open(args.context, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as error:
            raise UsageError(f"--context {args.context}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--context {args.context}: not UTF-8 text") from None
        except json.JSONDecodeError as error:
            raise UsageError(f"--context {args.context}: not valid JSON: {error.msg} at line {error.lineno}") from None
        try:
            context = parse_context(document, "$")
        except MessageError as error:
            raise UsageError(f"--context {args.context}: {error}") from None
    for key in ("avg_daily_orders", "sent_today"):
        value = getattr(args, key)
        if value is not None:
            try:  # the flags obey the same rules as a context object (no negative, NaN or infinite figures)
                context.update(parse_context({key: value}, ""))
            except MessageError as error:
                raise UsageError(f"--{key.replace('_', '-')}: {error.reason}") from None
    return context


def run(args, out: TextIO, err: TextIO) -> int:
    from ..engine.batch import BatchOptions, Progress, ResultWriter, Summary, start_method

    context = _context_from_args(args)
    now = parse_now(args.now)
    if not 0 <= args.jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be from 0 to {MAX_JOBS} (0 = one process per core)")
    if args.jobs != 1:
        try:
            start_method()
        except ValueError as error:
            raise UsageError(str(error)) from None
    policy = load_or_report(args.policy, err, args.include_paths)
    if policy is None:
        return EXIT_INVALID
    options = BatchOptions(context, now, args.format, args.format == "text" and use_color(out), strict=args.strict)
    summary = Summary()
    progress = Progress(err, enabled=err.isatty() and not out.isatty())  # results on screen show progress
    writer = ResultWriter(out)
    try:
        return _check(args, out, policy, options, summary, progress, writer)
    except BrokenPipeError:
        # The reader went away (`bsm check … | head -1`): stop, and exit with the status of the
        # messages checked so far. Nothing more can be written, not even at exit.
        _discard_output(out)
        return _status(summary)


def _check(args, out: TextIO, policy, options, summary, progress, writer) -> int:
    from ..engine.batch import count_daily, evaluate_stream, render_json_result, resolve_jobs
    from ..messages.inputs import InputError, read_inputs

    context, now = options.context, options.now
    try:
        jobs = resolve_jobs(args.jobs)
        # JSON Lines are decoded where they are evaluated (with workers, in the workers): the main
        # process only reads and writes. Results so far are written whenever standard input waits.
        items = read_inputs(args.inputs or ["-"], contact_reason=args.contact_reason, decode=False,
                            on_wait=writer.flush)
        if args.count_daily:
            entries = count_daily(items, context.get("sent_today", 0),
                                  now or datetime.datetime.now(datetime.timezone.utc))
        else:
            entries = zip(items, itertools.repeat(None))
        write, add, tick = writer.write, summary.add, progress.tick
        for outcome in evaluate_stream(policy, options, entries, jobs):
            add(outcome)
            write(outcome.output)
            tick()
    except InputError as error:
        raise UsageError(str(error)) from None
    finally:
        progress.finish()
        writer.flush()
    if args.format == "text":
        counts = ", ".join(f"{n} {verdict}" for verdict, n in summary.verdicts.items() if n)
        print(f"{summary.messages} message(s): {counts or 'none'}", file=out)
        if args.summary:
            out.write(summary.text())
    elif args.summary:
        writer.write(render_json_result(summary.to_json()))
        writer.flush()
    out.flush()
    return _status(summary)


def _status(summary) -> int:
    if summary.verdicts["invalid"]:
        return EXIT_INVALID
    return EXIT_BLOCKED if summary.verdicts["block"] else EXIT_OK


def _discard_output(out: TextIO) -> None:
    """Point the output's file descriptor at /dev/null, so that flushing it at exit cannot fail
    again (the recipe of the `signal` module's documentation for SIGPIPE)."""
    try:
        descriptor = out.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
