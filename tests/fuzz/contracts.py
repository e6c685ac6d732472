"""The contracts the fuzz targets check, shared by the hypothesis tests (tests/fuzz) and the atheris
harnesses (fuzz/): one function per target takes raw input bytes and raises `ContractBroken` (or
lets through the unexpected exception) when the code under test breaks its contract.

- `policy`: policy text through checking, formatting, compiling and evaluating;
- `messages`: JSON / JSON Lines bytes through the readers, the quick and the careful message
  reader, and batch evaluation;
- `mime`: `.eml` / `.mbox` bytes through the email reader and batch evaluation;
- `lsp`: document text through the language server's analysis and its features.
"""

from __future__ import annotations

import datetime
import functools
import io
import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs
import msgspec

from bsm_rules.core import CODES, MessageError, SourceFile, Span, bundled_policies_dir, render
from bsm_rules.engine import Policy, explain_rule, load_policy
from bsm_rules.engine.batch import BatchOptions, count_daily, evaluate_stream
from bsm_rules.engine.verdict import VERDICTS, Verdict
from bsm_rules.language import ast, check_source, collect_cases, format_policy, parse_source
from bsm_rules.language.examples import message_to_json
from bsm_rules.messages import Message, parse_email, parse_message, read_inputs
from bsm_rules.messages.items import InputItem, line_text
from bsm_rules.messages.model import read_plain_message
from bsm_rules.testing.examples import run_case

__all__ = ["TARGETS", "ContractBroken", "bytes_of", "check_lsp", "check_messages", "check_mime", "check_policy",
           "text_of"]

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.timezone.utc)
MAX_CASES = 8        # examples of a generated policy run per input
MAX_PROBES = 10      # positions the language server is asked about per input
_INTERNAL_ERROR = "internal error while"


class ContractBroken(AssertionError):
    """The code under test answered an input in a way its contract rules out."""


def expect(condition: object, what: str) -> None:
    if not condition:
        raise ContractBroken(what)


# -- inputs as bytes ------------------------------------------------------------------------------

def text_of(data: bytes) -> str:
    """Input bytes as text: UTF-8 in which encoded surrogates stand for lone surrogates (text from
    an editor or the API may hold them); input that is not UTF-8 keeps its bad bytes as lone
    surrogates too."""
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape")


def bytes_of(text: str) -> bytes:
    """The bytes `text_of` reads back as `text`."""
    return text.encode("utf-8", "surrogatepass")


@functools.cache
def workspace() -> Path:
    """A folder of this process for the files an input is written to, with policies that inputs
    may include (`include "common.bsm"`, copies of the bundled ones)."""
    folder = Path(tempfile.mkdtemp(prefix="bsm-fuzz-"))
    for policy in bundled_policies_dir().glob("*.bsm"):
        shutil.copy(policy, folder / policy.name)
    (folder / "common.bsm").write_text(
        'pattern shout = /[A-Z]{5,}/\nlist banned = ["gift card", "review"]\n'
        'rule common-shout warning {\n  message "no shouting"\n  forbid subject matches shout\n}\n',
        encoding="utf-8")
    return folder


def remove_workspace() -> None:
    """Remove the folder of `workspace` (at the end of a harness run)."""
    if workspace.cache_info().currsize:
        shutil.rmtree(workspace(), ignore_errors=True)
        workspace.cache_clear()


@functools.cache
def bundled() -> Policy:
    return load_policy("bundled:amazon")


