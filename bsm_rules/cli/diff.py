"""`bsm diff OLD NEW`: shows the messages that two versions of a policy judge differently."""

from __future__ import annotations

import json
from typing import TextIO

from ..core.exit_status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK
from ..messages.inputs import InputError
from ..testing.policy_diff import CorpusMessage, boundary_corpus, diff_policies
from .common import add_include_path, load_or_report

__all__ = ["add_parser", "run"]


def add_parser(commands) -> None:
    """Adds `bsm diff` and its options to the command parser."""
    diff = commands.add_parser("diff", help="show which messages two versions of a policy judge differently")
    diff.add_argument("old", metavar="OLD", help="the policy before the change")
    diff.add_argument("new", metavar="NEW", help="the policy after the change")
    diff.add_argument("inputs", nargs="*", metavar="MESSAGES", help="message files (.json, .jsonl, .eml, .mbox)")
    diff.add_argument("--no-generated", dest="generated", action="store_false",
                      help="compare only the given messages, not the generated boundary messages")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    add_include_path(diff)
    diff.set_defaults(handler=run)


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


def run(args, out: TextIO, err: TextIO) -> int:
    old = load_or_report(args.old, err, args.include_paths, "OLD")
    new = load_or_report(args.new, err, args.include_paths, "NEW")
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
