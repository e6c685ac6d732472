"""A raw JSON-RPC connection to the real `bsm lsp` server over stdio: messages are framed by hand,
so a test can send what no LSP client library would, and read every response the server gives."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import IO, Any

from lsp_session import SERVER_COMMAND

__all__ = ["RawServer", "frame", "read_frames"]


def frame(message: Any) -> bytes:
    """One message with its Content-Length header, as the base protocol sends it."""
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_frames(stream: IO[bytes], into: queue.Queue) -> None:
    """Put every message read from `stream` into `into`, then None at the end of the stream."""
    while True:
        length = None
        while True:
            header = stream.readline()
            if not header:
                into.put(None)
                return
            if header in (b"\r\n", b"\n"):
                break
            name, _, value = header.decode("ascii").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        assert length is not None, "a message without Content-Length"
        into.put(json.loads(stream.read(length)))


class RawServer:
    """The server as a subprocess: `send` writes messages, `responses` collects the answers to
    request ids, `stop` ends the session and returns everything the server wrote to stderr."""

    def __init__(self, command: list[str] | None = None):
        self.process = subprocess.Popen(command or SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        self._stderr: list[bytes] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=read_frames, args=(self.process.stdout, self.messages), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True)
        self._stderr_reader.start()
        self.received: dict[Any, list[dict]] = {}

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._stderr.append(line)

    def send(self, *messages: Any) -> None:
        assert self.process.stdin is not None
        for message in messages:
            self.process.stdin.write(frame(message))
        self.process.stdin.flush()

    def request(self, id: Any, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "id": id, "method": method, **({} if params is None else {"params": params})})

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, **({} if params is None else {"params": params})})

    def initialize(self, root_uri: str | None = None) -> dict:
        self.request("initialize", "initialize", {"processId": None, "rootUri": root_uri, "capabilities": {}})
        answer = self.responses(["initialize"])["initialize"]
        self.notify("initialized", {})
        return answer

    def responses(self, ids: list[Any], timeout: float = 60) -> dict[Any, dict]:
        """The response to each of `ids`, waiting until all have arrived (or failing after
        `timeout` seconds, naming the ids still unanswered); every response is kept in `received`."""
        deadline = time.monotonic() + timeout
        while not all(id in self.received for id in ids):
            remaining = deadline - time.monotonic()
            try:
                message = self.messages.get(timeout=max(remaining, 0))
            except queue.Empty:
                missing = [id for id in ids if id not in self.received]
                raise AssertionError(f"{len(missing)} requests got no response: {missing[:20]}") from None
            if message is None:
                raise AssertionError("the server closed its output")
            if "method" not in message:  # a response, not a request or notification from the server
                self.received.setdefault(message.get("id"), []).append(message)
        return {id: self.received[id][0] for id in ids}

    def stderr_so_far(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def stop(self) -> str:
        """Shut the server down cleanly, wait for it to exit, and return its stderr."""
        self.request("shutdown", "shutdown")
        self.responses(["shutdown"])
        self.notify("exit")
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self._stderr_reader.join(timeout=10)
        return self.stderr_so_far()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
