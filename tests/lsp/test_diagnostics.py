"""Diagnostics pushed by the language server: the same findings as `bsm lint`, with exact
ranges in UTF-16 units, after incremental edits, across includes, and never stale."""

from __future__ import annotations

from lsprotocol import types

from lsp_session import change_document, open_document, span, wait_for_diagnostics

BROKEN = '''policy "shop"

rule no-links error {
  message "no links"
  forbid text matches linkz
}
'''


async def test_unknown_name_is_reported_at_its_range(client):
    uri = open_document(client, client.root / "shop.bsm", BROKEN)
    diagnostics = await wait_for_diagnostics(client, uri)
    assert [(d.code, d.range, d.severity, d.source) for d in diagnostics] == [
        ("BSM201", span(4, 22, 4, 27), types.DiagnosticSeverity.Error, "bsm"),
    ]
    assert diagnostics[0].message == "unknown name `linkz`"
