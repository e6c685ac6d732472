"""`bsm lsp --tcp HOST:PORT`: the same server, listening on a TCP port (for debugging), for one
client; it exits without a traceback, and an address it cannot listen on is a one-line error."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsp_session import position
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from raw_jsonrpc import frame

from bsm_rules.cli import main


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


def _start(address: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bsm_rules", "lsp", "--tcp", address],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)


def _finish(server: subprocess.Popen) -> tuple[int, str]:
    """The server's exit status and stderr once it has exited by itself (killed after 30 s)."""
    try:
        _, stderr = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        _, stderr = server.communicate()
        return -1, stderr
    return server.returncode, stderr


def test_the_server_answers_over_tcp_and_exits_quietly_after_shutdown_and_exit(tmp_path):
    port = _free_port()
    server = _start(f"127.0.0.1:{port}")
    try:
        initialized, hover = asyncio.run(asyncio.wait_for(_session(port, server, tmp_path), 60))
    finally:
        status, stderr = _finish(server)
    assert initialized.server_info.name == "bsm"
    assert initialized.capabilities.hover_provider
    assert hover.range == types.Range(start=position(1, 9), end=position(1, 16))
    assert hover.contents.value.startswith("**field** `subject`: text")
    assert (status, stderr) == (0, "")


def test_a_client_that_goes_away_without_exit_ends_the_server_quietly_with_status_1(tmp_path):
    port = _free_port()
    server = _start(f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with connection:
            connection.sendall(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                      "params": {"processId": None, "rootUri": None, "capabilities": {}}}))
            answer = b""
            while b'"id": 1' not in answer and b'"id":1' not in answer:
                answer += connection.recv(65536)
    finally:
        status, stderr = _finish(server)
    assert (status, stderr) == (1, "")


@pytest.mark.parametrize("address", ["127.0.0.1:99999", "127.0.0.1:0", ":65536", "[::1]:123456"])
def test_a_port_out_of_range_is_a_usage_error_naming_it_and_the_range(address):
    status, stderr = _finish(_start(address))
    assert (status, stderr) == (2, f"--tcp {address}: the port must be from 1 to 65535\n")


@pytest.mark.parametrize("address", ["127.0.0.1:http", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:٣"])
def test_an_address_without_a_port_number_is_a_usage_error(address):
    status, stderr = _finish(_start(address))
    assert (status, stderr) == (2, f"--tcp expects HOST:PORT, got {address!r}\n")


def test_a_port_in_use_is_a_one_line_error_naming_the_address():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, stderr = _finish(_start(f"127.0.0.1:{port}"))
    assert (status, stderr) == (2, f"bsm lsp: cannot listen on 127.0.0.1:{port}: {os.strerror(errno.EADDRINUSE)}\n")


@given(port=st.integers(max_value=0) | st.integers(min_value=65536))
def test_every_port_outside_the_range_is_refused_before_the_server_starts(port):
    err = io.StringIO()
    assert main(["lsp", "--tcp", f"127.0.0.1:{port}"], out=io.StringIO(), err=err) == 2
    expected = (f"--tcp 127.0.0.1:{port}: the port must be from 1 to 65535\n" if port >= 0
                else f"--tcp expects HOST:PORT, got '127.0.0.1:{port}'\n")
    assert err.getvalue() == expected
