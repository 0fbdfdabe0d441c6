"""The command's workspace, and the notes about its settings a command prints before it runs
(light to import: no agent runtime, no pydantic)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from agent.setting_layers import Withheld

if TYPE_CHECKING:
    import argparse

REFUSED_AT_USE = ("model", "api_base")  # a command that would use them refuses instead


def workspace_of(args: argparse.Namespace) -> Path | None:
    """``--workspace``, else the git top level of the current folder, else none."""
    if getattr(args, "workspace", None):
        return Path(args.workspace).resolve()
    if not _git_may_find_a_repo():
        return None  # what git would answer, without its process
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True)
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def _git_may_find_a_repo() -> bool:
    """False only where git's discovery has nothing to find: no variable pointing git at a
    repository, and neither the current folder nor any folder above it holds a ``.git`` (a
    repository) or a ``HEAD`` (a git directory itself). Anything else asks git."""
    if any(os.environ.get(name) for name in _POINTERS):
        return True
    try:
        folder = os.getcwd()
    except OSError:
        return True
    while True:
        if os.path.lexists(os.path.join(folder, ".git")) or \
                os.path.lexists(os.path.join(folder, "HEAD")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


_POINTERS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG_PARAMETERS",
             "GIT_CONFIG_COUNT")


def setting_notes(problems: list[str], withheld: list[Withheld],
                  workspace: Path | None) -> list[str]:
    """Settings problems, and withheld project settings the command goes on without."""
    notes = list(problems)
    for item in withheld:
        if item.applies and item.field not in REFUSED_AT_USE:
            notes.append(f"{item.file} sets '{item.key}', not applied because this folder is "
                         f"not trusted ('memfs trust {workspace}' trusts it)")
    return notes