@functools.cache
def sample_messages() -> tuple[Message, ...]:
    """Messages every policy that checks is evaluated on: the examples and a few that reach the
    fields the examples leave out."""
    values = [json.loads((ROOT / "examples" / "message.json").read_text(encoding="utf-8"))]
    values += [json.loads(line) for line in (ROOT / "examples" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    values += [
        {"id": "html", "subject": "Ünïcode ﬁx 😀 Ａ", "body": "",
         "html": '<p>Visit <a href="https://ups.com/t?x=1">ups</a> <img src="https://t.co/p.gif" width=1 height=1>'
                 "&amp; call +1 206 555 0100</p>",
         "language": "en", "order_id": "112-3456789-0123456", "sender": {"role": "seller", "id": "S1"},
         "recipient": {"address": "abc@marketplace.amazon.com", "language": "de", "opted_out": True}},
        {"id": "reply", "subject": "RE: your question", "body": "Ja, das geht.\u200b\u202e",
         "sent_at": "2026-11-20T10:00:00Z", "in_reply_to": {"id": "b-1", "received_at": "2026-11-17T09:00:00+01:00"},
         "attachments": [{"name": "a.exe", "size": 0}, {"name": "photo.JPG", "size": 30 * 1024 * 1024,
                                                          "content_type": "image/jpeg"}],
         "context": {"avg_daily_orders": 0.5, "sent_today": 10**6}},
    ]
    return tuple(parse_message(value, f"sample-{index}") for index, value in enumerate(values))


# -- located diagnostics and verdicts -------------------------------------------------------------

def _span_inside(span: Span, what: str) -> None:
    expect(0 <= span.start <= span.end <= len(span.source.text),
           f"{what}: span {span.start}..{span.end} outside its text of {len(span.source.text)} characters")


def diagnostics_located(diagnostics: Iterable, sources: dict[str, SourceFile]) -> None:
    """Each diagnostic has a known code and a message, and every span it has (its own, related
    places, fixes) lies inside the text of a file that was checked."""
    for diagnostic in diagnostics:
        what = f"{diagnostic.code} {diagnostic.message!r}"
        expect(diagnostic.code in CODES, f"{what}: unknown diagnostic code")
        expect(diagnostic.message, f"{diagnostic.code}: a diagnostic without a message")
        spans = [diagnostic.span, *(r.span for r in diagnostic.related), *(f.span for f in diagnostic.fixes)]
        for span in spans:
            expect(span.source.name in sources, f"{what}: located in {span.source.name!r}, a file never checked")
            expect(span.source.text == sources[span.source.name].text,
                   f"{what}: located in another text than the one checked under {span.source.name!r}")
            _span_inside(span, what)
        render(diagnostic)
        json.dumps(diagnostic.to_json())


def verdict_holds(verdict: Verdict, message: Message, policy: Policy) -> None:
    """A verdict names rules of the policy, and a located violation points into its field."""
    expect(verdict.verdict in ("allow", "warn", "block"), f"verdict {verdict.verdict!r}")
    rules = set(policy.rule_ids)
    for violation in verdict.violations:
        expect(violation.rule in rules, f"violation of {violation.rule!r}, not an enabled rule of the policy")
        expect(violation.severity in ("error", "warning", "info"), f"severity {violation.severity!r}")
        field = violation.field
        if field in ("subject", "body", "html"):
            text = getattr(message, field) or ""
            if violation.start is not None:
                expect(violation.end is not None and 0 <= violation.start <= violation.end <= len(text),
                       f"{violation.rule}: {field} {violation.start}..{violation.end} outside {len(text)} characters")
                expect(violation.excerpt == text[violation.start:violation.end],
                       f"{violation.rule}: excerpt {violation.excerpt!r} is not the text at its offsets")
        elif field is not None:
            match = re.fullmatch(r"attachments\[(\d+)\]", field)
            expect(match and int(match.group(1)) < len(message.attachments), f"{violation.rule}: field {field!r}")
    json.dumps(verdict.to_json())


def _results_hold(items: list[InputItem], what: str) -> None:
    """Batch evaluation gives every item one result, in order, and no internal error; with the
    daily count and the text rendering too."""
    for options, entries in (
            (BatchOptions({}, NOW, "json"), zip(items, itertools.repeat(None))),
            (BatchOptions({"avg_daily_orders": 3, "sent_today": 7}, NOW, "text", strict=True),
             count_daily(items, 7, NOW))):
        outcomes = list(evaluate_stream(bundled(), options, entries))
        expect(len(outcomes) == len(items), f"{what}: {len(items)} message(s) gave {len(outcomes)} result(s)")
        for item, outcome in zip(items, outcomes, strict=True):
            expect(outcome.verdict in VERDICTS, f"{what}: verdict {outcome.verdict!r}")
            if options.output_format == "json":
                result = json.loads(outcome.output)
                expect(result["message"] is not None, f"{what}: a result without a message id")
                error = result.get("error", "")
            else:
                error = outcome.output
            expect(f"{item.where}: {_INTERNAL_ERROR}" not in error,
                   f"{what}: an internal error surfaced as a result: {error}")


# -- policy ---------------------------------------------------------------------------------------

def _non_lint_codes(diagnostics) -> list[str]:
    return sorted(d.code for d in diagnostics if not d.code.startswith("BSM5"))


def _spans_inside(policy: ast.Policy) -> None:
    for node in ast.walk(policy):
        for name, value in vars_of(node):
            if isinstance(value, Span):
                _span_inside(value, f"{type(node).__name__}.{name}")


def vars_of(node) -> list[tuple[str, object]]:
    """The fields of an AST node with their values."""
    return [(field.name, getattr(node, field.name)) for field in attrs.fields(type(node))]


def _formatting_holds(policy: ast.Policy, checked, source: SourceFile) -> None:
    formatted = format_policy(policy)
    again, syntax = parse_source(SourceFile(source.name, formatted))
    expect(not syntax, f"the formatted text has syntax errors: {[d.message for d in syntax]}\n{formatted}")
    expect(again == policy, f"formatting changed the policy (the AST differs):\n{formatted}")
    expect([c.text.rstrip() for c in again.comments] == [c.text.rstrip() for c in policy.comments],
           f"formatting lost or reordered comments:\n{formatted}")
    expect(format_policy(again) == formatted, f"formatting is not idempotent:\n{formatted}")
    rechecked = check_source(SourceFile(source.name, formatted))
    expect(_non_lint_codes(rechecked.diagnostics) == _non_lint_codes(checked.diagnostics),
           f"formatting changed the diagnostics: {_non_lint_codes(checked.diagnostics)} became "
           f"{_non_lint_codes(rechecked.diagnostics)}")


def _evaluation_holds(checked) -> None:
    policy = Policy(checked)
    reasons = [ident.name for category in checked.categories.values() for ident in category.reasons][:2]
    messages = [*sample_messages(), *(msgspec.structs.replace(sample, contact_reason=reason)
                                      for reason in reasons for sample in sample_messages()[-2:])]
    for message in messages:
        try:
            verdict = policy.compiled.evaluate(message, None, NOW)
        except MessageError:  # a contact reason or category the policy does not know
            continue
        verdict_holds(verdict, message, policy)
    message = sample_messages()[0]
    for rule_id in policy.rule_ids[:3]:
        explain_rule(policy, rule_id, message, None, NOW)
    for case in collect_cases(checked)[:MAX_CASES]:
        result = run_case(policy, case, NOW)
        expect(result.verdict in ("allow", "warn", "block"), f"example {case.name!r} gave {result.verdict!r}")


def check_policy(data: bytes) -> None:
    """Checking never raises and locates every diagnostic inside the text; a policy that parses
    formats to text that parses back to the same policy, the same diagnostics and the same
    formatting; a policy that checks compiles and evaluates messages and its examples."""
    text = text_of(data)
    source = SourceFile(str(workspace() / "fuzz.bsm"), text)
    checked = check_source(source)
    sources = {unit.ast.span.source.name: unit.ast.span.source for unit in checked.units}
    expect(sources.get(source.name) is not None and sources[source.name].text == text, "the policy's own unit is missing")
    diagnostics_located(checked.diagnostics, sources)
    policy, syntax = parse_source(source)
    _spans_inside(policy)
    expect(bool(syntax) == any(d.code.startswith("BSM1") and d.span.source.name == source.name
                               for d in checked.diagnostics), "syntax errors and checking disagree")
    if not syntax:
        _formatting_holds(policy, checked, source)
    if checked.ok and any(not rule.disabled for rule in checked.rules):
        _evaluation_holds(checked)


# -- messages -------------------------------------------------------------------------------------

def _text_lines(data: bytes) -> list[str]:
    """The lines of `data` as a text-mode reader has them (the JSON Lines reader's reference)."""
    return list(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline=None))


def _document_count(data: bytes) -> int:
    """Messages in a JSON document: one per element of a list, else one (a message or an error)."""
    try:
        document = json.loads("".join(_text_lines(data)))
    except (ValueError, RecursionError):
        return 1
    return len(document) if isinstance(document, list) else 1


def _message_round_trip(message: Message, what: str) -> None:
    """A message written back as message JSON (`bsm test`'s counterexamples, `message from`) reads
    as the same message, but for what message JSON cannot hold: the id of the message replied to
    without the time it arrived (an email's `In-Reply-To` without `X-BSM-Reply-Received-At`)."""
    written = message_to_json(message)
    again = parse_message(json.loads(json.dumps(written)), message.id)
    representable = msgspec.structs.replace(
        message, notices=(),
        in_reply_to_id=message.in_reply_to_id if message.in_reply_to_received_at is not None else None)
    expect(again == representable,
           f"{what}: the message written as JSON reads back differently: {written}")


def _read_value(value: object, default_id: str, what: str) -> None:
    """The careful reader answers any JSON value with a message or a MessageError, strict or not,
    and a message it reads evaluates to a verdict."""
    for strict in (False, True):
        try:
            message = parse_message(value, default_id, strict)
        except MessageError as error:
            expect(error.path == "" or error.path.startswith("$"), f"{what}: error path {error.path!r}")
            continue
        _message_round_trip(message, what)
        policy = bundled()
        try:
            verdict = policy.evaluate(message, now=NOW)
        except MessageError:  # a contact reason or category the policy does not know
            continue
        verdict_holds(verdict, message, policy)


def _plain_reader_agrees(line: bytes, default_id: str, what: str) -> None:
    """The quick reader of JSON Lines reads a line as the careful reader does, or leaves it to it."""
    plain = read_plain_message(line, default_id)
    if plain is None:
        return
    try:
        value = json.loads(line_text(line))
    except (ValueError, RecursionError) as error:
        raise ContractBroken(f"{what}: the quick reader read a line that is not JSON ({error})") from None
    try:
        careful = parse_message(value, default_id)
    except MessageError as error:
        raise ContractBroken(f"{what}: the quick reader read a line the careful one refuses ({error})") from None
    expect(careful == plain, f"{what}: the quick and the careful reader differ:\n{plain}\n{careful}")


def check_messages(data: bytes) -> None:
    """Read as JSON Lines, every non-blank line gets one item, in order; read as a JSON document,
    every element of a list does; from standard input, either. Every item gets one result and
    no internal error; the quick and the careful message reader agree."""
    folder = workspace()
    lines_file = folder / "fuzz.jsonl"
    lines_file.write_bytes(data)
    items = list(read_inputs([str(lines_file)], decode=False))
    expected = [f"#{number}" for number, line in enumerate(_text_lines(data), start=1) if line.strip()]
    expect([item.default_id for item in items] == expected,
           f"JSON Lines: items {[item.default_id for item in items]}, expected one per non-blank line {expected}")
    for item in items:
        _plain_reader_agrees(item.raw, item.default_id, f"JSON Lines {item.where}")
        decoded = item.decoded()
        if decoded.error is None:
            _read_value(decoded.value, decoded.default_id, f"JSON Lines {item.where}")
    _results_hold(items, "JSON Lines")

    document_file = folder / "fuzz.json"
    document_file.write_bytes(data)
    items = list(read_inputs([str(document_file)]))
    expect(len(items) == _document_count(data), f"JSON: {len(items)} item(s), expected {_document_count(data)}")
    expect([item.default_id for item in items] == [f"#{n}" for n in range(1, len(items) + 1)], "JSON: item ids")
    _results_hold(items, "JSON")

    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    items = list(read_inputs(["-"], stdin=stdin, decode=False))
    numbers = [int(item.default_id[1:]) for item in items]
    expect(numbers == sorted(set(numbers)), f"standard input: items out of order {numbers}")
    _results_hold(items, "standard input")


# -- email ----------------------------------------------------------------------------------------

def _mbox_count(data: bytes) -> int:
    """Messages in an mbox: one per `From ` line at the start or after a blank line, plus one for
    text before the first of them."""
    count, started, previous_blank = 0, False, True
    for line in io.BytesIO(data):
        blank = not line.strip(b"\r\n")
        if line.startswith(b"From ") and previous_blank:
            count, started, previous_blank = count + 1, True, False
            continue
        if not started and not blank:
            count, started = count + 1, True
        previous_blank = blank
    return count


def _one_of_message_or_error(item: InputItem, what: str) -> None:
    expect((item.message is None) != (item.error is None), f"{what}: item {item.where} is {item}")


def check_mime(data: bytes) -> None:
    """Read as an email, the bytes give a message or a MessageError, and a message evaluates and
    round-trips through message JSON; as an `.eml` file they give one item, as an `.mbox` one per
    message, each with one result and no internal error."""
    try:
        message = parse_email(data, "fuzz.eml")
    except MessageError:
        message = None
    if message is not None:
        _message_round_trip(message, "email")
        policy = bundled()
        try:
            verdict = policy.evaluate(message, now=NOW)
        except MessageError:  # a contact reason or category the policy does not know
            verdict = None
        if verdict is not None:
            verdict_holds(verdict, message, policy)
    folder = workspace()
    eml = folder / "fuzz.eml"
    eml.write_bytes(data)
    items = list(read_inputs([str(eml)]))
    expect(len(items) == 1, f".eml: {len(items)} items")
    _one_of_message_or_error(items[0], ".eml")
    expect((items[0].message is None) == (message is None), ".eml: the file and the bytes read differently")
    _results_hold(items, ".eml")

    mbox = folder / "fuzz.mbox"
    mbox.write_bytes(data)
    items = list(read_inputs([str(mbox)]))
    expected = _mbox_count(data)
    expect([item.default_id for item in items] == [f"fuzz.mbox#{n}" for n in range(1, expected + 1)],
           f".mbox: items {[item.default_id for item in items]}, expected {expected} message(s)")
    lines = [int(item.where.rpartition(":")[2]) for item in items]
    expect(lines == sorted(set(lines)), f".mbox: messages out of order (lines {lines})")
    for item in items:
        _one_of_message_or_error(item, ".mbox")
    _results_hold(items, ".mbox")


# -- language server ------------------------------------------------------------------------------

def _node_places(policy: ast.Policy) -> list[tuple]:
    return [(type(node).__name__, *((name, value.start, value.end) for name, value in vars_of(node)
                                    if isinstance(value, Span))) for node in ast.walk(policy)]


@functools.cache
def _group_parser():
    from bsm_lsp.incremental import ParseCache

    return ParseCache(small_document=0)  # every text is parsed group by group, groups reused across inputs


def _lsp_ranges_inside(ranges: Iterable, lines: list[str], what: str) -> None:
    for item in ranges:
        for position in (item.start, item.end):
            expect(0 <= position.line < len(lines), f"{what}: line {position.line} of {len(lines)}")
            width = len(lines[position.line].encode("utf-16-le", "surrogatepass")) // 2
            expect(0 <= position.character <= width,
                   f"{what}: character {position.character} on line {position.line} of {width} units")
        expect((item.start.line, item.start.character) <= (item.end.line, item.end.character), f"{what}: {item}")


def _probe_offsets(text: str, diagnostics) -> list[int]:
    offsets = {0, len(text), len(text) // 2, len(text) // 3}
    offsets.update(d.span.start for d in diagnostics[:3])
    offsets.update(m.end() for m in itertools.islice(re.finditer(r"[.@(\"]|\b(?:in|matches)\b ?", text), 4))
    return sorted(offsets)[:MAX_PROBES]


def check_lsp(data: bytes) -> None:
    """The analysis of any document text has no internal error; every feature answers at any
    position with ranges inside the document; formatting gives text that parses; the
    incremental parser gives what the whole parse gives."""
    from lsprotocol import types
    from pygls.workspace import PositionCodec

    from bsm_lsp import features
    from bsm_lsp.analysis import analyze
    from bsm_lsp.convert import to_lsp_diagnostics

    text = text_of(data)
    path = workspace() / "fuzz.bsm"
    uri = path.as_uri()
    analysis = analyze(uri, 1, text, {}, PositionCodec())
    internal = [d.message for d in analysis.checked.diagnostics if _INTERNAL_ERROR in d.message]
    expect(not internal, f"analysis: {internal}")
    lines = text.split("\n")
    _lsp_ranges_inside([d.range for d in to_lsp_diagnostics(analysis)], lines, "diagnostics")
    document = types.TextDocumentIdentifier(uri=uri)
    index = analysis.lines()

    def same_document(locations) -> list:
        return [location.range for location in locations or () if location.uri == uri]

    probes = [index.position(offset) for offset in _probe_offsets(text, analysis.own_diagnostics())]
    probes.append(types.Position(line=len(lines) + 3, character=10**6))
    for where in probes:
        hover = features.hover(analysis, types.HoverParams(text_document=document, position=where))
        if hover is not None and hover.range is not None:
            _lsp_ranges_inside([hover.range], lines, "hover")
        completion = features.completion(analysis, types.CompletionParams(text_document=document, position=where))
        edits = [item.text_edit for item in completion.items if item.text_edit is not None]
        _lsp_ranges_inside([getattr(edit, "range", None) or edit.replace for edit in edits], lines, "completion")
        found = features.definition(analysis, types.DefinitionParams(text_document=document, position=where))
        _lsp_ranges_inside(same_document(found), lines, "definition")
        renamed = features.prepare_rename(analysis, types.PrepareRenameParams(text_document=document, position=where))
        if renamed is not None:
            _lsp_ranges_inside([renamed], lines, "prepare rename")
        actions = features.code_actions(analysis, types.CodeActionParams(
            text_document=document, range=types.Range(start=types.Position(line=0, character=0), end=where),
            context=types.CodeActionContext(diagnostics=[])))
        for action in actions:
            _lsp_ranges_inside([e.range for e in (action.edit.changes or {}).get(uri, ())], lines, "code action")

    symbols = features.document_symbols(analysis, types.DocumentSymbolParams(text_document=document))
    while symbols:
        _lsp_ranges_inside([s.range for s in symbols] + [s.selection_range for s in symbols], lines, "symbols")
        symbols = [child for s in symbols for child in s.children or ()]
    for folding in features.folding_ranges(analysis, types.FoldingRangeParams(text_document=document)):
        expect(0 <= folding.start_line <= folding.end_line < len(lines), f"folding range {folding}")
    tokens = features.semantic_tokens_full(analysis, types.SemanticTokensParams(text_document=document)).data
    expect(len(tokens) % 5 == 0, "semantic tokens: not a multiple of five numbers")
    line = character = 0
    for delta_line, delta_start, length, _kind, _modifiers in zip(*[iter(tokens)] * 5, strict=True):
        line, character = line + delta_line, (character + delta_start if delta_line == 0 else delta_start)
        _lsp_ranges_inside([types.Range(start=types.Position(line=line, character=character),
                                        end=types.Position(line=line, character=character + length))],
                           lines, "semantic token")
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    for edit in features.formatting(analysis, types.DocumentFormattingParams(text_document=document,
                                                                             options=options)) or ():
        expect(not parse_source(SourceFile(str(path), edit.new_text))[1], "formatting gave text with syntax errors")
    middle = index.position(len(text) // 2)
    for edit in features.range_formatting(analysis, types.DocumentRangeFormattingParams(
            text_document=document, range=types.Range(start=middle, end=index.end), options=options)) or ():
        _lsp_ranges_inside([edit.range], lines, "range formatting")

    source = SourceFile(str(path), text)
    whole, whole_syntax = parse_source(source)
    grouped, grouped_syntax = _group_parser().parse(source)
    expect(grouped == whole and _node_places(grouped) == _node_places(whole),
           "the incremental parse differs from the whole parse")
    expect([(d.code, d.span.start, d.span.end) for d in grouped_syntax]
           == [(d.code, d.span.start, d.span.end) for d in whole_syntax],
           "the incremental parse reports other syntax errors than the whole parse")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "policy": check_policy,
    "messages": check_messages,
    "mime": check_mime,
    "lsp": check_lsp,
}
