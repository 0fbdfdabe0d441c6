"""An isolated environment for agent benchmarks: a private data home and config folder, and
the scripted model server of the tests reached through litellm."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MODEL = "openai/scripted"
UNUSED_API_BASE = "http://127.0.0.1:9/v1"  # for benchmarks that make no model call
_CLEARED = ("OPENAI_API_KEY", "MEMFS_CONTEXT_WINDOW", "MEMFS_NO_WORKER", "MEMFS_AGENT")


def agent_vars(root: Path, api_base: str) -> dict[str, str]:
    """The variables that point memfs at ``root`` and the model server at ``api_base``."""
    return {"MEMFS_HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "config"),
            "MEMFS_MODEL": MODEL, "MEMFS_API_BASE": api_base}


@contextmanager
def agent_env(root: Path, api_base: str) -> Iterator[dict[str, str]]:
    """Set ``agent_vars`` in ``os.environ`` for the block (restored after); yields the env."""
    saved = dict(os.environ)
    os.environ.update(agent_vars(root, api_base))
    for key in _CLEARED:
        os.environ.pop(key, None)
    try:
        yield dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)
