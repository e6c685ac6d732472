"""A pytest-lsp client driving the real `bsm lsp` server over stdio, one server per test module
(each test opens its own documents under its own tmp_path)."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsp_session import SERVER_COMMAND, record_diagnostics, start
from pytest_lsp import ClientServerConfig, LanguageClient

SAMPLES = [
    {"id": "ok", "contact_reason": "coupon", "subject": "Your coupon", "body": "Hello, when may we deliver?"},
    {"id": "review", "subject": "Thanks", "body": "Please leave a review for us."},
    {"id": "gift", "subject": "Thanks", "body": "Please leave a review and get a gift card."},
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The workspace folder, with sample messages for the code lenses."""
    import json

    root = tmp_path_factory.mktemp("workspace")
    (root / "samples").mkdir()
    (root / "samples" / "messages.jsonl").write_text(
        "".join(json.dumps(m) + "\n" for m in SAMPLES), encoding="utf-8")
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND), scope="module")
async def client(lsp_client: LanguageClient, workspace):
    record_diagnostics(lsp_client)
    await start(lsp_client, workspace, {"samples": "samples/*.jsonl"})
    yield
    await lsp_client.shutdown_session()
