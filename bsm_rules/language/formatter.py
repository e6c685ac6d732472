"""The canonical layout of policy text (`bsm fmt` and editor formatting); comments are kept
before the statement or clause they precede, or at the end of the line they end."""

from __future__ import annotations

import re

from ..core.source import Span
from . import ast

__all__ = ["FormatError", "format_expr", "format_policy", "format_statements", "quote_string"]

INDENT = "  "
MAX_WIDTH = 100


class FormatError(Exception):
    """The text has syntax errors; formatting needs a policy that parses."""


def quote_string(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{escaped}"'


def _regex(regex: ast.RegexLit) -> str:
    return "/" + regex.pattern.replace("/", "\\/") + "/" + regex.flags


# Binding strength: a child binding more loosely than its parent needs parentheses.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _POSTFIX = range(8)


def _precedence(expr) -> int:
    if isinstance(expr, ast.Logical):
        return _OR if expr.op == "or" else _AND
    if isinstance(expr, ast.Not):
        return _NOT
    if isinstance(expr, (ast.Compare, ast.TextOp, ast.MatchesOp, ast.Presence)):
        return _COMPARE
    if isinstance(expr, ast.Arith):
        return _SUM if expr.op in "+-" else _PRODUCT
    if isinstance(expr, ast.Negate):
        return _UNARY
    return _POSTFIX


def format_expr(expr) -> str:
    def wrap(child, minimum: int) -> str:
        text = format_expr(child)
        return f"({text})" if _precedence(child) < minimum else text

    if isinstance(expr, ast.NumberLit):
        return expr.text
    if isinstance(expr, ast.StringLit):
        return quote_string(expr.value)
    if isinstance(expr, ast.RegexLit):
        return _regex(expr)
    if isinstance(expr, ast.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.AttributeAccess):
        return f"{wrap(expr.target, _POSTFIX)}.{expr.name.name}"
    if isinstance(expr, ast.Call):
        return f"{expr.function.name}({', '.join(format_expr(a) for a in expr.args)})"
    if isinstance(expr, ast.ListLit):
        return "[" + ", ".join(format_expr(i) for i in expr.items) + "]"
    if isinstance(expr, ast.Quantifier):
        return (f"{expr.kind}({expr.variable.name} in {format_expr(expr.source)}: "
                f"{format_expr(expr.condition)})")
    if isinstance(expr, ast.Not):
        return f"not {wrap(expr.operand, _NOT)}"
    if isinstance(expr, ast.Negate):
        return f"-{wrap(expr.operand, _UNARY)}"
    if isinstance(expr, ast.Logical):
        level = _precedence(expr)
        return f"{wrap(expr.left, level)} {expr.op} {wrap(expr.right, level + 1)}"
    if isinstance(expr, ast.Arith):
        level = _precedence(expr)
        return f"{wrap(expr.left, level)} {expr.op} {wrap(expr.right, level + 1)}"
    if isinstance(expr, (ast.Compare, ast.TextOp)):
        return f"{wrap(expr.left, _SUM)} {expr.op} {wrap(expr.right, _SUM)}"
    if isinstance(expr, ast.MatchesOp):
        position = {"start": " at start", "end": " at end", "middle": " in middle", None: ""}[expr.position]
        return f"{wrap(expr.subject, _SUM)} matches {wrap(expr.pattern, _SUM)}{position}"
    if isinstance(expr, ast.Presence):
        return f"{wrap(expr.operand, _SUM)} is {'present' if expr.present else 'absent'}"
    raise TypeError(f"cannot format {type(expr).__name__}")


def _annotations(annotations) -> list[str]:
    return [f"@{a.name.name}(" + ", ".join(quote_string(arg.value) for arg in a.args) + ")" for a in annotations]


def _wrapped_list(prefix: str, items: list[str], suffix: str, indent: str) -> list[str]:
    """`prefix a, b, c suffix` on one line when it fits, else filled lines indented below."""
    one_line = prefix + ", ".join(items) + suffix
    if len(indent) + len(one_line) <= MAX_WIDTH or not items:
        return [indent + one_line]
    lines = [indent + prefix.rstrip()]
    current = indent + INDENT
    for item in items:
        piece = item + ","
        if current.strip() and len(current) + 1 + len(piece) > MAX_WIDTH:
            lines.append(current.rstrip())
            current = indent + INDENT
        current += ("" if not current.strip() else " ") + piece
    lines.append(current.rstrip())
    if suffix.strip():
        lines.append(indent + suffix.strip())
    return lines


def _filled(prefix: str, items: list[str], indent: str) -> list[str]:
    """`prefix a, b, c` filled to the width, continuation lines indented one level more."""
    lines: list[str] = []
    current = indent + prefix
    for index, item in enumerate(items):
        piece = item + ("," if index < len(items) - 1 else "")
        if current.strip() != prefix.strip() and len(current) + 1 + len(piece) > MAX_WIDTH:
            lines.append(current.rstrip())
            current = indent + INDENT * 2
        current += ("" if current.endswith(" ") or not current.strip() else " ") + piece
    lines.append(current.rstrip())
    return lines


class _Printer:
    def __init__(self, policy: ast.Policy):
        self.comments = sorted(policy.comments, key=lambda c: c.span.start)
        self.next_comment = 0
        self.lines: list[str] = []
        self.statement_lines: list[tuple[ast.Statement, int, int]] = []  # statement, first line, end line

    def leading(self, before: int, indent: str, keep_blank_lines: bool = True) -> None:
        """Emit comments that start before offset `before`, each followed by a blank line where the
        source has one before `before` (unless `keep_blank_lines` is false: the comments are then
        printed before text that did not follow them in the source)."""
        while self.next_comment < len(self.comments) and self.comments[self.next_comment].span.start < before:
            comment = self.comments[self.next_comment]
            self.lines.append(indent + comment.text.rstrip())
            self.next_comment += 1
            source = comment.span.source.text
            following = source[comment.span.end:before]
            if keep_blank_lines and following.count("\n") >= 2 and not following.strip() and before <= len(source):
                self.lines.append("")

    def trailing(self, span: Span) -> None:
        """Append a comment that follows `span` on its source line (after nothing but a comma) to the
        last line."""
        if self.next_comment >= len(self.comments):
            return
        comment = self.comments[self.next_comment]
        source = span.source.text
        line_end = source.find("\n", span.end)
        line_end = len(source) if line_end == -1 else line_end
        between = source[span.end:comment.span.start]
        if span.end <= comment.span.start < line_end + 1 and not between.strip(" \t,"):
            self.lines[-1] += "  " + comment.text.rstrip()
            self.next_comment += 1

    def has_comment_before(self, offset: int) -> bool:
        pending = self.next_comment < len(self.comments)
        return pending and self.comments[self.next_comment].span.start < offset

    def emit(self, lines: list[str], span: Span) -> None:
        self.lines.extend(lines)
        self.trailing(span)

    def annotations(self, statement) -> None:
        """Annotation lines, each keeping the comment at its end."""
        annotations = getattr(statement, "annotations", ())
        for annotation, line in zip(annotations, _annotations(annotations), strict=True):
            self.leading(annotation.span.start, "")
            self.emit([line], annotation.span)
        named = getattr(statement, "id", None) or getattr(statement, "name", None)
        if annotations and named is not None:
            # Comments between the annotations and the name are printed before the keyword.
            self.leading(named.span.start, "", keep_blank_lines=False)

    def open_block(self, line: str, after: int, span: Span, indent: str = "") -> None:
        """`line` ending in `{`, keeping a comment written after the `{` of the source."""
        brace = span.source.text.find("{", after)
        self.lines.append(indent + line)
        if brace != -1:
            self.trailing(Span(span.source, brace, brace + 1))

    def names(self, keyword: str, idents) -> None:
        """`reasons …` / `aliases …` of a category, with the comments around them."""
        if not idents:
            return
        self.leading(idents[0].span.start, INDENT)
        self.lines.extend(_filled(keyword + " ", [i.name for i in idents], INDENT))
        self.trailing(idents[-1].span)

    def commented_list(self, prefix: str, items, span: Span) -> None:
        """A string list holding comments: one item per line, each comment where it was."""
        self.lines.append(prefix)
        for item in items:
            self.leading(item.span.start, INDENT)
            self.emit([f"{INDENT}{quote_string(item.value)},"], item.span)
        self.leading(span.end, INDENT)
        self.emit(["]"], span)

    def statement(self, statement) -> None:
        self.annotations(statement)
        if isinstance(statement, ast.PolicyHeader):
            text = f"policy {quote_string(statement.name.value)}"
            if statement.version:
                text += f" version {quote_string(statement.version.value)}"
            if statement.effective:
                text += f" effective {quote_string(statement.effective.value)}"
            self.emit([text], statement.span)
        elif isinstance(statement, ast.Include):
            self.emit([f"include {quote_string(statement.path.value)}"], statement.span)
        elif isinstance(statement, ast.DisableDef):
            self.emit([f"disable {statement.rule.name}"], statement.span)
        elif isinstance(statement, ast.PatternDef):
            self.emit([f"pattern {statement.name.name} = {_regex(statement.regex)}"], statement.span)
        elif isinstance(statement, (ast.ListDef, ast.DomainsDef)):
            keyword = "list" if isinstance(statement, ast.ListDef) else "domains"
            prefix = f"{keyword} {statement.name.name} = ["
            if self.has_comment_before(statement.span.end):
                self.commented_list(prefix, statement.items, statement.span)
            else:
                items = [quote_string(i.value) for i in statement.items]
                self.emit(_wrapped_list(prefix, items, "]", ""), statement.span)
        elif isinstance(statement, ast.CategoryDef):
            self.open_block(f"category {statement.name.name} {{", statement.name.span.end, statement.span)
            self.names("reasons", statement.reasons)
            self.names("aliases", statement.aliases)
            self.leading(statement.span.end, INDENT)
            self.emit(["}"], statement.span)
        elif isinstance(statement, ast.OverrideDef):
            self.open_block(f"override {statement.rule.name} {{", statement.rule.span.end, statement.span)
            for entry in statement.entries:
                self.leading(entry.span.start, INDENT)
                if isinstance(entry, ast.SeverityOverride):
                    self.emit([f"{INDENT}severity {entry.severity.name}"], entry.span)
                else:
                    self.emit([f"{INDENT}message {quote_string(entry.template.value)}"], entry.span)
            self.leading(statement.span.end, INDENT)
            self.emit(["}"], statement.span)
        elif isinstance(statement, ast.RuleDef):
            self.open_block(f"rule {statement.id.name} {statement.severity.name} {{", statement.severity.span.end,
                            statement.span)
            for clause in statement.clauses:
                self.leading(clause.span.start, INDENT)
                self.emit([INDENT + line for line in _clause_lines(clause)], clause.span)
            self.leading(statement.span.end, INDENT)
            self.emit(["}"], statement.span)
        elif isinstance(statement, ast.ExampleDef):
            keyword = "examples" if statement.table else "example"
            self.open_block(f"{keyword} {quote_string(statement.name.value)} {{", statement.name.span.end,
                            statement.span)
            for example_entry in statement.entries:
                self.leading(example_entry.span.start, INDENT)
                self.emit(_example_entry(example_entry, INDENT), example_entry.span)
            self.leading(statement.span.end, INDENT)
            self.emit(["}"], statement.span)

    def policy(self, policy: ast.Policy) -> str:
        previous = None
        for statement in policy.statements:
            start = statement.span.start
            if previous is not None and _blank_line_between(previous, statement):
                self.lines.append("")
            self.leading(start, "")
            first_line = len(self.lines)
            self.statement(statement)
            self.statement_lines.append((statement, first_line, len(self.lines)))
            previous = statement
        if self.next_comment < len(self.comments) and self.lines:
            self.lines.append("")
        self.leading(len(policy.span.source.text) + 1, "")
        text = _single_blank_lines("\n".join(self.lines)).rstrip("\n")
        return text + "\n" if text else ""


def _single_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)


