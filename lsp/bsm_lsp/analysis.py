"""One document's analysis: the policy checked by the `bsm lint` pipeline (open documents as an
overlay), its symbol index, and the position maps of every file it reads."""

from __future__ import annotations

import logging
from pathlib import Path

from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec

from bsm_rules.core import Diagnostic, Severity, SourceFile
from bsm_rules.language import CheckedPolicy, ExampleCase, PolicyUnit, ast, check_source

from .evaluation import SampleRun
from .incremental import ParseCache
from .index import SymbolIndex, build_index
from .positions import LineIndex

__all__ = ["Analysis", "analyze", "document_path"]

log = logging.getLogger(__name__)

_PARSES = ParseCache()


def document_path(uri: str) -> str:
    """The name a document is checked under: its resolved file path, or the URI itself in angle
    brackets for documents that are not files (`untitled:`), which the core treats as unnamed."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    try:
        return str(Path(path).resolve()) if path else f"<{uri}>"
    except ValueError:  # a NUL in the name: no file can have it
        return f"<{uri}>"


class Analysis:
    """The result of checking one version of a document."""

    def __init__(self, uri: str, version: int | None, text: str, checked: CheckedPolicy,
                 codec: PositionCodec):
        self.uri = uri
        self.version = version
        self.text = text
        self.path = document_path(uri)
        self.checked = checked
        self.codec = codec
        self.index: SymbolIndex = build_index(checked)
        self._lines: dict[str, LineIndex] = {}
        # Filled by the code lenses on first use: the run on the samples with the glob it used,
        # and the example cases with the text of the test file beside the policy they read.
        self.sample_run: tuple[str | None, SampleRun] | None = None
        self.example_cases: tuple[str | None, list[ExampleCase]] | None = None

    @property
    def unit(self) -> PolicyUnit | None:
        """The document's own parsed unit (the checker puts it last)."""
        for unit in reversed(self.checked.units):
            if unit.path == self.path:
                return unit
        return None

    @property
    def dependencies(self) -> dict[str, str]:
        """Text of every other file this analysis read, by resolved path."""
        return {unit.path: unit.ast.span.source.text for unit in self.checked.units if unit.path != self.path}

    def lines(self, path: str | None = None) -> LineIndex:
        """The position map of the document (or of an included file by path)."""
        path = path or self.path
        if path not in self._lines:
            source = next((unit.ast.span.source for unit in self.checked.units if unit.path == path), None)
            if source is None:
                source = SourceFile(path, self.text if path == self.path else "")
            self._lines[path] = LineIndex(source, self.codec)
        return self._lines[path]

    def own_diagnostics(self) -> list[Diagnostic]:
        return [d for d in self.checked.diagnostics if d.span.source.name == self.path]


def analyze(uri: str, version: int | None, text: str, overlay: dict[str, str],
            codec: PositionCodec) -> Analysis:
    """Check a document's text. A failure inside the core becomes one diagnostic, never an
    exception: the server keeps answering whatever the document holds."""
    source = SourceFile(document_path(uri), text)
    try:
        checked = check_source(source, overlay, parse=_PARSES.parse)
    except Exception:  # the core must not take the server down with it
        log.exception("checking %s failed:", uri)
        checked = _failed(source)
    return Analysis(uri, version, text, checked, codec)


def _failed(source: SourceFile) -> CheckedPolicy:
    policy = ast.Policy((), source.span(0, len(source.text)))
    problem = Diagnostic("BSM001", Severity.ERROR, "internal error while checking this policy; see the server log",
                         source.span(0, 0))
    return CheckedPolicy((PolicyUnit(policy, source.name, False),), None, {}, {}, {}, {}, {}, (), (problem,))
