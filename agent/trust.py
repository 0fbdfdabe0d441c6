"""Trusted folders: projects whose own settings may choose where requests (and keys) go.

Settings read from a project folder (``<ws>/.memfs/settings*.json``) are untrusted input: a
cloned repository wrote them. Until the user trusts the folder, only harmless keys apply
(see ``agent.setting_layers.SAFE_KEYS``). Trust is the user's decision, so it is kept with the
user's own configuration, ``$XDG_CONFIG_HOME/memfs/trusted-folders.json``, by real path: no project
can write there, and every data home (``MEMFS_HOME``) sees the same answer.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from memfs.errors import MemfsError

FILE = "trusted-folders.json"


class ProjectNotTrusted(MemfsError):
    """A command would use a setting withheld from an untrusted project folder."""

    code = "untrusted-project"

    def __init__(self, file: str, key: str, folder: Path) -> None:
        super().__init__(
            f"{file} sets '{key}', which is not applied because this folder is not trusted",
            f"trust the folder with 'memfs trust {folder}', or remove the setting")
        self.file = file
        self.key = key
        self.folder = folder


@dataclass(frozen=True)
class TrustedFolder:
    """One folder the user trusted, and when (Unix time)."""

    path: str
    since: float


def trust_file() -> Path:
    """``$XDG_CONFIG_HOME/memfs/trusted-folders.json`` (beside the user settings file)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "memfs" / FILE


def real(folder: Path | str) -> str:
    """The key a folder is trusted under: its real path."""
    return str(Path(folder).expanduser().resolve())


def trusted_folders() -> list[TrustedFolder]:
    """Every trusted folder (an unreadable file trusts nothing)."""
    try:
        data = json.loads(trust_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("folders") if isinstance(data, dict) else None
    return [TrustedFolder(str(i["path"]), float(i.get("since") or 0)) for i in items or []
            if isinstance(i, dict) and isinstance(i.get("path"), str)]


def is_trusted(folder: Path | str) -> bool:
    """Whether the user trusted exactly this folder."""
    key = real(folder)
    return any(t.path == key for t in trusted_folders())


def trust(folder: Path | str) -> TrustedFolder:
    """Trust a folder (idempotent)."""
    key = real(folder)
    folders = trusted_folders()
    for existing in folders:
        if existing.path == key:
            return existing
    added = TrustedFolder(key, time.time())
    _write([*folders, added])
    return added


def revoke(folder: Path | str) -> bool:
    """Stop trusting a folder; False when it was not trusted."""
    key = real(folder)
    folders = trusted_folders()
    kept = [t for t in folders if t.path != key]
    if len(kept) == len(folders):
        return False
    _write(kept)
    return True


def _write(folders: list[TrustedFolder]) -> None:
    import tempfile  # only to write (reading trust is on every command's path)

    path = trust_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"folders": [{"path": t.path, "since": t.since} for t in folders]}
    fd, tmp = tempfile.mkstemp(prefix=f".{FILE}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
