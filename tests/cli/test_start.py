"""``memfs --version`` answers before any command module (agent, git, pydantic) is loaded."""

from __future__ import annotations

import subprocess
import sys

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
