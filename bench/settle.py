"""Let git's detached auto-gc finish before a repo is timed.

A commit that leaves more than ``gc.auto`` loose objects (10,000-file corpora do) starts
``git gc --auto`` in the background; it packs and deletes loose objects while the benchmark
reads them. Waiting for it (and then packing in the foreground if still due) makes the
timed state deterministic.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.corpus import git_env

POLL_S = 0.1


def settle(root: Path, timeout: float = 180.0) -> None:
    """Block until no gc runs in the repository at ``root`` and none is due."""
    lock = root / ".git" / "gc.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while lock.exists() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        subprocess.run(["git", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"],
                       cwd=root, env=git_env(), capture_output=True, check=False)
        time.sleep(POLL_S)
        if not lock.exists():
            return
