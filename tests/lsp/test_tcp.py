"""`bsm lsp --tcp HOST:PORT`: the same server, listening on a TCP port (for debugging)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp_session import position


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _connect(client: LanguageClient, port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            await client.start_tcp("127.0.0.1", port)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _session(port: int, server: subprocess.Popen, folder) -> tuple[types.InitializeResult, types.Hover]:
    client = LanguageClient("bsm-tcp-test", "1")
    await _connect(client, port, server)
    try:
        initialized = await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=folder.as_uri()))
        client.initialized(types.InitializedParams())
        uri = (folder / "p.bsm").as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="bsm", version=1, text='rule r error {\n  forbid subject contains "x"\n}\n')))
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position(1, 10)))
        await client.shutdown_async(None)
        client.exit(None)
        return initialized, hover
    finally:
        await client.stop()


def test_the_server_answers_over_tcp(tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bsm_rules.cli", "lsp", "--tcp", f"127.0.0.1:{port}"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        initialized, hover = asyncio.run(asyncio.wait_for(_session(port, server, tmp_path), 60))
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.communicate()
    assert initialized.server_info.name == "bsm"
    assert initialized.capabilities.hover_provider
    assert hover.range == types.Range(start=position(1, 9), end=position(1, 16))
    assert hover.contents.value.startswith("**field** `subject`: text")
