"""The LSP features: hover, completion, navigation, symbols, formatting, semantic tokens, folding,
code actions and code lenses, each a function from a document's analysis (or, for those that read
other documents, the workspace or the samples, the session) and the request's parameters to its
answer. The server registers them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from bsm_rules.core import SourceFile
from bsm_rules.language import (
    ExampleCase,
    ast,
    expand_example,
    format_policy,
    format_statements,
    parse_source,
    read_source,
)

from .analysis import Analysis
from .completion import complete
from .convert import to_lsp, uri_of
from .evaluation import SampleRun, evaluate_samples, sample_files
from .hover import hover_at
from .index import RENAMABLE, Occurrence
from .positions import LineIndex
from .session import Session
from .tokens import KEYWORDS, semantic_tokens

__all__ = [
    "CODE_ACTION_OPTIONS", "COMPLETION_OPTIONS", "EVALUATE_COMMAND", "code_actions", "code_lenses",
    "completion", "definition", "document_symbols", "evaluate_command", "folding_ranges", "formatting", "hover",
    "prepare_rename", "range_formatting", "references", "rename", "semantic_tokens_full", "workspace_symbols",
]

EVALUATE_COMMAND = "bsm.evaluateSamples"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RULE_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


COMPLETION_OPTIONS = types.CompletionOptions(trigger_characters=[".", "@"])
CODE_ACTION_OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])


def _offset(analysis: Analysis, params) -> int:
    return analysis.lines().offset(params.position)


def _symbol_at(analysis: Analysis, params) -> Occurrence | None:
    """The named thing (pattern, list, rule id, …) at the request's position."""
    return analysis.index.at(analysis.path, _offset(analysis, params))


def _location(analysis: Analysis, occurrence: Occurrence) -> types.Location:
    return types.Location(uri=uri_of(occurrence.path, analysis),
                          range=analysis.lines(occurrence.path).span_range(occurrence.span))


# -- hover and completion -------------------------------------------------------------------------

def hover(analysis: Analysis, params: types.HoverParams) -> types.Hover | None:
    found = hover_at(analysis, _offset(analysis, params))
    if found is None:
        return None
    text, span = found
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=analysis.lines().span_range(span))


def completion(analysis: Analysis, params: types.CompletionParams) -> types.CompletionList:
    return types.CompletionList(is_incomplete=False, items=complete(analysis, _offset(analysis, params)))


# -- navigation -----------------------------------------------------------------------------------

async def _related_analyses(session: Session, analysis: Analysis, occurrence: Occurrence) -> list[Analysis]:
    """The analysis itself plus those of other open documents that read the file defining the
    symbol (so references in files that include this one are found too)."""
    definitions = analysis.index.definitions(occurrence.key)
    if not definitions:
        return [analysis]
    home = definitions[0].path
    found = [analysis]
    for uri in session.open_documents():
        if uri == analysis.uri:
            continue
        other = await session.analysis(uri)
        if other.path == home or home in other.dependencies:
            found.append(other)
    return found


async def _occurrences(session: Session, analysis: Analysis,
                       occurrence: Occurrence) -> list[tuple[Analysis, Occurrence]]:
    seen: set[tuple[str, int, int]] = set()
    result = []
    for other in await _related_analyses(session, analysis, occurrence):
        for found in other.index.of(occurrence.key):
            place = (found.path, found.span.start, found.span.end)
            if place not in seen:
                seen.add(place)
                result.append((other, found))
    return result


def definition(analysis: Analysis, params: types.DefinitionParams) -> list[types.Location] | None:
    occurrence = _symbol_at(analysis, params)
    if occurrence is None:
        return None
    return [_location(analysis, d) for d in analysis.index.definitions(occurrence.key)] or None


async def references(session: Session, params: types.ReferenceParams) -> list[types.Location] | None:
    analysis = await session.analysis(params.text_document.uri)
    occurrence = _symbol_at(analysis, params)
    if occurrence is None:
        return None
    return [_location(owner, found) for owner, found in await _occurrences(session, analysis, occurrence)
            if params.context.include_declaration or not found.definition]


