"""The JSON-RPC edge of the server: every request gets exactly one response, and a message that does
not fit its method's schema is answered (a notification: ignored) with a log line, not a traceback."""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future
from typing import Any

import attrs
from cattrs import Converter, transform_error
from cattrs.v import format_exception
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol, default_converter
from pygls.protocol.json_rpc import MsgId

__all__ = ["BsmProtocol", "RejectedMessage", "strict_converter"]

log = logging.getLogger(__name__)

def strict_converter() -> Converter:
    """pygls' converter, except that a string, integer or boolean in a message must be one: cattrs
    would make `"uri": []` the string "[]", `"line": "1"` or `true` the line 1."""
    converter = default_converter()
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _exactly(kind))
    return converter


def _exactly(kind: type) -> Any:
    def structure(value: object, _: type) -> object:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value
    return structure


@attrs.frozen
class RejectedMessage:
    """A message the server will not run: its id (None for a notification, or when the id itself
    was unreadable), its method, and the error a request is answered with."""

    id: int | str | None
    method: str
    error: JsonRpcException
    is_request: bool


class BsmProtocol(LanguageServerProtocol):
    """pygls' language server protocol, except that every request gets exactly one response and
    no answer the server means to give is logged as a traceback.

    pygls structures each message (lsprotocol's cattrs converter) while the JSON is being decoded;
    when that fails it logs a traceback and drops the message, so a request with params that do
    not fit its method's schema never gets a response. Here such a message becomes a
    `RejectedMessage`, answered with InvalidParams (-32602). As the LSP specification asks, a
    request before `initialize` is answered with ServerNotInitialized and one after `shutdown`
    with InvalidRequest (pygls drops it).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False
        self.shutdown_received = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        # json.loads calls this for every object, innermost first: only the outermost has "jsonrpc".
        # Responses to the server's own requests keep pygls' handling.
        method = data.get("method")
        if "jsonrpc" not in data or "error" in data or not isinstance(method, str):
            return super().structure_message(data)
        is_request = "id" in data
        if is_request and not _is_message_id(data["id"]):
            return RejectedMessage(None, method, JsonRpcInvalidRequest(
                f"Invalid Request: the id of a {method} request must be an integer or a string"), True)
        message_type = self.get_message_type(method)
        if message_type is None:  # a method lsprotocol does not know: pygls' generic message, params optional
            message_type = JsonRPCRequestMessage if is_request else JsonRPCNotification
            data = {"params": None, **data}
        if is_request and "id" not in attrs.fields_dict(message_type):
            return RejectedMessage(data["id"], method, JsonRpcInvalidRequest(
                f"Invalid Request: {method} is a notification, it takes no id"), True)
        try:
            return self._converter.structure(data, message_type)
        except Exception as error:  # noqa: BLE001 - whatever the converter raises, the params do not fit
            problems = "; ".join(_json_problem(line) for line in transform_error(error, format_exception=_describe))
            return RejectedMessage(data.get("id"), method, JsonRpcInvalidParams(
                f"Invalid Params for {method}: {problems}"), is_request)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, RejectedMessage):
            self._reject(message)
            return
        if not hasattr(message, "jsonrpc"):  # JSON that is not a JSON-RPC object stays as decoded
            log.warning("ignoring a message that is not a JSON-RPC 2.0 object: %.200r", message)
            return
        method = getattr(message, "method", None)
        if method is not None and hasattr(message, "id"):
            if not self.initialize_received and method != types.INITIALIZE:
                self._reject(RejectedMessage(message.id, method, JsonRpcServerNotInitialized(
                    f"the server is not initialized: send initialize before {method}"), True))
                return
            if self.shutdown_received:
                self._reject(RejectedMessage(message.id, method, JsonRpcInvalidRequest(
                    f"Invalid Request: the server is shutting down, it no longer answers {method}"), True))
                return
            self.initialize_received = True
            self.shutdown_received = method == types.SHUTDOWN
        super().handle_message(message)

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        # A handler that raises a JsonRpcException answers with that error on purpose: pygls would
        # log it with a traceback, as if it were a failure of the server.
        error = None if future.cancelled() else future.exception()
        if not isinstance(error, JsonRpcException):
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        log.warning("answering request %s with an error: %s", msg_id, error.message)
        self._send_response(msg_id, error=error.to_response_error())

    def _reject(self, message: RejectedMessage) -> None:
        if not message.is_request:
            log.warning("ignoring a %s notification: %s", message.method, message.error.message)
            return
        log.warning("rejecting a %s request: %s", message.method, message.error.message)
        if message.id is None:
            # An unreadable id is answered with a null one (JSON-RPC 2.0, section 5), which
            # lsprotocol's ResponseErrorMessage would leave out.
            error = message.error
            self._send_data({"jsonrpc": "2.0", "id": None, "error": {"code": error.code, "message": error.message}})
        else:
            self._send_response(message.id, error=message.error.to_response_error())


def _is_message_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _describe(error: BaseException, expected: type | None) -> str:
    # A ValueError without a type is a validator of lsprotocol's (a position out of range):
    # its message says which value and range.
    if isinstance(error, ValueError) and expected is None and error.args:
        return str(error)
    return format_exception(error, expected)


def _json_problem(line: str) -> str:
    """One of cattrs' `<problem> @ $.params.text_document` lines, as `params.textDocument: <problem>`:
    the path in the names the client sent (lsprotocol's fields are the camelCase names in snake
    case, with a `_` after a Python keyword)."""
    problem, _, path = line.rpartition(" @ ")
    path = re.sub(r"_([a-z])", lambda letter: letter.group(1).upper(), path.removeprefix("$.").replace("_.", "."))
    return f"{path.rstrip('_')}: {problem}"
