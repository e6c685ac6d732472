"""Positions in the encoding the client and server agree on: UTF-8 units for a client that asks
for them (the emoji before the error counts as four units, the é as two)."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from lsp_session import SERVER_COMMAND, open_document, position, record_diagnostics, span, wait_for_diagnostics
from pytest_lsp import ClientServerConfig, LanguageClient

TEXT = 'rule r error {\n  forbid subject == "é😀" and text matches linkz\n}\n'


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def utf8_client(lsp_client: LanguageClient, tmp_path):
    record_diagnostics(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf8])),
        root_uri=tmp_path.as_uri(), initialization_options={"debounceMs": 10}))
    yield
    await lsp_client.shutdown_session()


async def test_utf8_client_gets_utf8_columns(utf8_client, tmp_path):
    uri = open_document(utf8_client, tmp_path / "utf8.bsm", TEXT)
    diagnostics = await wait_for_diagnostics(utf8_client, uri, version=1)
    # `  forbid subject == "é😀" and text matches ` is 42 code points but 46 UTF-8 bytes.
    assert [(d.code, d.range) for d in diagnostics] == [("BSM201", span(1, 46, 1, 51))]
    hover = await utf8_client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(1, 35)))
    assert hover.range == span(1, 33, 1, 37)  # the field `text`: code points 29-33, bytes 33-37
    assert hover.contents.value.startswith("**field** `text`")
