"""What the features that read beyond one document ask of the server: the analyses of the open
documents, the workspace folder, the settings, a worker off the event loop and the message window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from pygls.workspace import PositionCodec

from .analysis import Analysis

__all__ = ["DocumentUnavailable", "Session"]

T = TypeVar("T")


class DocumentUnavailable(Exception):
    """A request named a document that is not open and cannot be read from disk."""

    def __init__(self, uri: str, reason: Exception):
        super().__init__(f"{uri} is not open and cannot be read ({reason})")
        self.uri = uri


class Session(Protocol):
    """The language server as the features see it."""

    #: The `bsm.samples` setting: a glob of JSON / JSON Lines sample messages, or None.
    samples_glob: str | None

    async def analysis(self, uri: str) -> Analysis:
        """The analysis of the open document's current text (or of the file on disk when it is not
        open); raises `DocumentUnavailable` when there is neither."""

    def open_documents(self) -> list[str]:
        """The URIs of the open documents."""

    def overlay(self) -> dict[str, str]:
        """Unsaved text of every open file document, by resolved path."""

    @property
    def root_path(self) -> str | None:
        """The workspace folder."""

    @property
    def codec(self) -> PositionCodec:
        """Converts positions to and from the client's units."""

    async def in_worker(self, function: Callable[..., T], *args) -> T:
        """`function(*args)`, run by the worker that checks documents, off the event loop."""

    def show_message(self, text: str) -> None:
        """Show an information message in the editor."""
