"""Helpers for the language-server tests: starting a session, opening and editing documents,
waiting for diagnostics."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

SERVER_COMMAND = [sys.executable, "-c", "import sys; from bsm_rules.cli import main; sys.exit(main(['lsp']))"]


def record_diagnostics(client: LanguageClient) -> None:
    """Keep every publishDiagnostics notification in `client.published`, in arrival order, count
    the server's code lens refresh requests in `client.code_lens_refreshes`, and keep what the
    server registers in `client.registrations`."""
    client.published = []
    features = client.protocol.fm.features
    original = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def recording(params: types.PublishDiagnosticsParams):
        client.published.append(params)
        return original(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = recording
    client.code_lens_refreshes = 0
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        client.code_lens_refreshes += 1


async def start(lsp_client: LanguageClient, root, options: dict | None = None):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="policies")],
        initialization_options={"debounceMs": 10, **(options or {})},
    ))


async def wait_for_diagnostics(client: LanguageClient, uri: str, version: int | None = None,
                               after: int = 0, timeout: float = 15.0) -> list[types.Diagnostic]:
    """The first diagnostics published for `uri` (and `version`, when given) among the
    notifications from index `after` on, waiting for them if need be."""
    async def published():
        while True:
            for params in client.published[after:]:
                if params.uri == uri and (version is None or params.version == version):
                    return list(params.diagnostics)
            await asyncio.sleep(0.01)
    return await asyncio.wait_for(published(), timeout)


def open_document(client: LanguageClient, path, text: str, version: int = 1) -> str:
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="bsm", version=version, text=text)))
    return uri


def change_document(client: LanguageClient, uri: str, version: int, start: tuple[int, int],
                    end: tuple[int, int], text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text)],
    ))


def position(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def span(start_line: int, start_char: int, end_line: int, end_char: int) -> types.Range:
    return types.Range(start=position(start_line, start_char), end=position(end_line, end_char))
