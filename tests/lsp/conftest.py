"""A pytest-lsp client driving the real `bsm lsp` server over stdio."""

from __future__ import annotations

import pytest_lsp
from lsp_session import SERVER_COMMAND, start
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    lsp_client.root = tmp_path
    yield
    await lsp_client.shutdown_session()


