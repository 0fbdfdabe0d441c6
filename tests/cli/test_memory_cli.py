"""The ``memfs memory`` CLI contract, driven as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MEMFS = str(Path(sys.executable).parent / "memfs")


def run(*args: str, stdin: str | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMFS, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd, env={**os.environ, **(env or {})})


def test_write_show_log_roundtrip() -> None:
    done = run("memory", "write", "projects/alpha", "--description", "Alpha notes",
               "--reason", "add alpha", stdin="Uses pytest.\n")
    assert done.returncode == 0, done.stderr
    shown = run("memory", "show", "projects/alpha.md")
    assert shown.stdout == "---\ndescription: Alpha notes\n---\nUses pytest.\n"
    log = json.loads(run("memory", "log", "--json").stdout)
    assert log[0]["message"] == "add alpha" and log[0]["paths"] == ["projects/alpha.md"]
    only = json.loads(run("memory", "log", "projects/alpha", "--json").stdout)
    assert [e["message"] for e in only] == ["add alpha"]
    first = log[-1]["commit"]
    assert "Nothing recorded" in run("memory", "show", "system/human", "--rev", first).stdout


def test_rm_mv_and_tree_json() -> None:
    run("memory", "write", "a", "--description", "A", "--reason", "add", stdin="x\n")
    assert run("memory", "mv", "a", "archive/a", "--reason", "move").returncode == 0
    tree = json.loads(run("memory", "tree", "--json").stdout)
    paths = {entry["path"]: entry for entry in tree}
    assert "archive/a.md" in paths and "a.md" not in paths
    assert paths["system/human.md"]["in_context"] is True
    assert paths["archive/a.md"]["description"] == "A"
    assert run("memory", "rm", "archive/a", "--reason", "drop").returncode == 0
    assert "archive/a.md" not in run("memory", "tree").stdout


def test_refusals_are_one_line_with_a_fix() -> None:
    cases = [
        run("memory", "show", "../../etc/passwd"),
        run("memory", "rm", "missing", "--reason", "x"),
        run("memory", "write", "k", "--description", "d", "--reason", "r",
            stdin="AKIAIOSFODNN7EXAMPLE\n"),
        run("memory", "revert", "deadbeef"),
        run("--agent", "nobody", "memory", "status"),
        run("memory", "restore", "/nonexistent.bundle"),
    ]
    for done in cases:
        assert done.returncode == 1, done
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("memfs: ")
        assert "(" in done.stderr, "every refusal says how to fix it"
    assert "AKIA" not in cases[2].stderr
    usage = run("memory", "write", "x")
    assert usage.returncode == 2


def test_status_prompt_tokens_and_lint_json() -> None:
    status = json.loads(run("memory", "status", "--json").stdout)
    assert status["agent"] == "memory-agent" and status["dirty"] == []
    assert status["remote"]["state"] == "no-remote"
    prompt = run("memory", "prompt").stdout
    assert prompt.startswith("<memory ") and "<memory_system>" in prompt
    tokens = json.loads(run("memory", "tokens", "--json").stdout)
    assert tokens["system_tokens"] == status["system_tokens"]
    assert json.loads(run("memory", "lint", "--json").stdout) == []
    root = Path(status["path"])
    (root / "bad.md").write_text("no frontmatter\n")
    lint = run("memory", "lint", "--json")
    assert lint.returncode == 1
    assert json.loads(lint.stdout)[0]["code"] == "invalid-frontmatter"
    assert json.loads(run("memory", "status", "--json").stdout)["dirty"] == ["bad.md"]


def test_packed_memory_reads_under_git_hardening() -> None:
    """A user whose git config refuses implicit bare repositories (safe.bareRepository=
    explicit) still reads memory once git has packed it (auto gc, a restore, a clone)."""
    subprocess.run(["git", "config", "--global", "safe.bareRepository", "explicit"],
                   check=True)
    run("memory", "write", "notes/a", "--description", "A", "--reason", "add a", stdin="x\n")
    root = json.loads(run("memory", "status", "--json").stdout)["path"]
    subprocess.run(["git", "-C", root, "gc", "-q"], check=True, capture_output=True)
    status = run("memory", "status")
    assert status.returncode == 0, status.stderr
    assert "(add a)" in status.stdout
    tree = json.loads(run("memory", "tree", "--json").stdout)
    assert "notes/a.md" in {entry["path"] for entry in tree}


def test_search_backup_export_remote(tmp_path: Path) -> None:
    run("memory", "write", "n", "--description", "N", "--reason", "r", stdin="find me\n")
    hits = json.loads(run("memory", "search", "FIND", "--json").stdout)["hits"]
    assert hits == [{"path": "n.md", "line": 4, "text": "find me"}]
    assert run("memory", "search", "absent").returncode == 1
    backup = run("memory", "backup", "--json")
    bundle = json.loads(backup.stdout)["path"]
    assert run("memory", "restore", bundle).returncode == 1
    assert run("memory", "restore", bundle, "--force").returncode == 0
    out = tmp_path / "AGENTS.md"
    assert run("memory", "export", "--format", "agents-md", "-o", str(out)).returncode == 0
    assert "find me" in out.read_text()
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    assert run("memory", "remote", "set", str(bare)).returncode == 0
    pushed = json.loads(run("memory", "remote", "push", "--json").stdout)
    assert pushed["state"] == "in-sync"


def test_other_agents_and_letta_import(tmp_path: Path) -> None:
    assert run("--agent", "work", "memory", "init").returncode == 0
    run("--agent", "work", "memory", "write", "w", "--description", "W", "--reason", "r",
        stdin="work only\n")
    assert "w.md" not in run("memory", "tree").stdout
    src = tmp_path / "letta"
    (src / "system").mkdir(parents=True)
    (src / "system" / "persona.md").write_text("---\ndescription: Me\n---\nLetta.\n")
    done = run("--agent", "letta", "memory", "import", str(src))
    assert done.returncode == 0, done.stderr
    assert "Letta." in run("--agent", "letta", "memory", "prompt").stdout


def test_export_never_replaces_a_file_without_force(tmp_path: Path) -> None:
    run("memory", "write", "n", "--description", "N", "--reason", "r", stdin="exported\n")
    mine = tmp_path / "CLAUDE.md"
    mine.write_text("# My own instructions\n")
    refused = run("memory", "export", "--format", "claude-md", "-o", str(mine))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"{mine} already exists" in refused.stderr and "not written by memfs" in refused.stderr
    assert "--force" in refused.stderr and "-o -" in refused.stderr
    assert mine.read_text() == "# My own instructions\n"
    (tmp_path / "AGENTS.md").write_text("hand-written\n")
    assert run("memory", "export", "--format", "agents-md", cwd=tmp_path).returncode == 1
    assert (tmp_path / "AGENTS.md").read_text() == "hand-written\n"
    printed = run("memory", "export", "--format", "claude-md", "-o", "-", cwd=tmp_path)
    assert printed.returncode == 0 and printed.stdout.startswith("# Memory of")
    assert "exported\n" in printed.stdout
    assert mine.read_text() == "# My own instructions\n"
    forced = run("memory", "export", "--format", "claude-md", "-o", str(mine), "--force")
    assert forced.returncode == 0 and "exported\n" in mine.read_text()
    again = run("memory", "export", "--format", "claude-md", "-o", str(mine))
    assert again.returncode == 1 and "an earlier memfs export" in again.stderr


def _letta_memory(root: Path, text: str) -> Path:
    (root / "system").mkdir(parents=True)
    (root / "system" / "persona.md").write_text(f"---\ndescription: Me\n---\n{text}\n")
    return root


def test_import_into_a_new_agent_creates_that_agent(tmp_path: Path) -> None:
    src = _letta_memory(tmp_path / "letta", "Letta persona.")
    done = run("--agent", "imported", "memory", "import", str(src))
    assert done.returncode == 0, done.stderr
    agents = json.loads(run("agent", "list", "--json").stdout)
    assert "imported" in [a["id"] for a in agents]
    assert "Letta persona." in run("--agent", "imported", "memory", "prompt").stdout
    assert run("--agent", "nobody", "memory", "tree").returncode == 1


def test_import_finds_letta_code_memories_where_letta_keeps_them(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    _letta_memory(home / ".letta" / "agents" / "agent-server1" / "memory", "Server mode.")
    backend = tmp_path / "letta-local"
    _letta_memory(backend / "memfs" / "agent-local1" / "memory", "Local mode.")
    env = {"LETTA_LOCAL_BACKEND_DIR": str(backend)}
    listed = run("memory", "import", "--list", env=env)
    assert listed.returncode == 0
    assert "agent-server1" in listed.stdout and "(server mode)" in listed.stdout
    assert "agent-local1" in listed.stdout and "(local mode)" in listed.stdout
    done = run("--agent", "from-local", "memory", "import", "agent-local1", env=env)
    assert done.returncode == 0, done.stderr
    assert "Local mode." in run("--agent", "from-local", "memory", "prompt").stdout
    default_backend = run("--agent", "from-home", "memory", "import", "agent-server1")
    assert default_backend.returncode == 0, default_backend.stderr
    missing = run("--agent", "x", "memory", "import", "agent-nowhere", env=env)
    assert missing.returncode == 1 and "--list" in missing.stderr


def test_memory_commands_follow_the_workspace_agent(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    work = json.loads(run("agent", "create", "Work", "--json").stdout)["id"]
    assert run("--agent", work, "conversation", "new", cwd=ws).returncode == 0  # binds Work
    done = run("memory", "write", "notes/w", "--description", "W", "--reason", "r",
               stdin="work only\n", cwd=ws)
    assert done.returncode == 0, done.stderr
    def paths(agent: str) -> list[str]:
        return [e["path"] for e in json.loads(run("--agent", agent, "memory", "tree",
                                                  "--json").stdout)]

    assert "notes/w.md" in paths(work)
    assert "notes/w.md" not in paths("memory-agent")
    assert json.loads(run("memory", "status", "--json", cwd=ws).stdout)["agent"] == work
    assert json.loads(run("memory", "status", "--json", cwd=tmp_path).stdout)["agent"] == (
        "memory-agent")
