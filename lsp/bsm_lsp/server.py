"""The bsm language server: document state, debounced diagnostics, and the registration of every
LSP handler (the features are plain functions of this package's feature modules)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.io_ import run_async
from pygls.lsp.server import LanguageServer
from pygls.workspace import PositionCodec

from bsm_rules import __version__

from . import features
from .analysis import Analysis, analyze, document_path
from .convert import to_lsp_diagnostics
from .protocol import BsmProtocol, strict_converter
from .session import DocumentUnavailable
from .tokens import LEGEND

__all__ = ["DOCUMENT_FEATURES", "SESSION_FEATURES", "BsmLanguageServer", "serve", "server"]

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_MS = 30
T = TypeVar("T")


class BsmLanguageServer(LanguageServer):
    """A pygls server that keeps one analysis per open document and publishes its diagnostics."""

    protocol: BsmProtocol

    def __init__(self) -> None:
        super().__init__("bsm", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=BsmProtocol, converter_factory=strict_converter)
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.pending_lens_refresh: asyncio.Task | None = None
        self.debounce_seconds = DEFAULT_DEBOUNCE_MS / 1000
        self.samples_glob: str | None = None
        # One worker: analyses run one at a time, off the event loop, so requests keep being read.
        self.checker_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bsm-check")

    # -- state
    def overlay(self) -> dict[str, str]:
        """Unsaved text of every open file document, by resolved path."""
        return {document_path(uri): doc.source for uri, doc in self.workspace.text_documents.items()
                if uri.startswith("file:")}

    def is_current(self, analysis: Analysis) -> bool:
        """Whether an analysis still describes the open document and the open files it includes."""
        doc = self.workspace.text_documents.get(analysis.uri)
        if doc is None or doc.version != analysis.version or doc.source != analysis.text:
            return False
        overlay = self.overlay()
        return all(overlay.get(path, text) == text for path, text in analysis.dependencies.items())

    async def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text, computed now if the cached one is stale."""
        cached = self.analyses.get(uri)
        if cached is not None and self.is_current(cached):
            return cached
        # A document that is not open is read from disk, as pygls does.
        doc = self.workspace.get_text_document(uri)
        try:
            text = doc.source
        except (OSError, ValueError) as error:  # missing, unreadable, not UTF-8, a NUL in its name
            raise DocumentUnavailable(uri, error) from None
        version, overlay = doc.version, self.overlay()
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self.checker_pool, analyze, uri, version, text, overlay, self.workspace.position_codec)
        current = self.workspace.text_documents.get(uri)
        if current is not None and current.version == version:
            self.analyses[uri] = result
        return result

    # -- the session the features see
    def open_documents(self) -> list[str]:
        return list(self.workspace.text_documents)

    @property
    def root_path(self) -> str | None:
        return self.workspace.root_path

    @property
    def codec(self) -> PositionCodec:
        return self.workspace.position_codec

    async def in_worker(self, function: Callable[..., T], *args) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.checker_pool, function, *args)

    def show_message(self, text: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=text))

    def dependents(self, path: str) -> list[str]:
        """Open documents whose last analysis read the file at `path`."""
        return [uri for uri, analysis in self.analyses.items()
                if path in analysis.dependencies and uri in self.workspace.text_documents]

    # -- diagnostics
    def schedule_diagnostics(self, uri: str, delay: float | None = None) -> None:
        """Publish the document's diagnostics after a quiet period; a newer edit cancels this one."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(
            self._publish_later(uri, self.debounce_seconds if delay is None else delay))

    async def _publish_later(self, uri: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            doc = self.workspace.text_documents.get(uri)
            if doc is None:
                return
            analysis = await self.analysis(uri)
            # A newer version arrived while checking: its own scheduled run will publish.
            if not self.is_current(analysis):
                return
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, version=analysis.version, diagnostics=to_lsp_diagnostics(analysis)))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            self.log_error(f"publishing diagnostics for {uri}", traceback.format_exc())
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    def document_changed(self, uri: str) -> None:
        self.schedule_diagnostics(uri)
        if uri.startswith("file:"):
            path = document_path(uri)
            for dependent in self.dependents(path):
                if dependent != uri:
                    self.schedule_diagnostics(dependent)
            self.test_file_changed(path)

    # -- files changed outside the editor
    def watch_policy_files(self) -> None:
        """Ask the editor to report `.bsm` files changed on disk (an included policy, a test file),
        when it lets a server register its own file watchers."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if not (watched and watched.dynamic_registration):
            return
        self.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="bsm-policy-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*.bsm")]))]))

    # -- code lenses
    def refresh_code_lenses(self) -> None:
        """Ask the editor to fetch every code lens again, when it can be asked."""
        workspace = self.client_capabilities.workspace
        if workspace and workspace.code_lens and workspace.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    def test_file_changed(self, path: str) -> None:
        """The example counts on an open policy's rules include its `NAME.test.bsm`: when that
        file changes, refresh the code lenses after the same quiet period as diagnostics."""
        if not path.endswith(".test.bsm"):
            return
        policy = path.removesuffix(".test.bsm") + ".bsm"
        if not any(document_path(uri) == policy for uri in self.workspace.text_documents):
            return
        if self.pending_lens_refresh is not None:
            self.pending_lens_refresh.cancel()
        self.pending_lens_refresh = asyncio.ensure_future(self._refresh_code_lenses_later())

    async def _refresh_code_lenses_later(self) -> None:
        try:
            await asyncio.sleep(self.debounce_seconds)
            self.refresh_code_lenses()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            self.log_error("refreshing code lenses", traceback.format_exc())

    # -- errors
    def log_error(self, what: str, details: str) -> None:
        log.error("%s failed:\n%s", what, details)
        with contextlib.suppress(Exception):  # the connection may be gone
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"bsm: {what} failed:\n{details}"))

    def report_server_error(self, error, source) -> None:
        log.error("server error: %s", error)


