"""Helpers for the language-server tests: starting a session, opening and editing documents,
waiting for diagnostics."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER_COMMAND = [sys.executable, "-c", "import sys; from bsm_rules.cli import main; sys.exit(main(['lsp']))"]


async def start(lsp_client: LanguageClient, root, options: dict | None = None):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="policies")],
        initialization_options={"debounceMs": 10, **(options or {})},
    ))


async def wait_for_diagnostics(client: LanguageClient, uri: str, version: int | None = None,
                               timeout: float = 15.0) -> list[types.Diagnostic]:
    """Wait until the server has published diagnostics for `uri` (for `version`, when given)."""
    async def published():
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and (version is None or params.version == version):
                return params.diagnostics
    return await asyncio.wait_for(published(), timeout)


def open_document(client: LanguageClient, path, text: str, version: int = 1) -> str:
    path.write_text(text, encoding="utf-8") if not path.exists() else None
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
