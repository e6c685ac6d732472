"""End to end in VS Code: the packaged extension in code-server, driven by headless Chromium, shows
the language server's diagnostics and the TextMate highlighting of a broken policy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "lsp" / "vscode"
DRIVER_DIR = Path(__file__).resolve().parent
DRIVER = DRIVER_DIR / "vscode_e2e.js"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CODE_SERVER_VERSION = "4.100.3"  # the newest release for Node 20; .ci/install installs the same
CODE_SERVER_DIR = Path(os.environ.get("BSM_CODE_SERVER_DIR") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bsm-rules" / f"code-server-{CODE_SERVER_VERSION}")
CODE_SERVER = CODE_SERVER_DIR / "out" / "node" / "entry.js"
EXTENSION_ID = "bsm-rules.bsm"

BROKEN_POLICY = """\
policy "Shop rules"

# Attachments must stay small.
rule attachments-too-large error {
  message "attachments may total at most 10 MiB"
  forbid sum(attachments.size) > 10 MiB
}

rule no-shouting warning {
  message "do not shout in the subject"
  forbid subjct matches /^[A-Z ]+$/
}
"""
# Rendered texts whose token classes the test compares: a keyword, a comment, a string, a rule id
# and a plain name (the misspelt field, which no grammar rule colours).
KEYWORD, COMMENT, STRING, RULE_ID, PLAIN = (
    "forbid", "# Attachments must stay small.", '"do not shout in the subject"', "no-shouting", "subjct")

USER_SETTINGS = {
    "editor.semanticHighlighting.enabled": False,  # the colours must come from the TextMate grammar
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "chat.disableAIFeatures": True,
    "window.restoreWindows": "none",
}


def _require(condition: bool, what: str) -> None:
    if not condition:
        pytest.fail(f"{what} is missing; .ci/install installs it (run `bash .ci/install`)", pytrace=False)


def _prerequisites() -> None:
    _require(shutil.which("node") is not None and shutil.which("npm") is not None, "Node.js with npm")
    _require(CHROMIUM.exists(), f"Chromium ({CHROMIUM}, Debian package chromium)")
    _require(CODE_SERVER.exists() and (CODE_SERVER_DIR / ".installed").exists(),
             f"code-server {CODE_SERVER_VERSION} (in {CODE_SERVER_DIR})")
    _require((EXTENSION_DIR / "node_modules" / ".bin" / "vsce").exists(),
             "the extension's build tools (npm ci in lsp/vscode)")
    _require((DRIVER_DIR / "node_modules" / "playwright-core").exists(),
             "playwright-core (npm ci in tests/editor)")
    _require((Path(sys.executable).parent / "bsm").exists(), f"the bsm command next to {sys.executable}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, start_new_session=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _stop_group(process: subprocess.Popen) -> None:
    """Ends the process and everything it started: it leads its own process group."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@pytest.fixture
