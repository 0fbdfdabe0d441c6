"""The ``memfs`` command starts light: ``memfs --version`` answers before any command module
(agent, git, pydantic) is loaded; ``memfs memory status`` loads no model client."""

from __future__ import annotations

import json
import os
import shlex
import shutil
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


LIGHT = """
import sys
from memfs_cli.main import main
code = main(["memory", "status"])
heavy = [m for m in ("pydantic", "agent.settings", "agent.runtime", "yaml", "xml.sax.saxutils",
                     "memfs.history", "argparse", "tempfile", "shutil") if m in sys.modules]
print("exit", code, "loaded", heavy)
"""


def _env(tmp_path: Path, user_settings: dict[str, object]) -> dict[str, str]:
    config = tmp_path / "config"
    (config / "memfs").mkdir(parents=True)
    (config / "memfs" / "settings.json").write_text(json.dumps(user_settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMFS_")}
    env.update({"MEMFS_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(config),
                "MEMFS_NO_WORKER": "1"})
    return env


def test_memory_status_loads_no_settings_model_and_no_yaml(tmp_path: Path) -> None:
    """Plain settings (and a cloned project's withheld ``agent``) are resolved without the
    settings model (pydantic), the agent runtime or PyYAML, with the same notes and agent; the
    command line is read without argparse, and git runs without tempfile (or shutil)."""
    workspace = tmp_path / "workspace"
    (workspace / ".memfs").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    (workspace / ".memfs" / "settings.json").write_text(json.dumps(
        {"agent": "cloned-agent", "maxSteps": 5}))
    env = _env(tmp_path, {"model": "openai/gpt-4o", "maxSteps": 30, "requestTimeout": 60,
                          "sleeptime": {"trigger": "off"}, "approval": {"personal": "ask"}})
    for _ in range(2):  # the first creates the default agent's memory
        done = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True,
                              timeout=120, cwd=workspace, env=env)
        assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "agent:   memory-agent", "the untrusted project's agent is not used"
    assert lines[-1] == "exit 0 loaded []"
    assert done.stderr == (
        f"memfs: warning: {workspace / '.memfs' / 'settings.json'} sets 'agent', not applied "
        f"because this folder is not trusted ('memfs trust {workspace}' trusts it)\n")


def test_a_setting_only_the_model_can_judge_is_reported_as_before(tmp_path: Path) -> None:
    """A value the light reader cannot vouch for sends ``memory status`` through the full
    settings load: the bad setting is named with its source, and the command goes on."""
    env = _env(tmp_path, {"maxSteps": 0, "agent": "memory-agent"})
    done = subprocess.run([sys.executable, "-m", "memfs_cli.main", "memory", "status"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("agent:   memory-agent\n")
    settings = tmp_path / "config" / "memfs" / "settings.json"
    assert done.stderr == (f"memfs: warning: setting 'maxSteps' from {settings}: Input should "
                           "be greater than or equal to 1; using its default\n")


def _logging_git(tmp_path: Path, env: dict[str, str]) -> Path:
    """A ``git`` first on PATH that records its arguments, then runs the real git."""
    real = shutil.which("git")
    assert real is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "git.log"
    script = folder / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(log))}\n'
                      f'exec {shlex.quote(real)} "$@"\n')
    script.chmod(0o755)
    env["PATH"] = f"{folder}{os.pathsep}{env['PATH']}"
    return log


def test_memory_status_outside_a_repository_asks_git_only_about_memory(tmp_path: Path) -> None:
    """From a folder in no git repository, ``memory status`` finds no workspace without
    asking git (no ``rev-parse``), nor asks git for a remote no config names; from a
    subfolder of a repository it still finds the top level (its untrusted project setting is
    named there) as git does."""
    env = _env(tmp_path, {})
    log = _logging_git(tmp_path, env)
    outside = tmp_path / "outside"
    outside.mkdir()
    done = subprocess.run([sys.executable, "-m", "memfs_cli.main", "memory", "status"],
                          capture_output=True, text=True, timeout=120, cwd=outside, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("agent:   memory-agent\n")
    assert done.stderr == ""
    assert "rev-parse --show-toplevel" not in log.read_text()
    assert "remote get-url" not in log.read_text(), "no config names a remote"

    project = tmp_path / "project"
    (project / ".memfs").mkdir(parents=True)
    (project / "src").mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".memfs" / "settings.json").write_text(json.dumps({"agent": "cloned-agent"}))
    log.unlink()
    done = subprocess.run([sys.executable, "-m", "memfs_cli.main", "memory", "status"],
                          capture_output=True, text=True, timeout=120, cwd=project / "src",
                          env=env)
    assert done.returncode == 0, done.stderr
    assert "rev-parse --show-toplevel" in log.read_text()
    assert done.stderr == (
        f"memfs: warning: {project / '.memfs' / 'settings.json'} sets 'agent', not applied "
        f"because this folder is not trusted ('memfs trust {project}' trusts it)\n")


def test_memory_status_names_an_origin_only_an_included_config_sets(tmp_path: Path) -> None:
    """A remote git sees (here through an ``include`` in the memory repository's config) is
    reported as before: only a config that cannot name one spares git's answer."""
    env = _env(tmp_path, {})
    command = [sys.executable, "-m", "memfs_cli.main", "memory", "status"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=env)  # creates the default agent's memory
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "remote:  none"
    included = tmp_path / "extra.inc"
    included.write_text('[remote "origin"]\n\turl = /elsewhere/memory.git\n')
    config = tmp_path / "home" / "agents" / "memory-agent" / "memory" / ".git" / "config"
    with config.open("a") as out:
        out.write(f"[include]\n\tpath = {included}\n")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("remote:  /elsewhere/memory.git ("), \
        done.stdout
