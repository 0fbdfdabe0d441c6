"""The extension in a real VS Code: code-server (npm registry) in headless Chromium, a palette
command and a chat turn against the scripted model, checked through the memory commits.

Needs code-server and Chromium (``make e2e-deps`` installs both, following
shared/reference/vscode-e2e.md); where they are missing the test skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.model_server import Reply, ScriptedModel, ToolCall

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
E2E = EXTENSION / "e2e"
CODE_SERVER = Path(os.environ.get("MEMFS_CODE_SERVER") or
                   EXTENSION / "e2e" / ".code-server" / "node_modules" / ".bin" / "code-server")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _missing() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are not installed"
    if not CODE_SERVER.exists():
        return f"code-server is not installed at {CODE_SERVER} (run 'make e2e-deps')"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (run 'make e2e-deps')"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_palette_command_and_chat_turn_in_code_server(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (["ci", "--no-audit", "--no-fund"], ["run", "package"]):
        done = subprocess.run(["npm", *args], cwd=EXTENSION, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    if not (E2E / "node_modules" / "playwright-core").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=E2E, check=True,
                       capture_output=True, timeout=600)
    workspace = tmp_path / "project"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    with ScriptedModel() as model:
        model.script(
            Reply(tool_calls=[ToolCall("memory", {
                "command": "create", "path": "notes/merges.md", "description": "Merge policy",
                "content": "Squash merges.\n", "reason": "team squashes merges"})]),
            "Saved to notes/merges.md.",
            Reply(tool_calls=[ToolCall("memory", {
                "command": "create", "path": "notes/greeting.md", "description": "Greeting",
                "content": "Says hello.\n", "reason": "user greets"})]),
            "Hello from memfs.")
        env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url,
               "CODE_SERVER": str(CODE_SERVER), "VSIX": str(EXTENSION / "memfs.vsix"),
               "WORKSPACE": str(workspace), "E2E_TMP": str(tmp_path), "CHROMIUM": CHROMIUM,
               "PORT": str(_free_port()), "EXPECT_REPLY": "Hello from memfs",
               "SERVER_COMMAND": json.dumps([str(Path(sys.executable).parent / "memfs-lsp")])}
        done = subprocess.run(["node", str(E2E / "run.mjs")], cwd=E2E, env=env,
                              capture_output=True, text=True, timeout=480)
        assert done.returncode == 0 and "E2E OK" in done.stdout, (
            done.stdout[-3000:] + done.stderr[-3000:])
    root = Path(os.environ["MEMFS_HOME"]) / "agents" / "memory-agent" / "memory"
    log = subprocess.run(["git", "log", "--format=%s"], cwd=root, capture_output=True,
                         text=True).stdout.splitlines()
    assert "remember: team squashes merges" in log and "user greets" in log
    assert (tmp_path / "vscode-e2e.png").stat().st_size > 10_000