def _blank_line_between(previous, statement) -> bool:
    """One blank line between statements, except between consecutive one-line statements of the
    same kind (a run of includes, disables, patterns…) written without one."""
    simple = (ast.Include, ast.DisableDef, ast.PatternDef)
    if type(previous) is type(statement) and isinstance(statement, simple) and not getattr(statement, "annotations", ()):
        source = statement.span.source.text
        return "\n\n" in source[previous.span.end:statement.span.start].replace(" ", "").replace("\t", "")
    return True


def _clause_lines(clause) -> list[str]:
    """A clause on one line, or, when too long, its condition broken before each top-level
    `and` / `or` (continuation lines indented twice)."""
    text = _clause(clause)
    condition = getattr(clause, "condition", None)
    if len(INDENT + text) <= MAX_WIDTH or not isinstance(condition, ast.Logical):
        return [text]
    operands = [condition.right]
    left = condition.left
    while isinstance(left, ast.Logical) and left.op == condition.op:
        operands.append(left.right)
        left = left.left
    operands.append(left)
    operands.reverse()
    level = _precedence(condition)
    parts = [_operand(operand, level if index == 0 else level + 1) for index, operand in enumerate(operands)]
    prefix = text[: len(text) - len(format_expr(condition))]
    return [prefix + parts[0]] + [f"{INDENT * 2}{condition.op} {part}" for part in parts[1:]]


