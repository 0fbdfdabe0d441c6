"""The extension in a real VS Code: code-server (npm registry) in headless Chromium drives the
packaged .vsix against this checkout's memfs-lsp and the scripted model (editors/vscode/e2e/run.mjs
holds the steps: no-model state, Configure Model, Remember, the memory tree, markdown, commit
diff, failed tool call, provider error, Stop, Doctor in Problems, memory log and revert, project
memory: an edit approved, one rejected with a reason the model sees, a question withdrawn by
Stop, the CodeLens of a scoped memory, the tree's tiers and scope; conversation switch, themes,
reload).

``make test`` installs code-server and Chromium first (``make e2e-deps``). Where they are
missing the test skips and says why, except on CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.editors.npm import ensure_installed

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
E2E = EXTENSION / "e2e"
SCREENSHOTS = E2E / "screenshots"
CODE_SERVER = Path(os.environ.get("MEMFS_CODE_SERVER") or
                   E2E / ".code-server" / "node_modules" / ".bin" / "code-server")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
API_KEY = "sk-e2e-0123456789abcdef"  # a made-up key: it must reach the model, and nothing else

MARKDOWN = """## Plan for tabs

Use **tabs** everywhere and keep `indent_style` in one place:

1. update the editor config
2. re-run the formatter

```python
def greet(name):
    return f"Hello, {name}!"
```

