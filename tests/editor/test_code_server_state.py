"""code-server, as `.ci/install` runs it to check the installation, keeps its state (the
generated config with its password, logs) inside its cache directory, not in the user's home."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from test_vscode_e2e import CODE_SERVER_DIR, CODE_SERVER_VERSION

WRAPPER = Path(__file__).resolve().parent.parent.parent / ".ci" / "code-server"


def test_the_version_check_leaves_the_home_folder_alone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "BSM_CODE_SERVER_DIR": str(CODE_SERVER_DIR)}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_DATA_HOME", None)
    completed = subprocess.run(["bash", str(WRAPPER), "--version"], env=env, capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split()[0] == CODE_SERVER_VERSION
    assert list(home.iterdir()) == []
    assert (CODE_SERVER_DIR / "state" / "config" / "code-server" / "config.yaml").is_file()