server = BsmLanguageServer()


def guarded(function):
    """Run a feature handler so that an internal error is logged and answered as an LSP error,
    leaving the server running. A request about a document that is neither open nor readable has
    no result (null, which every request the server answers allows)."""
    name = function.__name__

    def failure(error: Exception):
        server.log_error(name, traceback.format_exc())
        return JsonRpcInternalError(message=f"bsm: {name} failed: {error}")

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def run_async(*args, **kwargs):
            try:
                return await function(*args, **kwargs)
            except DocumentUnavailable as error:
                log.info("%s: %s", name, error)
                return None
            except JsonRpcException:
                raise
            except Exception as error:  # noqa: BLE001
                raise failure(error) from None
        return run_async

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except JsonRpcException:
            raise
        except Exception as error:  # noqa: BLE001
            raise failure(error) from None
    return run


def _settings_from(options) -> None:
    if not isinstance(options, dict):
        return
    section = options.get("bsm", options)
    if not isinstance(section, dict):
        return
    if "samples" in section and (section["samples"] is None or isinstance(section["samples"], str)):
        server.samples_glob = section["samples"] or None
    debounce = section.get("debounceMs", section.get("debounce_ms"))
    if isinstance(debounce, (int, float)) and 0 <= debounce <= 5000:
        server.debounce_seconds = debounce / 1000


# -- lifecycle and document sync -----------------------------------------------------------------

@server.feature(types.INITIALIZE)
@guarded
def initialize(params: types.InitializeParams) -> None:
    _settings_from(params.initialization_options)


@server.feature(types.INITIALIZED)
@guarded
def initialized(params: types.InitializedParams) -> None:
    server.watch_policy_files()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded
def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
    _settings_from(params.settings)
    server.refresh_code_lenses()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded
def did_open_change_or_save(params) -> None:
    """pygls has updated the document (after open or change): check it again, and what includes it."""
    server.document_changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    server.analyses.pop(uri, None)
    pending = server.pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    if uri.startswith("file:"):
        path = document_path(uri)
        for dependent in server.dependents(path):
            server.schedule_diagnostics(dependent)
        server.test_file_changed(path)  # the saved text counts again


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded
def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        path = document_path(change.uri)
        for dependent in server.dependents(path):
            server.analyses.pop(dependent, None)
            server.schedule_diagnostics(dependent)
        server.test_file_changed(path)


# -- the features -------------------------------------------------------------------------------

