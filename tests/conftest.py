"""Shared fixtures: every test gets its own MEMFS_HOME and an isolated git environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.model_server import ScriptedModel


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private MEMFS_HOME, and a HOME whose git config cannot leak into memory commits."""
    home = tmp_path / "memfs-home"
    monkeypatch.setenv("MEMFS_HOME", str(home))
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user_home / ".config"))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.setenv("MEMFS_NO_WORKER", "1")  # tests of the warm worker opt back in
    return home


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedModel]:
    """A scripted OpenAI-compatible server; the environment (inherited by any server or CLI
    process a test starts) points memfs at it through litellm."""
    with ScriptedModel() as server:
        monkeypatch.setenv("MEMFS_MODEL", "openai/scripted")
        monkeypatch.setenv("MEMFS_API_BASE", server.url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty project folder."""
    root = tmp_path / "project"
    root.mkdir()
    return root