<script>document.title = 1</script> <img src=x onerror="document.title=1">
"""


def _missing() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are not installed"
    if not CODE_SERVER.exists():
        return f"code-server is not installed at {CODE_SERVER} (run 'make e2e-deps')"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (run 'make e2e-deps')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What the e2e steps type (run.mjs gets them as PROMPTS) and the scripted model answers.
PROMPTS = {
    "markdown": "How should I indent this project?\nAnd show me a greeting function.",
    "greeting": "Remember that I greet people with hello.",
    "broken": "Fix the typo in nothing/here.md, please.",
    "outage": "Are you there?",
    "story": "Tell me a long story.",
    "second": "Hello again, in a new conversation.",
    "after_reload": "Still there after the reload?",
    "tabs": "We indent with tabs in this project.",
    "semicolons": "We never use semicolons here.",
    "fridays": "Note that we deploy on Fridays.",
    "ci": "Our CI runs on GitHub Actions.",
    "releases": "We tag releases vX.Y.Z.",
}
PROJECT_FILE = "project/system/project.md"
REJECTION = "we do use semicolons"


def _project_edit(old: str, new: str, why: str) -> Reply:
    return Reply(tool_calls=[ToolCall("memory", {"command": "str_replace", "path": PROJECT_FILE,
                                                 "old_text": old, "new_text": new,
                                                 "reason": why})])


def _respond(request: dict[str, Any]) -> Reply:
    """The scripted model, by the prompt it answers."""
    text = ScriptedModel.last_user_text(request)
    after_tool = request["messages"][-1].get("role") == "tool"
    if text.startswith("/remember"):
        return Reply(text="Saved to notes/merges.md.") if after_tool else Reply(tool_calls=[
            ToolCall("memory", {"command": "create", "path": "notes/merges.md",
                                "description": "Merge policy", "content": "Squash merges.\n",
                                "reason": "team squashes merges"})])
    if text == PROMPTS["markdown"]:
        return Reply(text=MARKDOWN)
    if text == PROMPTS["greeting"]:
        return Reply(text="Saved your greeting.") if after_tool else Reply(tool_calls=[
            ToolCall("memory", {"command": "create", "path": "notes/greeting.md",
                                "description": "Greeting",
                                "content": "Says hello.\nSee [[nowhere]].\n",
                                "reason": "user greets"})])
    if text == PROMPTS["broken"]:
        return Reply(text="That file does not exist.") if after_tool else Reply(tool_calls=[
            ToolCall("memory", {"command": "str_replace", "path": "nothing/here.md",
                                "old_text": "a", "new_text": "b", "reason": "fix it"})])
    if text == PROMPTS["outage"]:
        return Reply(status=400, error="scripted provider outage")
    if text == PROMPTS["story"]:
        # far longer than the test needs: it ends only when Stop closes the stream
        return Reply(text="Once upon a time " + "there was a memory. " * 2000,
                     chunk_chars=8, chunk_delay=0.05)
    if text == PROMPTS["second"]:
        return Reply(text="This is the second conversation.")
    if text == PROMPTS["after_reload"]:
        return Reply(text="Still here.")
    if text == PROMPTS["tabs"]:  # project memory asks before an edit lands (approval: ask)
        return Reply(text="Noted for the team.") if after_tool else _project_edit(
            "Nothing recorded yet.", "Indent with tabs.", "record the indentation")
    if text == PROMPTS["semicolons"]:
        return Reply(text="Understood, I left it as it was.") if after_tool else _project_edit(
            "Indent with tabs.", "Indent with tabs. No semicolons.", "record the style")
    if text == PROMPTS["fridays"]:
        return Reply(text="Noted.") if after_tool else _project_edit(
            "Indent with tabs.", "Indent with tabs. Deploy on Fridays.", "record the deploys")
    if text == PROMPTS["ci"]:  # answered "Always" ...
        return Reply(text="Noted, without asking next time.") if after_tool else _project_edit(
            "Indent with tabs.", "Indent with tabs. CI runs on GitHub Actions.", "record the CI")
    if text == PROMPTS["releases"]:  # ... so this one lands without a question
        return Reply(text="Recorded the release tags.") if after_tool else _project_edit(
            "CI runs on GitHub Actions.", "CI runs on GitHub Actions. Releases are tagged vX.Y.Z.",
            "record the release tags")
    return Reply(text="OK.")


@pytest.mark.timeout(1200)  # one code-server session through a dozen user steps, reload included
def test_chat_and_memory_in_code_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the VS Code end-to-end test must run on CI: {missing}")
        pytest.skip(missing)
    ensure_installed(EXTENSION)
    ensure_installed(E2E)
    packaged = subprocess.run(["npm", "run", "package"], cwd=EXTENSION, capture_output=True,
                              text=True, timeout=600)
    assert packaged.returncode == 0, packaged.stdout[-2000:] + packaged.stderr[-2000:]
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    for name in ("MEMFS_MODEL", "MEMFS_API_BASE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / "project"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    (workspace / "src" / "api").mkdir(parents=True)  # a file the scoped memory's CodeLens is on
    (workspace / "src" / "api" / "handler.py").write_text("def handle():\n    return []\n")
    with ScriptedModel() as model:
        model.responder = _respond
        env = {**os.environ, "CODE_SERVER": str(CODE_SERVER),
               "VSIX": str(EXTENSION / "memfs.vsix"), "WORKSPACE": str(workspace),
               "E2E_TMP": str(tmp_path), "CHROMIUM": CHROMIUM, "PORT": str(_free_port()),
               "MODEL_URL": model.url, "API_KEY": API_KEY, "SCREENSHOTS": str(SCREENSHOTS),
               "PROMPTS": json.dumps(PROMPTS), "REJECTION": REJECTION,
               "SERVER_COMMAND": json.dumps([str(Path(sys.executable).parent / "memfs-lsp")])}
        SCREENSHOTS.mkdir(parents=True)
        with (SCREENSHOTS / "run.log").open("w") as log_file:
            done = subprocess.run(["node", str(E2E / "run.mjs")], cwd=E2E, env=env,
                                  stdout=log_file, stderr=subprocess.STDOUT, timeout=1100)
        output = (SCREENSHOTS / "run.log").read_text()
        assert done.returncode == 0 and "E2E OK" in output, output[-6000:]
        sent = [{k.lower(): v for k, v in h.items()}.get("authorization") for h in model.headers]
        requests = list(model.requests)
        asked = [ScriptedModel.last_user_text(r) for r in requests]
    # The key from Configure Model reached the model with every request (through the server's
    # environment), also after a window reload (so the secret storage kept it) ...
    assert PROMPTS["after_reload"] in asked
    assert sent and all(s == f"Bearer {API_KEY}" for s in sent), sent
    # ... and nowhere in settings, the workspace or memfs's own files.
    settings = json.loads((tmp_path / "user-data" / "User" / "settings.json").read_text())
    assert settings["memfs.model"] == "openai/scripted"
    assert settings["memfs.apiBase"] == env["MODEL_URL"]
    for folder in (tmp_path / "user-data" / "User", workspace, Path(os.environ["MEMFS_HOME"])):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".json", ".md", ".db", ".jsonl", ".txt"}:
                assert API_KEY.encode() not in path.read_bytes(), f"the key leaked into {path}"
    root = Path(os.environ["MEMFS_HOME"]) / "agents" / "memory-agent" / "memory"
    log = subprocess.run(["git", "log", "--format=%s"], cwd=root, capture_output=True,
                         text=True).stdout.splitlines()
    assert "remember: team squashes merges" in log and "user greets" in log
    assert not (root / "notes" / "merges.md").exists(), "Revert from the memory log's diff"
    # Project memory: the accepted edit landed in the workspace (uncommitted, for the user to
    # review), the rejected and the withdrawn ones did not, and the model was told the reason.
    project_md = (workspace / ".memfs" / "memory" / "system" / "project.md").read_text()
    assert "Indent with tabs." in project_md
    assert "No semicolons" not in project_md and "Fridays" not in project_md
    assert "Releases are tagged vX.Y.Z." in project_md  # after "Always", without a question
    rejected = [r for r in requests if ScriptedModel.last_user_text(r) == PROMPTS["semicolons"]]
    told = [str(m["content"]) for m in rejected[-1]["messages"] if m.get("role") == "tool"]
    assert told and REJECTION in told[-1], told
    untracked = subprocess.run(["git", "status", "--porcelain"], cwd=workspace,
                               capture_output=True, text=True).stdout
    assert "?? .memfs/" in untracked, untracked
    for name in ("no-model-dark", "chat-dark", "chat-light", "commit-diff-dark", "errors-dark",
                 "approval-dark", "approval-light", "codelens-dark", "memory-tree-dark"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