def _operand(expr, minimum: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def _clause(clause) -> str:
    if isinstance(clause, ast.MessageClause):
        return f"message {quote_string(clause.template.value)}"
    if isinstance(clause, ast.WhenClause):
        return f"when {format_expr(clause.condition)}"
    if isinstance(clause, ast.RequireClause):
        return f"require {format_expr(clause.condition)}"
    if isinstance(clause, ast.ForbidClause):
        return f"forbid {format_expr(clause.condition)}"
    if isinstance(clause, ast.SeverityClause):
        return f"severity {clause.severity.name} when {format_expr(clause.condition)}"
    if isinstance(clause, ast.NoteClause):
        return f"note {quote_string(clause.template.value)} when {format_expr(clause.condition)}"
    raise TypeError(type(clause).__name__)


_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def format_value(value) -> str:
    """An example value (object, list, string, number, boolean) on one line."""
    if isinstance(value, ast.ObjectLit):
        if not value.entries:
            return "{}"
        return "{ " + ", ".join(_object_entry(e) for e in value.entries) + " }"
    if isinstance(value, ast.ListLit):
        return "[" + ", ".join(format_value(item) for item in value.items) + "]"
    return format_expr(value)


def _object_entry(entry: ast.ObjectEntry) -> str:
    return _key_prefix(entry) + format_value(entry.value)


def _key_prefix(entry: ast.ObjectEntry) -> str:
    key = entry.key.name
    return (key if _BARE_KEY.fullmatch(key) else quote_string(key)) + ": "


def _block_value(prefix: str, value, indent: str) -> list[str]:
    """`prefix value` on one line when it fits, else an object or list with one item per line."""
    one_line = indent + prefix + format_value(value)
    if len(one_line) <= MAX_WIDTH or not isinstance(value, (ast.ObjectLit, ast.ListLit)):
        return [one_line]
    if isinstance(value, ast.ObjectLit):
        return _one_per_line(prefix + "{", [(_key_prefix(e), e.value) for e in value.entries], "}", indent)
    return _one_per_line(prefix + "[", [("", item) for item in value.items], "]", indent)


def _one_per_line(opening: str, items, closing: str, indent: str) -> list[str]:
    """`opening`, then each `(prefix, value)` of `items` one level deeper and ending in a comma,
    then `closing`."""
    lines = [indent + opening]
    for prefix, value in items:
        nested = _block_value(prefix, value, indent + INDENT)
        lines.extend([*nested[:-1], nested[-1] + ","])
    return [*lines, indent + closing]


def _example_entry(entry, indent: str) -> list[str]:
    if isinstance(entry, ast.ExampleMessage):
        prefix = "message " + (f"from {quote_string(entry.source.value)} " if entry.source else "")
        if entry.fields is None:
            return [indent + prefix.rstrip()]
        return _block_value(prefix, entry.fields, indent)
    if isinstance(entry, ast.ExampleContext):
        return _block_value("context ", entry.fields, indent)
    if isinstance(entry, ast.ExampleExpect):
        return [f"{indent}expect {entry.verdict.name}"]
    if isinstance(entry, ast.ExampleFires):
        keyword = "not fires " if entry.negated else "fires "
        return _filled(keyword, [rule.name for rule in entry.rules], indent)
    if isinstance(entry, ast.ExampleRows):
        return _one_per_line("for each row in [", [("", row) for row in entry.rows], "]", indent)
    raise TypeError(type(entry).__name__)


def format_policy(policy: ast.Policy) -> str:
    """The canonical text of a parsed policy."""
    return _Printer(policy).policy(policy)


def format_statements(policy: ast.Policy, start: int, end: int) -> tuple[int, int, str] | None:
    """Format only the statements overlapping offsets `start`..`end` (editor range formatting):
    `(region_start, region_end, text)` to put in place of the source from the first such statement
    to the end of the last (with a comment ending its last line); None when none overlaps."""
    printer = _Printer(policy)
    printer.policy(policy)
    chosen = [(s, first, last) for s, first, last in printer.statement_lines
              if s.span.start < max(end, start + 1) and s.span.end > start]
    if not chosen:
        return None
    source = policy.span.source.text
    region_start = chosen[0][0].span.start
    region_end = chosen[-1][0].span.end
    line_end = source.find("\n", region_end)
    line_end = len(source) if line_end == -1 else line_end
    if source[region_end:line_end].strip().startswith("#"):
        region_end = line_end
    return region_start, region_end, _single_blank_lines("\n".join(printer.lines[chosen[0][1] : chosen[-1][2]]))
