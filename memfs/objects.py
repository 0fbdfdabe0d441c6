"""Reading committed trees and blobs in-process through gitdb (GitPython's object database),
so that prompt projection runs no git process. Trees are cached by sha: after an edit only the
trees along the edited path are read again."""

from __future__ import annotations

import os
import re
import threading
import zlib
from pathlib import Path

from gitdb import GitDB
from gitdb.util import hex_to_bin

_TREE_ENTRY = re.compile(rb"(\d+) ([^\0]*)\0(.{20})", re.DOTALL)
_TREE_MODE = b"40000"
_BLOB_MODES = (b"100644", b"100755", b"100664")
_MAX_TREES = 50_000


class ObjectReader:
    """Commits, trees and blobs of one repository, read without spawning git."""

    def __init__(self, git_dir: Path) -> None:
        self._objects = str(git_dir / "objects") + os.sep
        self._db = GitDB(self._objects)
        self._trees: dict[str, list[tuple[bytes, str, str]]] = {}
        self._lock = threading.Lock()

    def files(self, commit: str) -> list[tuple[str, str]]:
        """(path, blob sha) of every regular file in ``commit``, in git's tree order."""
        with self._lock:
            self._db.update_cache()
            data = self._read(commit)
            if not data.startswith(b"tree "):
                raise ValueError(f"{commit} is not a commit")
            root = data[5:45].decode()
            found: list[tuple[str, str]] = []
            self._walk(root, "", found)
            return found

    def blob(self, sha: str) -> bytes:
        """A blob's bytes."""
        with self._lock:
            return self._read(sha)

    def _read(self, sha: str) -> bytes:
        """An object's content: loose objects are inflated directly (the common case, and
        several times faster than the generic path); packed ones go through gitdb."""
        try:
            with open(f"{self._objects}{sha[:2]}{os.sep}{sha[2:]}", "rb") as handle:
                raw = zlib.decompress(handle.read())
        except FileNotFoundError:
            return bytes(self._db.stream(hex_to_bin(sha)).read())
        return raw[raw.index(b"\0") + 1 :]

    def _walk(self, tree: str, prefix: str, found: list[tuple[str, str]]) -> None:
        entries = self._trees.get(tree)
        if entries is None:
            entries = [(mode, name.decode("utf-8", "surrogateescape"), sha.hex())
                       for mode, name, sha in _TREE_ENTRY.findall(self._read(tree))]
            if len(self._trees) >= _MAX_TREES:
                self._trees.clear()
            self._trees[tree] = entries
        for mode, name, sha in entries:
            if mode == _TREE_MODE:
                self._walk(sha, f"{prefix}{name}/", found)
            elif mode in _BLOB_MODES:
                found.append((prefix + name, sha))


_READERS: dict[str, ObjectReader] = {}
_READERS_LOCK = threading.Lock()


def reader_for(git_dir: Path) -> ObjectReader:
    """The shared reader of one repository (one per process)."""
    key = str(git_dir)
    with _READERS_LOCK:
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = ObjectReader(git_dir)
        return reader
