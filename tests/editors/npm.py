"""npm for the editor tests: a folder's locked packages, installed once (again when the lock
file changes)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def ensure_installed(folder: Path) -> None:
    """``npm ci`` in ``folder`` unless its node_modules already matches package-lock.json."""
    installed = folder / "node_modules" / ".package-lock.json"
    lock = folder / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is not installed"
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
