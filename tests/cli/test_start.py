"""The ``memfs`` command starts light: ``memfs --version`` answers before any command module
(agent, git, pydantic) is loaded; ``memfs memory status`` loads no model client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPORT = """
import sys
from memfs_cli.main import main
code = main(["--version"])
heavy = [m for m in ("agent.runtime", "git", "pydantic", "litellm", "detect_secrets")
         if m in sys.modules]
print("exit", code, "loaded", heavy)
"""


def test_version_loads_no_command_module() -> None:
    done = subprocess.run([sys.executable, "-c", REPORT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("memfs ")
    assert lines[1] == "exit 0 loaded []"


STATUS = """
import sys
from memfs_cli.main import main
code = main(["memory", "status"])
heavy = [m for m in ("httpx", "litellm", "detect_secrets", "agent.llm") if m in sys.modules]
print("exit", code, "loaded", heavy)
"""


def test_memory_status_loads_no_model_client(tmp_path: Path) -> None:
    """``memfs memory status`` of an existing memory needs no model: the model client
    (agent.llm, litellm, httpx) and the secret detectors stay unloaded."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {**os.environ, "MEMFS_HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "MEMFS_NO_WORKER": "1"}
    for _ in range(2):  # the first creates the default agent's memory (and commits it)
        done = subprocess.run([sys.executable, "-c", STATUS], capture_output=True, text=True,
                              timeout=120, cwd=workspace, env=env)
        assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("agent:")
    assert lines[-1] == "exit 0 loaded []"
