"""Every request gets exactly one response, whatever its params: InvalidParams (-32602) for params
that do not fit the method's schema, no result for a document that is neither open nor readable,
and never a traceback in the server's log. Driven over a raw stdio connection, since an LSP client
library would refuse to send most of these requests."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_jsonrpc import RawServer

INVALID_PARAMS = -32602
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002
EMPTY = "an empty result"
RESULT = "a result"

TEXT = 'policy "p"\n\nrule no-x error {\n    forbid subject contains "x"\n}\n'  # formatting changes it
OPTIONS = {"tabSize": 2, "insertSpaces": True}
POSITION = {"line": 2, "character": 6}  # on the rule id
WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}}


def _valid_params(uri: str) -> dict[str, dict]:
    """Params that fit each method, about the document at `uri`."""
    document = {"uri": uri}
    at = {"textDocument": document, "position": POSITION}
    return {
        "textDocument/hover": at,
        "textDocument/completion": at,
        "textDocument/definition": at,
        "textDocument/references": {**at, "context": {"includeDeclaration": True}},
        "textDocument/rename": {**at, "newName": "no-y"},
        "textDocument/formatting": {"textDocument": document, "options": OPTIONS},
        "textDocument/rangeFormatting": {"textDocument": document, "range": WHOLE, "options": OPTIONS},
        "textDocument/semanticTokens/full": {"textDocument": document},
        "textDocument/codeLens": {"textDocument": document},
        "textDocument/documentSymbol": {"textDocument": document},
        "workspace/symbol": {"query": "no"},
    }


def _without(params: dict, key: str) -> dict:
    return {name: value for name, value in params.items() if name != key}


def _cases(uri: str, unreadable: dict[str, str]) -> list[tuple[str, str, Any, str | int]]:
    """(what, method, params, expected answer) for every method: the valid params, then each way
    of breaking them, then the valid params about documents the server cannot read."""
    cases: list[tuple[str, str, Any, str | int]] = []
    for method, params in _valid_params(uri).items():
        cases.append(("valid params", method, params, RESULT))
        cases += [("params null", method, None, INVALID_PARAMS), ("params {}", method, {}, INVALID_PARAMS),
                  ("params []", method, [], INVALID_PARAMS), ("params a string", method, "x", INVALID_PARAMS)]
        cases += [(f"no {key}", method, _without(params, key), INVALID_PARAMS) for key in params]
        if "textDocument" in params:
            cases.append(("textDocument without uri", method, {**params, "textDocument": {}}, INVALID_PARAMS))
            cases.append(("uri a list", method, {**params, "textDocument": {"uri": []}}, INVALID_PARAMS))
        if "position" in params:
            for what, position in [("line -1", {"line": -1, "character": 0}),
                                   ("line 2**31", {"line": 2**31, "character": 0}),
                                   ("character -1", {"line": 0, "character": -1}),
                                   ("line a string", {"line": "one", "character": 0}),
                                   ("position without line", {"character": 0})]:
                cases.append((what, method, {**params, "position": position}, INVALID_PARAMS))
        if "options" in params:
            cases.append(("options {}", method, {**params, "options": {}}, INVALID_PARAMS))
        if "range" in params:
            cases.append(("range without end", method, {**params, "range": {"start": WHOLE["start"]}},
                          INVALID_PARAMS))
        if "context" in params:
            cases.append(("context {}", method, {**params, "context": {}}, INVALID_PARAMS))
        if "textDocument" in params:
            for what, other in unreadable.items():
                cases.append((what, method, {**params, "textDocument": {"uri": other}}, EMPTY))
    return cases


def _answer(response: dict) -> str | int:
    if "error" in response:
        return response["error"]["code"]
    return EMPTY if response.get("result") in (None, []) else RESULT


def _open(server: RawServer, uri: str) -> None:
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "bsm", "version": 1, "text": TEXT}})


def test_every_malformed_request_gets_one_response_with_the_right_answer(tmp_path):
    uri = (tmp_path / "p.bsm").as_uri()
    (tmp_path / "folder.bsm").mkdir()
    unreadable = {"a document never opened and not on disk": (tmp_path / "missing.bsm").as_uri(),
                  "a NUL in the URI": (tmp_path / "a\0b.bsm").as_uri().replace("%00", "\0"),
                  "an escaped NUL in the URI": (tmp_path / "a%00b.bsm").as_uri().replace("%2500", "%00"),
                  "a folder": (tmp_path / "folder.bsm").as_uri()}
    cases = _cases(uri, unreadable)
    server = RawServer()
    try:
        server.initialize(tmp_path.as_uri())
        _open(server, uri)
        for id, (_, method, params, _) in enumerate(cases, start=1):
            server.send({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        responses = server.responses(list(range(1, len(cases) + 1)))
        stderr = server.stop()
    finally:
        server.kill()
    wrong = [f"{method} with {what}: expected {expected}, got {responses[id]}"
             for id, (what, method, _, expected) in enumerate(cases, start=1) if _answer(responses[id]) != expected]
    assert not wrong, "\n".join(wrong)
    assert all(len(server.received[id]) == 1 for id in responses)
    for id, (_, method, _, expected) in enumerate(cases, start=1):
        if expected == INVALID_PARAMS:
            assert responses[id]["error"]["message"].startswith(f"Invalid Params for {method}: params")
    assert "Traceback" not in stderr
    assert len(cases) > 150


def test_the_error_names_what_does_not_fit_in_the_names_the_client_sent(tmp_path):
    server = RawServer()
    try:
        server.initialize(tmp_path.as_uri())
        uri = (tmp_path / "p.bsm").as_uri()
        server.request(1, "textDocument/references", {"textDocument": {"uri": uri},
                                                      "position": {"line": -1, "character": 0}})
        server.request(2, "textDocument/formatting", {"textDocument": {"uri": uri}})
        responses = server.responses([1, 2])
    finally:
        server.kill()
    assert responses[1]["error"]["message"] == (
        "Invalid Params for textDocument/references: params.context: required field missing; "
        "params.position: Position.line should be in range [0:2147483647], but was -1.")
    assert responses[2]["error"]["message"] == (
        "Invalid Params for textDocument/formatting: params.options: required field missing")


def test_requests_out_of_order_or_not_quite_requests_are_answered_too(tmp_path):
    server = RawServer()
    try:
        server.request(1, "textDocument/hover", {"textDocument": {"uri": "file:///p.bsm"}, "position": POSITION})
        assert server.responses([1])[1]["error"]["code"] == SERVER_NOT_INITIALIZED
        server.initialize(tmp_path.as_uri())
        server.send({"jsonrpc": "2.0", "id": [2], "method": "textDocument/hover", "params": {}})
        assert server.responses([None])[None]["error"]["code"] == INVALID_REQUEST
        server.request(3, "textDocument/didOpen", {})
        server.request(4, "$/bsm/unknown")
        server.request(5, "workspace/executeCommand", {"command": "bsm.evaluateSamples", "arguments": [3]})
        server.request(6, "workspace/executeCommand", {"command": "bsm.noSuchCommand"})
        responses = server.responses([3, 4, 5, 6])
        assert responses[3]["error"]["code"] == INVALID_REQUEST
        assert responses[3]["error"]["message"] == "Invalid Request: textDocument/didOpen is a notification, it takes no id"
        assert responses[4]["error"]["code"] == -32601  # MethodNotFound
        assert responses[5]["error"]["code"] == INVALID_PARAMS
        assert responses[6]["error"]["code"] == INVALID_PARAMS
        server.request(7, "shutdown")
        server.request(8, "textDocument/hover", {"textDocument": {"uri": "file:///p.bsm"}, "position": POSITION})
        responses = server.responses([7, 8])
        assert responses[7] == {"jsonrpc": "2.0", "id": 7, "result": None}
        assert responses[8]["error"]["code"] == INVALID_REQUEST
        server.notify("exit")
        assert server.process.wait(timeout=30) == 0
    finally:
        server.kill()


# -- any params at all --------------------------------------------------------------------------

_DELETE = object()
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6)


def _paths(value: Any, prefix: tuple = ()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))


def _replaced(params: dict, path: tuple, replacement: Any) -> Any:
    if not path:
        return replacement
    changed = copy.deepcopy(params)
    *parents, last = path
    target = changed
    for key in parents:
        target = target[key]
    if replacement is _DELETE:
        del target[last]
    else:
        target[last] = replacement
    return changed


@pytest.fixture(scope="module")
def raw_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    (folder / "p.bsm").write_text(TEXT, encoding="utf-8")
    server = RawServer()
    server.initialize(folder.as_uri())
    _open(server, (folder / "p.bsm").as_uri())
    server.valid = _valid_params((folder / "p.bsm").as_uri())
    yield server
    server.stop()
    server.kill()


_ids = itertools.count(1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_params_get_one_response_a_result_or_invalid_params(raw_server, data):
    method = data.draw(st.sampled_from(sorted(raw_server.valid)), label="method")
    params = raw_server.valid[method]
    path = data.draw(st.sampled_from(list(_paths(params))), label="path")
    replacement = data.draw(st.just(_DELETE) | _json, label="replacement")
    message = {"jsonrpc": "2.0", "id": next(_ids), "method": method}
    if not (replacement is _DELETE and not path):
        message["params"] = _replaced(params, path, replacement)
    raw_server.send(message)
    response = raw_server.responses([message["id"]])[message["id"]]
    assert "result" in response or response["error"]["code"] == INVALID_PARAMS, response
    assert "Traceback" not in raw_server.stderr_so_far()
