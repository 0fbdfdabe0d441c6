"""Path safety: every memory path is normalised here and checked before any read or write.

A memory path is relative to the memory root, uses ``/`` and names a markdown file.
``memory/notes`` and ``/abs/root/notes.md`` both normalise to ``notes.md``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from memfs.errors import InvalidPath

MAX_PATH_CHARS = 512
_FIX = "use a path relative to the memory root, such as 'system/human.md' or 'notes/project.md'"


def normalize(path: str, root: Path | None = None, *, markdown: bool = True) -> str:
    """Return the canonical memory-relative form of ``path`` or raise InvalidPath.

    A leading ``memory/`` is dropped and a missing ``.md`` is added when ``markdown`` is set.
    An absolute path is accepted only when it lies inside ``root``.
    """
    parts = _clean_parts(path, root, allow_hidden=False)
    if parts[0] == "memory":
        parts = parts[1:]
    if not parts:
        raise InvalidPath(f"memory path {path!r} names the memory root, not a file", _FIX)
    if markdown:
        last = parts[-1]
        suffix = PurePosixPath(last).suffix
        if not suffix:
            parts[-1] = last + ".md"
        elif suffix != ".md":
            raise InvalidPath(
                f"memory path {path!r} is not a markdown file", "memory files end in '.md'"
            )
    return "/".join(parts)


def normalize_workspace(path: str, root: Path) -> str:
    """Canonical workspace-relative path ('' for the root): the memory rules, except that
    hidden files such as ``.github/`` are readable (``.git`` never is)."""
    if path.strip() in ("", ".", "/"):
        return ""
    return "/".join(_clean_parts(path, root, allow_hidden=True))


def _clean_parts(path: str, root: Path | None, *, allow_hidden: bool) -> list[str]:
    if not isinstance(path, str) or not path.strip():
        raise InvalidPath("empty path", _FIX)
    if len(path) > MAX_PATH_CHARS:
        raise InvalidPath(f"path longer than {MAX_PATH_CHARS} characters", _FIX)
    if "\x00" in path:
        raise InvalidPath("path contains a NUL byte", _FIX)
    if any(ord(ch) < 32 for ch in path):
        raise InvalidPath("path contains a control character", _FIX)
    if "\\" in path:
        raise InvalidPath(f"path {path!r} contains a backslash", "use '/' between folders")
    if path.startswith("~"):
        raise InvalidPath(f"path {path!r} starts with '~'", _FIX)
    if path.startswith("/"):
        path = _strip_absolute(path, root)
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    if not parts:
        raise InvalidPath(f"path {path!r} names the root, not a file", _FIX)
    for part in parts:
        if part == "..":
            raise InvalidPath(f"path {path!r} climbs out with '..'", _FIX)
        if part.startswith("~"):
            raise InvalidPath(f"path {path!r} has a component starting with '~'", _FIX)
        if part == ".git" or (part.startswith(".") and not allow_hidden):
            raise InvalidPath(f"path {path!r} has a hidden component {part!r}", _FIX)
    return parts


def normalize_folder(path: str, root: Path | None = None) -> str:
    """Canonical form of a folder path inside memory; '' is the root itself."""
    if path.strip() in ("", ".", "/", "memory", "memory/"):
        return ""
    return normalize(path, root, markdown=False)


def _strip_absolute(path: str, root: Path | None) -> str:
    if root is None:
        raise InvalidPath(f"absolute path {path!r} is outside memory", _FIX)
    root_str = os.path.realpath(root)
    candidate = os.path.normpath(path)
    if candidate != root_str and not candidate.startswith(root_str + os.sep):
        raise InvalidPath(f"absolute path {path!r} is outside memory", _FIX)
    return os.path.relpath(candidate, root_str)


def resolve(root: Path, rel: str) -> Path:
    """Absolute path of an already-normalised ``rel`` under ``root``.

    Refuses any symlink along the way (including the final component) and anything
    that would land outside the root.
    """
    current = root
    for part in rel.split("/"):
        current = current / part
        if current.is_symlink():
            raise InvalidPath(
                f"memory path {rel!r} goes through a symlink ({current.name})",
                "memory files and folders must be real files, not links",
            )
    real_root = os.path.realpath(root)
    real = os.path.realpath(current)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidPath(f"memory path {rel!r} resolves outside memory", _FIX)
    return current


def walk(root: Path) -> tuple[list[str], set[str]]:
    """(files, folders) of a memory working tree, memory-relative, skipping hidden entries
    (``.git``) and symlinks."""
    files: list[str] = []
    folders: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not os.path.islink(os.path.join(dirpath, d)))
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if prefix:
            folders.add(rel_dir)
        for name in filenames:
            if not name.startswith(".") and not os.path.islink(os.path.join(dirpath, name)):
                files.append(prefix + name)
    return sorted(files), folders
