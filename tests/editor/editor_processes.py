"""Processes of the editor tests: each runs in a process group of its own, and the whole group
is stopped, so no editor, browser or language server outlives a test."""

from __future__ import annotations

import os
import signal
import subprocess
import time


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """End the process and everything it started (it leads its own process group): SIGTERM,
    then SIGKILL for whatever is still there after `grace` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        process.poll()
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        if not group_alive(process.pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def run_in_group(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Run a command to completion in a new process group, capturing its text output; the group
    is stopped afterwards whatever happened (a timeout included)."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        stop_group(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