def prepare_rename(analysis: Analysis, params: types.PrepareRenameParams) -> types.Range | None:
    occurrence = _symbol_at(analysis, params)
    if occurrence is None or occurrence.kind not in RENAMABLE or not analysis.index.definitions(occurrence.key):
        return None
    return analysis.lines().span_range(occurrence.span)


async def rename(session: Session, params: types.RenameParams) -> types.WorkspaceEdit | None:
    analysis = await session.analysis(params.text_document.uri)
    occurrence = _symbol_at(analysis, params)
    if occurrence is None or not analysis.index.definitions(occurrence.key):
        return None
    valid = _RULE_ID if occurrence.kind == "rule" else _NAME
    if not valid.fullmatch(params.new_name):
        what = "a rule id (lower-case words joined by '-')" if occurrence.kind == "rule" else "a name (letters, digits, _)"
        raise JsonRpcInvalidParams(message=f"`{params.new_name}` is not {what}")
    if occurrence.kind != "rule" and params.new_name in KEYWORDS:
        raise JsonRpcInvalidParams(message=f"`{params.new_name}` is a keyword of the language")
    if _is_defined(analysis, occurrence.kind, params.new_name):
        raise JsonRpcInvalidParams(message=f"`{params.new_name}` is already defined")
    changes: dict[str, list[types.TextEdit]] = {}
    for owner, found in await _occurrences(session, analysis, occurrence):
        location = _location(owner, found)
        changes.setdefault(location.uri, []).append(types.TextEdit(range=location.range, new_text=params.new_name))
    return types.WorkspaceEdit(changes=changes)


def _is_defined(analysis: Analysis, kind: str, name: str) -> bool:
    checked = analysis.checked
    if kind == "rule":
        return checked.rule(name) is not None
    if kind == "reason":
        return name.casefold() in checked.reason_categories
    # Patterns, lists, domain lists and categories share one namespace.
    return any(name in table for table in (checked.patterns, checked.lists, checked.domains, checked.categories))


# -- symbols --------------------------------------------------------------------------------------

_SYMBOL_KINDS = {
    ast.CategoryDef: types.SymbolKind.Enum, ast.PatternDef: types.SymbolKind.Constant,
    ast.ListDef: types.SymbolKind.Array, ast.DomainsDef: types.SymbolKind.Array,
    ast.RuleDef: types.SymbolKind.Function, ast.OverrideDef: types.SymbolKind.Interface,
    ast.DisableDef: types.SymbolKind.Interface, ast.PolicyHeader: types.SymbolKind.Package,
    ast.Include: types.SymbolKind.File,
}


def _statement_symbol(statement) -> tuple[str, str, ast.Ident | ast.StringLit] | None:
    """(name, detail, node whose span is the selection) of a statement."""
    if isinstance(statement, ast.PolicyHeader):
        return statement.name.value or "policy", "policy", statement.name
    if isinstance(statement, ast.Include):
        return statement.path.value, "include", statement.path
    if isinstance(statement, ast.RuleDef):
        return statement.id.name, f"rule ({statement.severity.name})", statement.id
    if isinstance(statement, ast.OverrideDef):
        return statement.rule.name, "override", statement.rule
    if isinstance(statement, ast.DisableDef):
        return statement.rule.name, "disable", statement.rule
    kind = {ast.CategoryDef: "category", ast.PatternDef: "pattern", ast.ListDef: "list",
            ast.DomainsDef: "domains"}.get(type(statement))
    return (statement.name.name, kind, statement.name) if kind else None


