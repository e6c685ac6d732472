"""End to end in Neovim: headless Neovim (Debian's package) starts `bsm lsp`, opens a broken
policy, and receives the server's diagnostics."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from editor_processes import group_alive, stop_group

INIT = Path(__file__).resolve().parent / "nvim_init.lua"
README = Path(__file__).resolve().parent.parent.parent / "README.md"
# The README's Neovim configuration, run as it stands.
README_LUA = re.search(r"^### Neovim\n.*?^```lua\n(.*?)^```", README.read_text(encoding="utf-8"),
                       re.MULTILINE | re.DOTALL).group(1)
NVIM = shutil.which("nvim")

BROKEN = '''policy "shop"

# 😀 an emoji before the error changes nothing for Neovim's byte columns on another line
rule no-links error {
  message "no links"
  forbid text matches linkz
}
'''


def _nvim() -> str:
    assert NVIM is not None, "Neovim is not installed: .ci/install installs Debian's neovim"
    return NVIM


def _run_neovim(tmp_path: Path, text: str) -> tuple[subprocess.Popen, dict]:
    """Open `text` as a policy in headless Neovim with the bsm server; Neovim writes the
    diagnostics it received and quits. Returns the finished process and what it wrote; on any
    failure, Neovim's process group (the language server included) is stopped."""
    policy = tmp_path / "shop.bsm"
    policy.write_text(text, encoding="utf-8")
    out = tmp_path / "diagnostics.json"
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / "xdg" / name.lower())
    readme_lua = tmp_path / "readme.lua"
    readme_lua.write_text(README_LUA, encoding="utf-8")
    env["BSM_README_LUA"] = str(readme_lua)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the README's `bsm lsp`
    env["BSM_DIAGNOSTICS_OUT"] = str(out)
    process = subprocess.Popen(
        [_nvim(), "--headless", "-i", "NONE", "-n", "-u", str(INIT), str(policy), "+lua dump_diagnostics_and_quit()"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode(errors="replace")
        return process, json.loads(out.read_text(encoding="utf-8"))
    except BaseException:
        stop_group(process)
        raise


def test_neovim_receives_the_diagnostics(tmp_path):
    process, result = _run_neovim(tmp_path, BROKEN)
    stop_group(process)
    assert result["answered"] is True
    assert result["diagnostics"] == [{
        "line": 5, "col": 22, "end_line": 5, "end_col": 27, "severity": 1, "source": "bsm",
        "code": "BSM201", "message": "unknown name `linkz`",
    }]


def test_the_server_stops_with_neovim(tmp_path):
    process, result = _run_neovim(tmp_path, BROKEN.replace("matches linkz", 'contains "x"'))
    try:
        assert result == {"answered": True, "diagnostics": []}
        deadline = time.monotonic() + 10
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(process.pid), "the language server outlived Neovim"
    finally:
        stop_group(process)
