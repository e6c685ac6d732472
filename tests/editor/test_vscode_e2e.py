"""End to end in VS Code: the packaged extension in code-server, driven by headless Chromium, shows
the language server's diagnostics and the TextMate highlighting of a broken policy."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from editor_processes import run_in_group, stop_group

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "lsp" / "vscode"
DRIVER_DIR = Path(__file__).resolve().parent
DRIVER = DRIVER_DIR / "vscode_e2e.js"
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "vscode-e2e.png"
SETTINGS_SCREENSHOT = ARTIFACTS / "vscode-e2e-settings.png"
CHROMIUM = Path("/usr/bin/chromium")
CODE_SERVER_VERSION = "4.100.3"  # the newest release for Node 20; .ci/install installs the same
CODE_SERVER_DIR = Path(os.environ.get("BSM_CODE_SERVER_DIR") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bsm-rules" / f"code-server-{CODE_SERVER_VERSION}")
CODE_SERVER = CODE_SERVER_DIR / "out" / "node" / "entry.js"
EXTENSION_ID = "bsm-rules.bsm"
MISSING_PYTHON = "/nonexistent/bin/python3"
BSM = Path(sys.executable).parent / "bsm"

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
    _require(BSM.exists(), f"the bsm command next to {sys.executable}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = run_in_group(command, timeout=300, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _scratch(root: Path) -> dict[str, Path]:
    """Throwaway state for code-server and Chromium: user data, extensions, XDG dirs, workspace."""
    dirs = {name: root / name for name in ("data", "extensions", "xdg", "workspace", "build")}
    for directory in dirs.values():
        directory.mkdir()
    (dirs["workspace"] / "shop.bsm").write_text(BROKEN_POLICY, encoding="utf-8")
    (dirs["workspace"] / "samples").mkdir()
    shutil.copy(REPO / "examples" / "message.json", dirs["workspace"] / "samples")
    settings = {**USER_SETTINGS, "bsm.server.command": [str(BSM), "lsp"], "bsm.samples": "samples/*.json"}
    (dirs["data"] / "User").mkdir()
    (dirs["data"] / "User" / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    # An interpreter without bsm-rules: it fails the way `python -m bsm_rules.cli` would there.
    dirs["python-without-bsm"] = root / "python-without-bsm"
    dirs["python-without-bsm"].write_text('#!/bin/sh\necho "$0: No module named bsm_rules" >&2\nexit 1\n')
    dirs["python-without-bsm"].chmod(0o755)
    dirs["config"] = root / "config.yaml"
    dirs["config"].write_text("auth: none\ncert: false\n", encoding="utf-8")
    return dirs


def _environment(scratch: dict[str, Path]) -> dict[str, str]:
    """The environment for code-server and Chromium: XDG directories in the scratch space, and a
    PATH without the test's virtual environment, so the server starts only through the settings."""
    xdg = scratch["xdg"]
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(part for part in os.environ.get("PATH", "").split(os.pathsep) if part != venv_bin)
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    return {**env, "PATH": path, "XDG_CONFIG_HOME": str(xdg / "config"), "XDG_DATA_HOME": str(xdg / "data"),
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


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Builds and installs the .vsix, starts code-server, lets the browser driver work through the
    editor and returns its report of what the editor showed."""
    _prerequisites()
    scratch = _scratch(tmp_path_factory.mktemp("vscode"))
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
    for picture in (SCREENSHOT, SETTINGS_SCREENSHOT):
        picture.unlink(missing_ok=True)
    options = {"url": url, "folder": str(scratch["workspace"]), "file": "shop.bsm", "screenshot": str(SCREENSHOT),
               "probes": [KEYWORD, COMMENT, STRING, RULE_ID, PLAIN], "timeoutMs": 60000,
               "pythonPaths": [{"value": sys.executable, "fails": False},
                               {"value": str(scratch["python-without-bsm"]), "fails": True},
                               {"value": MISSING_PYTHON, "fails": True}],
               "settingsScreenshot": str(SETTINGS_SCREENSHOT)}
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
            stop_group(driver)
        stop_group(server)

    lines = stdout.strip().splitlines()
    if not lines:
        pytest.fail(f"the browser driver printed no report:\n{stderr}")
    result = json.loads(lines[-1])
    result["context"] = (f"\nreport: {json.dumps(result, indent=1)}\ndriver stderr:\n{stderr}\n"
                         f"screenshots: {SCREENSHOT}, {SETTINGS_SCREENSHOT}\ncode-server log: {log}")
    if driver.returncode != 0 or "error" in result:
        pytest.fail(f"the editor did not show what the tests check{result['context']}")
    return result


def test_error_squiggle_carries_the_server_diagnostic(report: dict) -> None:
    assert report["squiggles"] == 1, report["context"]
    assert report["hover"] is not None and "unknown name `subjct`" in report["hover"], report["context"]
    assert SCREENSHOT.stat().st_size > 0


def test_problems_panel_lists_the_diagnostic_with_code_and_position(report: dict) -> None:
    rows = [row.split("\n") for row in report["problems"]]
    assert rows == [["shop.bsm", "1"], ["unknown name `subjct`", "bsm", "BSM201", "[Ln 11, Col 10]",
                                        "help: did you mean `subject`?"]], report["context"]


def test_status_bar_shows_the_running_server_and_its_command(report: dict) -> None:
    assert "bsm: running" in report["statusBar"], report["context"]
    assert f"bsm language server: running ({BSM} lsp)" in report["statusLabels"], report["context"]


def test_samples_setting_reaches_the_server(report: dict) -> None:
    # With bsm.samples unset the lens above the header asks for it; with samples configured it
    # says why the broken policy cannot be evaluated on them.
    assert report["codeLenses"][0] == "the policy has errors; fix them to evaluate it on the samples", report["context"]


def test_textmate_grammar_colours_the_policy(report: dict) -> None:
    # Keywords, comments, strings and rule ids get token classes and colours of their own,
    # distinct from those of a name the grammar does not colour (semantic highlighting is off).
    tokens = {token["text"]: token for token in report["tokens"]}
    assert all(token["tokenClass"] for token in tokens.values()), report["context"]
    classes = [tokens[text]["tokenClass"] for text in (KEYWORD, COMMENT, STRING, RULE_ID, PLAIN)]
    colours = [tokens[text]["color"] for text in (KEYWORD, COMMENT, STRING, RULE_ID, PLAIN)]
    assert len(set(classes)) == len(classes) and len(set(colours)) == len(colours), report["context"]


def test_python_path_setting_restarts_the_server_and_failures_are_explained(report: dict) -> None:
    working, without_bsm, missing = report["pythonPaths"]
    # A working interpreter: the server restarts as `python -m bsm_rules.cli lsp`.
    assert "bsm: running" in working["statusBar"], report["context"]
    assert f"bsm language server: running ({sys.executable} -m bsm_rules.cli lsp)" in working["statusLabels"], \
        report["context"]
    # An interpreter without bsm-rules: the server exits at once; the message quotes its error.
    assert "bsm: error" in without_bsm["statusBar"], report["context"]
    program = without_bsm["value"]
    assert (f'Cannot start the bsm language server with "{program} -m bsm_rules.cli lsp" (from bsm.server.pythonPath):'
            f" {program}: No module named bsm_rules. Check that bsm-rules is installed there; the output has the"
            " details.") in without_bsm["notifications"], report["context"]
    # A missing interpreter: nothing is started; the message names the program and the setting.
    assert "bsm: error" in missing["statusBar"], report["context"]
    assert any(f'the program "{MISSING_PYTHON}" from bsm.server.pythonPath was not found' in text
               for text in missing["notifications"]), report["context"]
    assert SETTINGS_SCREENSHOT.stat().st_size > 0
