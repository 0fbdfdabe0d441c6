"""The command's workspace, and the notes about its settings a command prints before it runs
(light to import: no agent runtime, no pydantic)."""

from __future__ import annotations

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
    done = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True)
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def setting_notes(problems: list[str], withheld: list[Withheld],
                  workspace: Path | None) -> list[str]:
    """Settings problems, and withheld project settings the command goes on without."""
    notes = list(problems)
    for item in withheld:
        if item.applies and item.field not in REFUSED_AT_USE:
            notes.append(f"{item.file} sets '{item.key}', not applied because this folder is "
                         f"not trusted ('memfs trust {workspace}' trusts it)")
    return notes