def document_symbols(analysis: Analysis, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    unit = analysis.unit
    lines = analysis.lines()
    symbols = []
    for statement in unit.ast.statements if unit else ():
        described = _statement_symbol(statement)
        if described is None:
            continue
        name, detail, selection = described
        children = None
        if isinstance(statement, ast.CategoryDef):
            children = [types.DocumentSymbol(name=r.name, detail="contact reason", kind=types.SymbolKind.EnumMember,
                                             range=lines.span_range(r.span), selection_range=lines.span_range(r.span))
                        for r in (*statement.reasons, *statement.aliases)]
        symbols.append(types.DocumentSymbol(
            name=name, detail=detail, kind=_SYMBOL_KINDS[type(statement)], range=lines.span_range(statement.span),
            selection_range=lines.span_range(selection.span), children=children))
    return symbols


MAX_WORKSPACE_FILES = 500
MAX_WORKSPACE_FOLDERS = 2000
_DISK_PARSES: dict[str, tuple[float, ast.Policy]] = {}


def _parse_file(path: Path) -> ast.Policy | None:
    """The AST of a policy file on disk, reused while its modification time is unchanged."""
    try:
        mtime = path.stat().st_mtime
        cached = _DISK_PARSES.get(str(path))
        if cached is None or cached[0] != mtime:
            cached = _DISK_PARSES[str(path)] = (mtime, parse_source(read_source(path))[0])
        return cached[1]
    except (OSError, UnicodeDecodeError):
        return None


def _policy_files(root: str | None) -> list[Path]:
    """The `.bsm` files below the workspace folder, skipping hidden folders and node_modules;
    bounded, so that a workspace opened at the file-system root does not stall the server."""
    if not root:
        return []
    found: list[Path] = []
    for visited, (folder, subfolders, names) in enumerate(os.walk(root)):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "node_modules")
        found.extend(Path(folder) / name for name in sorted(names) if name.endswith(".bsm"))
        if len(found) >= MAX_WORKSPACE_FILES or visited >= MAX_WORKSPACE_FOLDERS:
            break
    return found[:MAX_WORKSPACE_FILES]


async def _workspace_policies(session: Session) -> dict[str, tuple[str, ast.Policy, LineIndex]]:
    """Every policy of the workspace by path: open documents and what they include (as the
    editor has them), then the `.bsm` files of the workspace folder."""
    found: dict[str, tuple[str, ast.Policy, LineIndex]] = {}
    for uri in session.open_documents():
        analysis = await session.analysis(uri)
        for unit in analysis.checked.units:
            found.setdefault(unit.path, (uri_of(unit.path, analysis), unit.ast, analysis.lines(unit.path)))
    files = await session.in_worker(_policy_files, session.root_path)
    for file in files:
        path = str(file.resolve())
        if path in found:
            continue
        policy = await session.in_worker(_parse_file, file)
        if policy is not None:
            found[path] = (file.as_uri(), policy, LineIndex(policy.span.source, session.codec))
    return found


async def workspace_symbols(session: Session, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
    query = params.query.casefold()
    result = []
    for uri, policy, lines in (await _workspace_policies(session)).values():
        for statement in policy.statements:
            described = _statement_symbol(statement)
            if described is None or isinstance(statement, (ast.Include, ast.OverrideDef, ast.DisableDef)):
                continue
            name, detail, selection = described
            if query in name.casefold():
                result.append(types.SymbolInformation(
                    name=name, kind=_SYMBOL_KINDS[type(statement)], container_name=detail,
                    location=types.Location(uri=uri, range=lines.span_range(selection.span))))
    return result


# -- formatting -----------------------------------------------------------------------------------

def _parsed(analysis: Analysis) -> ast.Policy | None:
    """The document parsed as `bsm fmt` parses it, or None when it has syntax errors (which
    `bsm fmt` refuses to format)."""
    policy, syntax = parse_source(SourceFile(analysis.path, analysis.text))
    return None if syntax else policy


def formatting(analysis: Analysis, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    policy = _parsed(analysis)
    if policy is None:
        return None
    formatted = format_policy(policy)
    if formatted == analysis.text:
        return []
    return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=analysis.lines().end),
                           new_text=formatted)]