#: LSP method -> (feature answering from the document's analysis, its registration options)
DOCUMENT_FEATURES = {
    types.TEXT_DOCUMENT_HOVER: (features.hover, None),
    types.TEXT_DOCUMENT_COMPLETION: (features.completion, features.COMPLETION_OPTIONS),
    types.TEXT_DOCUMENT_DEFINITION: (features.definition, None),
    types.TEXT_DOCUMENT_PREPARE_RENAME: (features.prepare_rename, None),
    types.TEXT_DOCUMENT_DOCUMENT_SYMBOL: (features.document_symbols, None),
    types.TEXT_DOCUMENT_FORMATTING: (features.formatting, None),
    types.TEXT_DOCUMENT_RANGE_FORMATTING: (features.range_formatting, None),
    types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL: (features.semantic_tokens_full, LEGEND),
    types.TEXT_DOCUMENT_FOLDING_RANGE: (features.folding_ranges, None),
    types.TEXT_DOCUMENT_CODE_ACTION: (features.code_actions, features.CODE_ACTION_OPTIONS),
}

#: LSP method -> feature that reads the session too: other open documents, the workspace folder,
#: the sample messages
SESSION_FEATURES = {
    types.TEXT_DOCUMENT_REFERENCES: features.references,
    types.TEXT_DOCUMENT_RENAME: features.rename,
    types.WORKSPACE_SYMBOL: features.workspace_symbols,
    types.TEXT_DOCUMENT_CODE_LENS: features.code_lenses,
}


def _on_document(feature):
    """The handler that answers a request with `feature(analysis of the document, params)`."""
    async def handler(params):
        return feature(await server.analysis(params.text_document.uri), params)
    handler.__name__ = handler.__qualname__ = feature.__name__
    return handler


def _on_session(feature):
    """The handler that answers a request with `feature(the server as the session, params)`."""
    async def handler(params):
        return await feature(server, params)
    handler.__name__ = handler.__qualname__ = feature.__name__
    return handler


def _register_features() -> None:
    for method, (feature, options) in DOCUMENT_FEATURES.items():
        server.feature(method, options)(guarded(_on_document(feature)))
    for method, feature in SESSION_FEATURES.items():
        server.feature(method)(guarded(_on_session(feature)))


_register_features()


@server.command(features.EVALUATE_COMMAND)
@guarded
async def evaluate_command(*arguments: str) -> dict:
    """Evaluate the policy on the samples; returns (and shows) the verdict counts. The arguments
    are the document's URI and, for the counts of one rule, its id."""
    # Variadic, as pygls requires every declared argument, defaults or not; it passes variadic
    # arguments as the client sent them, so their types are checked here.
    if not 1 <= len(arguments) <= 2 or not all(isinstance(argument, str) for argument in arguments):
        raise JsonRpcInvalidParams(f"Invalid Params for {features.EVALUATE_COMMAND}: expected a document URI and "
                                   f"optionally a rule id, got {list(arguments)!r:.200}")
    return await features.evaluate_command(server, *arguments)


def serve(tcp: tuple[str, int] | None = None) -> int:
    """Run the server over stdio, or on a TCP port for debugging, until the client says `exit` or
    goes away. Returns the exit status LSP asks for: 0 when the client sent `shutdown` first, else
    1. Raises OSError when it cannot listen on the TCP address (in use, not this machine's)."""
    logging.basicConfig(level=logging.WARNING, format="bsm lsp: %(levelname)s %(message)s")

    # Each analysis of a long policy allocates tens of thousands of AST nodes, which rarely form
    # cycles: collecting less often (and never scanning what start-up loaded) keeps the cyclic
    # collector from adding a few hundred milliseconds to some of the checks.
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)

    if tcp is None:
        server.start_io()
    else:
        asyncio.run(_serve_one_client(*tcp))
    return 0 if server.protocol.shutdown_received else 1


async def _serve_one_client(host: str, port: int) -> None:
    """Listen on the TCP address for one client and serve it until it says `exit` or goes away.

    pygls' own `start_tcp` lets the `exit` notification's SystemExit escape the connection's task,
    where asyncio logs it as an unhandled exception, and keeps listening after a connection is reset.
    """
    finished = asyncio.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.close()  # one client: a second would take over the first one's session
        server.protocol.set_writer(writer)
        try:
            await run_async(stop_event=threading.Event(), reader=reader, protocol=server.protocol, logger=log,
                            error_handler=server.report_server_error)
        except SystemExit:  # how pygls ends the session on the exit notification
            pass
        except ConnectionError as error:
            log.warning("the connection to the client was lost: %s", error)
        finally:
            writer.close()
            finished.set()

    listener = await asyncio.start_server(connection, host, port)
    async with listener:
        await finished.wait()
    server.shutdown()
