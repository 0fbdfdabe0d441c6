"""The ``memfs memory`` CLI contract, driven as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MEMFS = str(Path(sys.executable).parent / "memfs")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMFS, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


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