def range_formatting(analysis: Analysis, params: types.DocumentRangeFormattingParams) -> list[types.TextEdit] | None:
    """The statements the range touches, formatted as `bsm fmt` formats them."""
    policy = _parsed(analysis)
    if policy is None:
        return None
    lines = analysis.lines()
    region = format_statements(policy, lines.offset(params.range.start), lines.offset(params.range.end))
    if region is None:
        return []
    start, end, text = region
    return [] if analysis.text[start:end] == text else [types.TextEdit(range=lines.range(start, end), new_text=text)]


# -- semantic tokens and folding ------------------------------------------------------------------

def semantic_tokens_full(analysis: Analysis, params: types.SemanticTokensParams) -> types.SemanticTokens:
    return types.SemanticTokens(data=semantic_tokens(analysis))


def folding_ranges(analysis: Analysis, params: types.FoldingRangeParams) -> list[types.FoldingRange]:
    unit = analysis.unit
    ranges = []
    for statement in unit.ast.statements if unit else ():
        start = statement.span
        first = min([start.start] + [a.span.start for a in getattr(statement, "annotations", ())])
        first_line, last_line = start.source.line_col(first)[0] - 1, start.end_line - 1
        if last_line > first_line:
            ranges.append(types.FoldingRange(start_line=first_line, end_line=last_line,
                                             kind=types.FoldingRangeKind.Region))
    comment_lines = sorted({c.span.line - 1 for c in unit.ast.comments
                            if not c.span.source.line_text(c.span.line)[: c.span.column - 1].strip()} if unit else ())
    block: list[int] = []
    for line in [*comment_lines, None]:
        if line is not None and block and line == block[-1] + 1:
            block.append(line)
            continue
        if len(block) > 1:
            ranges.append(types.FoldingRange(start_line=block[0], end_line=block[-1],
                                             kind=types.FoldingRangeKind.Comment))
        block = [line] if line is not None else []
    return ranges


# -- code actions ---------------------------------------------------------------------------------

def code_actions(analysis: Analysis, params: types.CodeActionParams) -> list[types.CodeAction]:
    lines = analysis.lines()
    first, last = lines.offset(params.range.start), lines.offset(params.range.end)
    actions = []
    for diagnostic in analysis.own_diagnostics():
        span = diagnostic.span
        if span.end < first or span.start > last:
            continue
        lsp_diagnostic = to_lsp(diagnostic, analysis)
        for fix in diagnostic.fixes:
            edit = types.TextEdit(range=analysis.lines(fix.span.source.name).span_range(fix.span),
                                  new_text=fix.replacement)
            actions.append(types.CodeAction(
                title=fix.title.replace("did you mean", "change to").rstrip("?") if fix.title.startswith("did you mean")
                else fix.title,
                kind=types.CodeActionKind.QuickFix, diagnostics=[lsp_diagnostic], is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri_of(fix.span.source.name, analysis): [edit]})))
        if diagnostic.code.startswith("BSM5"):
            actions.append(_silence_action(analysis, diagnostic, lsp_diagnostic))
    return actions


def _silence_action(analysis: Analysis, diagnostic, lsp_diagnostic) -> types.CodeAction:
    """Insert `# bsm-allow: CODE` on its own line above the finding (it applies to the next line)."""
    line = diagnostic.span.line
    line_text = diagnostic.span.source.line_text(line)
    indent = line_text[: len(line_text) - len(line_text.lstrip())]
    position = types.Position(line=line - 1, character=0)
    edit = types.TextEdit(range=types.Range(start=position, end=position),
                          new_text=f"{indent}# bsm-allow: {diagnostic.code}\n")
    return types.CodeAction(
        title=f"Silence {diagnostic.code} on this line", kind=types.CodeActionKind.QuickFix,
        diagnostics=[lsp_diagnostic], edit=types.WorkspaceEdit(changes={analysis.uri: [edit]}))


# -- code lens: the policy on the workspace's sample messages ------------------------------------

