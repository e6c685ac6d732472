"""The `bsm` command line: thin wrappers over the library; `main(argv) -> int` returns one of the
exit statuses of `exit_status`."""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import sys
from typing import TextIO

from ..core.diagnostics import render
from ..core.errors import MessageError, PolicyError
from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..messages.model import parse_context, parse_timestamp

__all__ = ["main", "EXIT_OK", "EXIT_BLOCKED", "EXIT_INVALID"]

MAX_JOBS = 64  # more worker processes than this only fights over the cores


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit; main() returns instead
        raise _UsageError(f"{self.prog}: {message}")


def _use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _load(policy_arg: str | None, err: TextIO):
    from ..engine.policy import load_policy

    try:
        policy = load_policy(policy_arg)
    except PolicyError as error:
        color = _use_color(err)
        for diagnostic in error.diagnostics:
            print(render(diagnostic, color), file=err, end="\n\n")
        errors = sum(1 for d in error.diagnostics if d.is_error)
        print(f"bsm: the policy has {errors} error(s); nothing was checked", file=err)
        return None
    return policy


def _context_from_args(args) -> dict:
    context: dict = {}
    if args.context:
        try:
            with open(args.context, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as error:
            raise _UsageError(f"--context {args.context}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise _UsageError(f"--context {args.context}: not UTF-8 text") from None
        except json.JSONDecodeError as error:
            raise _UsageError(f"--context {args.context}: not valid JSON: {error.msg} at line {error.lineno}") from None
        try:
            context = parse_context(document, "$")
        except MessageError as error:
            raise _UsageError(f"--context {args.context}: {error}") from None
    for key in ("avg_daily_orders", "sent_today"):
        value = getattr(args, key)
        if value is not None:
            try:  # the flags obey the same rules as a context object (no negative, NaN or infinite figures)
                context.update(parse_context({key: value}, ""))
            except MessageError as error:
                raise _UsageError(f"--{key.replace('_', '-')}: {error.reason}") from None
    return context


def _cmd_check(args, out: TextIO, err: TextIO) -> int:
    from ..engine.batch import (BatchOptions, Progress, ResultWriter, Summary, count_daily, evaluate_stream,
                        render_json_result, resolve_jobs)
    from ..messages.inputs import InputError, read_inputs

    context = _context_from_args(args)
    now = None
    if args.now:
        try:
            now = parse_timestamp(args.now, "--now")
        except MessageError as error:
            raise _UsageError(str(error)) from None
    if not 0 <= args.jobs <= MAX_JOBS:
        raise _UsageError(f"--jobs must be from 0 to {MAX_JOBS} (0 = one process per core)")
    policy = _load(args.policy, err)
    if policy is None:
        return EXIT_INVALID
    options = BatchOptions(args.policy, context, now, args.format, args.format == "text" and _use_color(out))
    summary = Summary()
    progress = Progress(err, enabled=err.isatty() and not out.isatty())  # results on screen show progress
    writer = ResultWriter(out)
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
            write(outcome.output)
            add(outcome)
            tick()
    except InputError as error:
        raise _UsageError(str(error)) from None
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
    if summary.verdicts["invalid"]:
        return EXIT_INVALID
    return EXIT_BLOCKED if summary.verdicts["block"] else EXIT_OK


def _cmd_lint(args, out: TextIO, err: TextIO) -> int:
    from .lint import run_lint

    return run_lint(args, out, err, args.format == "text" and _use_color(out))


def _cmd_fmt(args, out: TextIO, err: TextIO) -> int:
    import difflib

    from ..language.formatter import format_policy
    from ..language.loader import policy_files, read_source
    from ..language.parser import parse_source

    status = EXIT_OK
    changed: list[str] = []
    files, missing = policy_files(args.paths)
    for diagnostic in missing:
        print(f"bsm fmt: {diagnostic.message}", file=err)
        status = EXIT_INVALID
    for path in files:
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else getattr(error, "strerror", None) or error
            print(f"bsm fmt: cannot read {path}: {reason}", file=err)
            status = EXIT_INVALID
            continue
        policy, syntax = parse_source(source)
        if syntax:
            for diagnostic in syntax:
                print(render(diagnostic, _use_color(err)), file=err, end="\n\n")
            print(f"bsm fmt: {path}: not formatted, it has syntax errors", file=err)
            status = EXIT_INVALID
            continue
        formatted = format_policy(policy)
        if formatted == source.text:
            continue
        changed.append(path)
        if args.diff:
            before, after = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
            out.writelines(difflib.unified_diff(source.text.splitlines(True), formatted.splitlines(True), before, after))
        elif args.check:
            print(f"would reformat {path}", file=out)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(formatted)
            print(f"reformatted {path}", file=out)
    if not args.diff:
        verb = "would be reformatted" if args.check else "reformatted"
        print(f"{len(changed)} file(s) {verb}, {len(files) - len(changed)} left unchanged", file=out)
    if (args.check or args.diff) and changed and status == EXIT_OK:
        return EXIT_BLOCKED
    return status


def _cmd_lsp(args, out: TextIO, err: TextIO) -> int:
    try:
        from bsm_lsp.server import serve
    except ImportError as error:
        print(f"bsm lsp: the language server is not installed ({error})", file=err)
        return EXIT_INVALID
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            raise _UsageError(f"--tcp expects HOST:PORT, got {args.tcp!r}")
        return serve(tcp=(host or "127.0.0.1", int(port)))
    return serve()


def _cmd_test(args, out: TextIO, err: TextIO) -> int:
    from .test import run_test_command

    try:
        args.now_value = parse_timestamp(args.now, "--now") if args.now else None
    except MessageError as error:
        raise _UsageError(str(error)) from None
    if args.min_coverage is not None and not 0 <= args.min_coverage <= 100:
        raise _UsageError("--min-coverage must be between 0 and 100")
    if args.max_examples < 1:
        raise _UsageError("--max-examples must be at least 1")
    return run_test_command(args, out, err, args.format == "text" and _use_color(out))


def _cmd_diff(args, out: TextIO, err: TextIO) -> int:
    from ..testing.policy_diff import run_diff_command

    return run_diff_command(args, out, err, lambda path: _load(path, err))


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bsm", description="Check Amazon Buyer-Seller messages against bsm policies.")
    parser.add_argument("--version", action="version", version=f"bsm {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check messages against a policy")
    check.add_argument("inputs", nargs="*", metavar="INPUT",
                       help="message files (.json, .jsonl, .eml, .mbox) or - for standard input (default)")
    check.add_argument("--policy", help="policy file (default: the bundled Amazon policy)")
    check.add_argument("--context", metavar="FILE", help="JSON object with avg_daily_orders and sent_today")
    check.add_argument("--avg-daily-orders", dest="avg_daily_orders", type=float, metavar="N")
    check.add_argument("--sent-today", dest="sent_today", type=int, metavar="N")
    check.add_argument("--now", metavar="TIMESTAMP", help="evaluate as if at this RFC 3339 time")
    check.add_argument("--contact-reason", dest="contact_reason", metavar="REASON",
                       help="contact reason of email inputs that carry no X-BSM-Contact-Reason header")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="worker processes (default 1; 0 = one per core); results keep the input order")
    check.add_argument("--summary", action="store_true",
                       help="end with per-rule counts (with --format json: a final {\"summary\": ...} line)")
    check.add_argument("--count-daily", dest="count_daily", action="store_true",
                       help="each message's sent_today counts the earlier messages of its sender on its UTC day")
    check.set_defaults(handler=_cmd_check)

    lint = commands.add_parser("lint", help="report problems in policy files")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm files")
    lint.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="sarif: a SARIF 2.1.0 log for code scanning")
    lint.add_argument("--fail-on", choices=("error", "warning"), default="error",
                      help="exit 1 on errors (default), or on warnings too")
    lint.set_defaults(handler=_cmd_lint)

    fmt = commands.add_parser("fmt", help="rewrite policy files in the canonical layout")
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm files")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="change nothing; exit 1 and list files that would change")
    mode.add_argument("--diff", action="store_true", help="change nothing; print the changes as a unified diff")
    fmt.set_defaults(handler=_cmd_fmt)

    lsp = commands.add_parser("lsp", help="run the language server (stdio by default)")
    lsp.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    lsp.set_defaults(handler=_cmd_lsp)

    test = commands.add_parser("test", help="run the examples (and derived properties) of policy files")
    test.add_argument("paths", nargs="+", metavar="PATH", help="policy files, or directories to search for *.bsm")
    test.add_argument("--format", choices=("text", "json", "junit"), default="text")
    test.add_argument("--properties", action="store_true",
                      help="also run the properties derived from every rule (generated messages)")
    test.add_argument("--seed", type=int, default=0, help="random seed of the derived properties (default 0)")
    test.add_argument("--max-examples", dest="max_examples", type=int, default=50, metavar="N",
                      help="generated messages per property (default 50)")
    test.add_argument("--database", default=".bsm-test-db", metavar="DIR",
                      help="where failing generated messages are kept and replayed first (default .bsm-test-db)")
    test.add_argument("--coverage", action="store_true", help="report which rules the examples make fire and not fire")
    test.add_argument("--min-coverage", dest="min_coverage", type=float, metavar="PERCENT",
                      help="fail when the rule coverage is below PERCENT")
    test.add_argument("--now", metavar="TIMESTAMP", help="evaluate as if at this RFC 3339 time")
    test.set_defaults(handler=_cmd_test)

    diff = commands.add_parser("diff", help="show which messages two versions of a policy judge differently")
    diff.add_argument("old", metavar="OLD", help="the policy before the change")
    diff.add_argument("new", metavar="NEW", help="the policy after the change")
    diff.add_argument("inputs", nargs="*", metavar="MESSAGES", help="message files (.json, .jsonl, .eml, .mbox)")
    diff.add_argument("--no-generated", dest="generated", action="store_false",
                      help="compare only the given messages, not the generated boundary messages")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(handler=_cmd_diff)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    for stream in (out, err):
        # JSON text may hold lone surrogates (`"\ud800"`); they are written as that escape, which
        # keeps JSON output valid, instead of failing the whole run.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help(err)
            return EXIT_INVALID
        return args.handler(args, out, err)
    except _UsageError as error:
        print(f"{error}", file=err)
        return EXIT_INVALID
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())

