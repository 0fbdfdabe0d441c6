"""Issue 14 at the command line: lint, tokens and the AGENTS.md export cover both tiers (with
stale citations, globs matching nothing and expiry), a Letta Code memory imports unchanged and
a Letta export says what it dropped, and an edit that needs approval is refused, with the
reason, when nobody can be asked."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from datetime import date
from pathlib import Path

import pytest

from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.cli.test_memory_cli import MEMFS, run


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
                   cwd=root, capture_output=True, text=True, check=True)


def _project(tmp_path: Path) -> Path:
    """A git workspace with project memory and a scoped, stale file in it."""
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("print('app')\n")
    (ws / "src" / "main.py").write_text("print('main')\n")
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "code")
    made = run("project", "init", cwd=ws)
    assert made.returncode == 0, made.stderr
    (ws / ".memfs" / "memory" / "api.md").write_text(
        "---\ndescription: API rules\npaths: [\"src/api/**\", \"src/*.py\"]\n---\n"
        "The entry point is `src/app.py`.\nSee [[project/system/project]].\n")
    git(ws, "rm", "-q", "src/app.py")
    git(ws, "commit", "-qm", "remove the app")
    return ws


def test_lint_tokens_and_the_agents_md_export_cover_both_tiers(tmp_path: Path) -> None:
    ws = _project(tmp_path)
    done = run("memory", "lint", "--json", cwd=ws)
    findings = {(f["path"], f["code"], f["start_line"]) for f in json.loads(done.stdout)}
    assert ("project/api.md", "unmatched-glob", 3) in findings
    assert ("project/api.md", "stale-citation", 5) in findings
    assert not any(code == "broken-link" for _, code, _ in findings), \
        "a [[project/...]] link resolves in the project tier"
    shown = run("memory", "lint", cwd=ws).stdout
    assert "project/api.md:3: warning: paths glob 'src/api/**' matches no file" in shown
    assert "'src/*.py'" not in shown, "a glob that matches a file is not reported"
    assert "project/api.md:5: warning: cites src/app.py, which no longer exists" in shown
    tokens = run("memory", "tokens", cwd=ws).stdout
    assert "* project/system/project.md" in tokens and "~ project/api.md" in tokens
    assert "* system/persona.md" in tokens
    exported = run("memory", "export", "--format", "agents-md", "-o", "-", cwd=ws).stdout
    assert "## system/persona.md" in exported and "# Project memory" in exported
    assert "## project/api.md" in exported
    assert "_Applies when working on files matching: src/api/**, src/*.py._" in exported
    tree = json.loads(run("memory", "tree", "--json", cwd=ws).stdout)
    api = next(f for f in tree if f["path"] == "project/api.md")
    assert api["tier"] == "project" and api["paths"] == ["src/api/**", "src/*.py"]


def test_a_letta_memory_imports_unchanged_and_a_letta_export_says_what_it_dropped(
    tmp_path: Path
) -> None:
    letta = tmp_path / "letta" / "memory"
    files = {
        "system/persona.md": b"---\ndescription: Who I am\n---\nA careful helper.\n",
        "system/human.md": (b"---\r\ndescription: The user\r\nread_only: true\r\n---\r\n"
                            b"Likes tea.\r\n"),
        "notes/deploy.md": b"---\ndescription: How we deploy\nlimit: 500\n---\nmake ship\n",
    }
    for rel, data in files.items():
        (letta / rel).parent.mkdir(parents=True, exist_ok=True)
        (letta / rel).write_bytes(data)
    done = run("--agent", "letta", "memory", "import", str(letta))
    assert done.returncode == 0, done.stderr
    for rel, data in files.items():
        shown = subprocess.run([MEMFS, "--agent", "letta", "memory", "show", rel],
                               capture_output=True, check=True).stdout
        assert shown == data, rel
    lint = json.loads(run("--agent", "letta", "memory", "lint", "--json").stdout)
    assert lint == [], lint
    store = MemoryStore.open("letta")
    store.create("notes/api.md", "API rules", "Paginate.\n", "scoped note",
                 globs=("src/api/**",), expires=date(2030, 1, 31))
    out = tmp_path / "letta.tar.gz"
    exported = run("--agent", "letta", "memory", "export", "--format", "tar.gz", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "dropped for Letta Code: paths, expires of notes/api.md" in exported.stdout
    with tarfile.open(out) as tar:
        inside = {m.name.removeprefix("memory/"): tar.extractfile(m).read()  # type: ignore[union-attr]
                  for m in tar.getmembers() if m.isfile()}
    for rel, data in files.items():
        assert inside[rel] == data, rel
    assert inside["notes/api.md"] == b"---\ndescription: API rules\n---\nPaginate.\n"


def test_chat_without_a_terminal_refuses_an_edit_that_needs_approval(tmp_path: Path) -> None:
    ws = _project(tmp_path)
    seed = (ws / ".memfs" / "memory" / "system" / "project.md").read_text()
    with ScriptedModel() as model:
        model.script(Reply(tool_calls=[ToolCall("memory", {
            "command": "str_replace", "path": "project/system/project.md",
            "old_text": "Nothing recorded yet.", "new_text": "Tabs.", "reason": "convention"})]),
            "I could not write it.")
        env = {"MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
        done = run("chat", "we use tabs", stdin="", cwd=ws, env=env)
        assert done.returncode == 0, done.stderr
        told = [m["content"] for m in model.requests[1]["messages"] if m["role"] == "tool"]
    assert "project memory edits need approval: run interactively or set approval.project " \
        "to auto" in told[0]
    assert (ws / ".memfs" / "memory" / "system" / "project.md").read_text() == seed


def _converse(argv: list[str], env: dict[str, str], cwd: Path,
              script: list[tuple[bytes, bytes]]) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal: each time the output shows a prompt of ``script``,
    type its answer; returns the exit code and everything shown."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    shown = b""
    steps = list(script)
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
        if steps and steps[0][0] in shown:
            prompt, answer = steps.pop(0)
            shown = shown.replace(prompt, prompt + b"<answered>", 1)
            os.write(fd, answer)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


@pytest.mark.parametrize("warm_worker", [False, True], ids=["in-process", "warm-worker"])
def test_chat_on_a_terminal_asks_and_a_rejection_reaches_the_model_with_its_reason(
    tmp_path: Path, warm_worker: bool
) -> None:
    ws = _project(tmp_path)
    seed = (ws / ".memfs" / "memory" / "system" / "project.md").read_text()
    with ScriptedModel() as model:
        model.script(Reply(tool_calls=[ToolCall("memory", {
            "command": "str_replace", "path": "project/system/project.md",
            "old_text": "Nothing recorded yet.", "new_text": "Tabs.", "reason": "convention"})]),
            "Understood, spaces.")
        env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url,
               "XDG_RUNTIME_DIR": str(tmp_path / "run")}
        (tmp_path / "run").mkdir()
        if warm_worker:
            env.pop("MEMFS_NO_WORKER", None)
        try:
            code, shown = _converse([MEMFS, "chat", "we use tabs"], env, ws, [
                (b"Apply this memory edit?", b"n\r"),
                (b"Why not?", b"we use spaces here\r")])
        finally:
            subprocess.run([MEMFS, "worker", "stop"], env=env, capture_output=True,
                           timeout=30)
        told = [m["content"] for m in model.requests[1]["messages"] if m["role"] == "tool"]
    assert code == 0, shown
    assert "the agent wants to str_replace project/system/project.md" in shown
    assert "+Tabs." in shown, "the diff is shown before the question"
    assert "the user rejected this edit of project/system/project.md: we use spaces here" \
        in told[0]
    assert "Understood, spaces." in shown
    assert (ws / ".memfs" / "memory" / "system" / "project.md").read_text() == seed


def test_always_on_the_terminal_holds_until_memfs_approval_reset(tmp_path: Path) -> None:
    ws = _project(tmp_path)
    project_md = ws / ".memfs" / "memory" / "system" / "project.md"

    def edit(old: str, new: str) -> Reply:
        return Reply(tool_calls=[ToolCall("memory", {
            "command": "str_replace", "path": "project/system/project.md",
            "old_text": old, "new_text": new, "reason": "convention"})])

    with ScriptedModel() as model:
        model.script(edit("Nothing recorded yet.", "Tabs."), "Recorded.",
                     edit("Tabs.", "Tabs, width 4."), "Recorded again.")
        env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
        code, shown = _converse([MEMFS, "chat", "we use tabs"], env, ws, [
            (b"Apply this memory edit?", b"a\r")])
        assert code == 0, shown
        assert "Tabs." in project_md.read_text()
        listed = run("approval", cwd=ws)
        assert "project: auto (you answered 'always' here" in listed.stdout, listed.stdout
        # no terminal now: the edit lands without a question because of 'always'
        again = run("chat", "tab width 4", stdin="", cwd=ws, env=env)
        assert again.returncode == 0, again.stderr
        assert "Tabs, width 4." in project_md.read_text()
    reset = run("approval", "reset", cwd=ws)
    assert reset.returncode == 0 and "reset 'always' for project memory" in reset.stdout
    assert "project: ask" in run("approval", cwd=ws).stdout
    nothing = run("approval", "reset", cwd=ws)
    assert nothing.returncode == 1
    assert "no 'always' answer to reset here" in nothing.stderr