async def _sample_run(session: Session, analysis: Analysis) -> SampleRun:
    glob = session.samples_glob
    if analysis.sample_run is not None and analysis.sample_run[0] == glob:
        return analysis.sample_run[1]

    def evaluate() -> SampleRun:
        return evaluate_samples(analysis.checked, sample_files(session.root_path, glob))

    run = await session.in_worker(evaluate)
    analysis.sample_run = (glob, run)
    return run


def _test_file(session: Session, analysis: Analysis) -> SourceFile | None:
    """`NAME.test.bsm` beside the policy, as open in the editor, else as saved."""
    if analysis.path.startswith("<") or analysis.path.endswith(".test.bsm"):
        return None
    path = str(Path(analysis.path).with_suffix(".test.bsm"))
    text = session.overlay().get(path)
    try:
        return SourceFile(path, text) if text is not None else read_source(path)
    except (OSError, UnicodeDecodeError):
        return None


def _example_cases(session: Session, analysis: Analysis) -> list[ExampleCase]:
    """The example cases that test this policy: its own, and those of its test file (expanded
    again only when that file's text changes)."""
    test_file = _test_file(session, analysis)
    test_text = test_file.text if test_file is not None else None
    if analysis.example_cases is not None and analysis.example_cases[0] == test_text:
        return analysis.example_cases[1]
    statements = list(analysis.unit.ast.statements) if analysis.unit else []
    if test_file is not None:
        statements += parse_source(test_file)[0].statements
    cases = [case for statement in statements if isinstance(statement, ast.ExampleDef)
             for case in expand_example(statement)[0]]
    analysis.example_cases = (test_text, cases)
    return cases


def _rule_lens_title(run: SampleRun, rule_id: str, disabled: bool, cases: list[ExampleCase]) -> str:
    count = sum(1 for case in cases if rule_id in case.fires or rule_id in case.not_fires)
    examples = f"{count} example{'' if count == 1 else 's'}"
    if run.problem:
        return f"{examples} · evaluate on samples"
    if disabled:
        return f"{examples} · disabled · {run.total} samples"
    flagged = len(run.fired.get(rule_id, []))
    return f"{examples} · {flagged} of {run.total} samples flagged · evaluate on samples"


async def code_lenses(session: Session, params: types.CodeLensParams) -> list[types.CodeLens]:
    analysis = await session.analysis(params.text_document.uri)
    unit = analysis.unit
    lines = analysis.lines()
    run = await _sample_run(session, analysis)
    cases = _example_cases(session, analysis)
    lenses = []
    for statement in unit.ast.statements if unit else ():
        if isinstance(statement, ast.PolicyHeader):
            lenses.append(types.CodeLens(range=lines.span_range(statement.name.span), command=types.Command(
                title=run.summary(), command=EVALUATE_COMMAND, arguments=[analysis.uri])))
        elif isinstance(statement, ast.RuleDef):
            rule = analysis.checked.rule(statement.id.name)
            disabled = bool(rule and rule.disabled)
            lenses.append(types.CodeLens(range=lines.span_range(statement.id.span), command=types.Command(
                title=_rule_lens_title(run, statement.id.name, disabled, cases), command=EVALUATE_COMMAND,
                arguments=[analysis.uri, statement.id.name])))
    return lenses


async def evaluate_command(session: Session, uri: str, rule_id: str | None = None) -> dict:
    """Evaluate the policy on the samples; returns (and shows) the verdict counts."""
    analysis = await session.analysis(uri)
    run = await _sample_run(session, analysis)
    result = {"total": run.total, "verdicts": run.verdicts, "problem": run.problem}
    text = run.summary()
    if rule_id is not None:
        flagged = run.fired.get(rule_id, [])
        result["rule"] = rule_id
        result["flagged"] = flagged
        if not run.problem:
            text = f"{rule_id}: {len(flagged)} of {run.total} samples flagged" + (
                f" ({', '.join(flagged[:10])}{', …' if len(flagged) > 10 else ''})" if flagged else "")
    session.show_message(text)
    return result

