"""Fixtures for memfs tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from memfs.store import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    """The default agent's freshly created memory."""
    return MemoryStore.open(create=True)


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return stdout (test helper, independent of memfs)."""
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return done.stdout.decode("utf-8")


def commit_count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def head_message(root: Path) -> str:
    return git(root, "log", "-1", "--format=%B").strip()