def scratch(tmp_path: Path) -> dict[str, Path]:
    """Throwaway state for code-server and Chromium: user data, extensions, XDG dirs, workspace."""
    dirs = {name: tmp_path / name for name in ("data", "extensions", "xdg", "workspace", "build")}
    for directory in dirs.values():
        directory.mkdir()
    (dirs["workspace"] / "shop.bsm").write_text(BROKEN_POLICY, encoding="utf-8")
    bsm = Path(sys.executable).parent / "bsm"
    settings = {**USER_SETTINGS, "bsm.server.command": [str(bsm), "lsp"]}
    (dirs["data"] / "User").mkdir()
    (dirs["data"] / "User" / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    (tmp_path / "config.yaml").write_text("auth: none\ncert: false\n", encoding="utf-8")
    dirs["config"] = tmp_path / "config.yaml"
    return dirs


def _environment(scratch: dict[str, Path]) -> dict[str, str]:
    xdg = scratch["xdg"]
    return {**os.environ, "XDG_CONFIG_HOME": str(xdg / "config"), "XDG_DATA_HOME": str(xdg / "data"),
            "XDG_CACHE_HOME": str(xdg / "cache"), "XDG_STATE_HOME": str(xdg / "state")}


def _code_server(scratch: dict[str, Path]) -> list[str]:
    return ["node", str(CODE_SERVER), "--config", str(scratch["config"]), "--user-data-dir", str(scratch["data"]),
            "--extensions-dir", str(scratch["extensions"])]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"code-server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"code-server did not answer on {url} within 60 s:\n{log.read_text(errors='replace')}")


def test_extension_shows_diagnostics_and_highlighting(scratch: dict[str, Path]) -> None:
    _prerequisites()
    env = _environment(scratch)

    vsix = scratch["build"] / "bsm.vsix"
    _run(["npm", "run", "--silent", "package", "--", "--out", str(vsix)], cwd=EXTENSION_DIR, env=env)
    _run(_code_server(scratch) + ["--install-extension", str(vsix)], env=env)
    installed = _run(_code_server(scratch) + ["--list-extensions", "--show-versions"], env=env).stdout
    version = json.loads((EXTENSION_DIR / "package.json").read_text(encoding="utf-8"))["version"]
    assert f"{EXTENSION_ID}@{version}" in installed.split()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = scratch["build"] / "code-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "vscode-e2e.png"
    screenshot.unlink(missing_ok=True)
    options = {"url": url, "folder": str(scratch["workspace"]), "file": "shop.bsm", "screenshot": str(screenshot),
               "probes": [KEYWORD, COMMENT, STRING, RULE_ID, PLAIN], "timeoutMs": 60000}
    with log.open("w") as log_file:
        server = subprocess.Popen(
            _code_server(scratch) + [
                "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry",
                "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
                str(scratch["workspace"])],
            cwd=scratch["workspace"], env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
    driver = None
    try:
        _wait_healthy(url, server, log)
        driver = subprocess.Popen(["node", str(DRIVER), json.dumps(options)], cwd=DRIVER_DIR, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = driver.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            pytest.fail("the browser driver did not finish within 240 s")
    finally:
        if driver is not None:
            _stop_group(driver)
        _stop_group(server)

    lines = stdout.strip().splitlines()
    assert lines, f"the browser driver printed no report:\n{stderr}"
    report = json.loads(lines[-1])
    context = f"\nreport: {json.dumps(report, indent=1)}\ndriver stderr:\n{stderr}\nscreenshot: {screenshot}"
    assert driver.returncode == 0 and "error" not in report, f"the editor did not show the diagnostic{context}"
    assert screenshot.stat().st_size > 0

    # The squiggle under the misspelt field carries the server's message.
    assert report["squiggles"] == 1, context
    assert report["hover"] is not None and "unknown name `subjct`" in report["hover"], context
    # The Problems panel lists the file, then the diagnostic with its code and position.
    rows = [row.split("\n") for row in report["problems"]]
    assert rows[0][0] == "shop.bsm", context
    diagnostic = next((row for row in rows if row[0] == "unknown name `subjct`"), None)
    assert diagnostic is not None, context
    assert "BSM201" in " ".join(diagnostic), context
    assert diagnostic[-1] == "[Ln 11, Col 10]", context
    # The status bar shows the server running.
    assert "bsm: running" in report["statusBar"], context

    # Highlighting from the grammar: keywords, comments, strings and rule ids get token classes of
    # their own, distinct from the plain text class of a name the grammar does not colour.
    tokens = {token["text"]: token for token in report["tokens"]}
    assert all(token["tokenClass"] for token in tokens.values()), context
    plain = tokens[PLAIN]["tokenClass"]
    coloured = [tokens[text]["tokenClass"] for text in (KEYWORD, COMMENT, STRING, RULE_ID)]
    assert plain not in coloured, context
    assert len(set(coloured)) == len(coloured), context
    assert len({tokens[text]["color"] for text in (KEYWORD, COMMENT, STRING, RULE_ID, PLAIN)}) == 5, context
