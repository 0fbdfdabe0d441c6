"""Reading committed trees and blobs for prompt projection without spawning git in the common
case: loose objects are inflated in-process and trees are cached by sha, so after an edit only
the trees along the edited path and the changed blob are read. Packed objects (after git's
auto-gc, a clone or a restore) are read in bulk with one ``git ls-tree`` / ``cat-file``."""

from __future__ import annotations

import os
import re
import threading
import zlib
from pathlib import Path

from memfs.git import Git

_TREE_ENTRY = re.compile(rb"(\d+) ([^\0]*)\0(.{20})", re.DOTALL)
_TREE_MODE = b"40000"
_BLOB_MODES = (b"100644", b"100755", b"100664")
_MAX_TREES = 50_000
_LIST_LOOSE_AT = 64  # from this many blobs, list the loose-object folders instead of probing


class _Packed(Exception):
    """An object is not loose; read it through git instead."""


class ObjectReader:
    """Commits, trees and blobs of one repository."""

    def __init__(self, common_dir: Path) -> None:
        self._objects = str(common_dir / "objects") + os.sep
        self._git = Git(common_dir)
        # Named, not discovered from the working folder: under the hardening setting
        # safe.bareRepository=explicit, git (2.39, unlike releases since 2024) refuses a
        # repository found from inside its .git folder.
        self._env = {"GIT_DIR": str(common_dir)}
        self._trees: dict[str, list[tuple[bytes, str, str]]] = {}
        self._lock = threading.Lock()

    def files(self, commit: str) -> list[tuple[str, str]]:
        """(path, blob sha) of every regular file in ``commit``."""
        with self._lock:
            try:
                data = self._loose(commit)
                if not data.startswith(b"tree "):
                    raise ValueError(f"{commit} is not a commit")
                found: list[tuple[str, str]] = []
                self._walk(data[5:45].decode(), "", found)
                return found
            except _Packed:
                return self._ls_tree(commit)

    def subject(self, commit: str) -> str | None:
        """The first line of ``commit``'s message, as ``history.log`` gives it (None for a
        message in another encoding than UTF-8, which ``git log`` would convert)."""
        with self._lock:
            try:
                data = self._loose(commit)
            except _Packed:
                data = self._git.run("cat-file", "commit", commit, env=self._env)
        headers, _, message = data.partition(b"\n\n")
        if any(line.startswith(b"encoding ") for line in headers.split(b"\n")):
            return None
        lines = message.decode("utf-8", "replace").strip().splitlines()
        return lines[0] if lines else ""

    def blobs(self, shas: list[str]) -> dict[str, bytes]:
        """Contents of many blobs: loose ones directly, the rest with one ``cat-file``."""
        found: dict[str, bytes] = {}
        packed: list[str] = []
        loose = self._loose_names() if len(shas) >= _LIST_LOOSE_AT else None
        for sha in shas:
            if loose is not None and sha not in loose:
                packed.append(sha)
                continue
            try:
                found[sha] = self._loose(sha)
            except _Packed:
                packed.append(sha)
        if packed:
            found.update(self._cat_file(packed))
        return found

    def _loose(self, sha: str) -> bytes:
        try:
            with open(f"{self._objects}{sha[:2]}{os.sep}{sha[2:]}", "rb") as handle:
                raw = zlib.decompress(handle.read())
        except FileNotFoundError:
            raise _Packed(sha) from None
        return raw[raw.index(b"\0") + 1 :]

    def _loose_names(self) -> set[str] | None:
        """The sha of every loose object, or None when nothing is packed yet (after git's gc
        most objects are packed: listing the fan-out folders then costs less than probing
        for each of thousands of blobs)."""
        try:
            if not any(name.endswith(".pack") for name in os.listdir(self._objects + "pack")):
                return None
            folders = [entry.name for entry in os.scandir(self._objects)
                       if len(entry.name) == 2 and entry.is_dir()]
        except FileNotFoundError:
            return None
        names: set[str] = set()
        for folder in folders:
            try:
                names.update(folder + rest for rest in os.listdir(self._objects + folder))
            except FileNotFoundError:  # emptied and removed by a concurrent gc
                continue
        return names

    def _walk(self, tree: str, prefix: str, found: list[tuple[str, str]]) -> None:
        entries = self._trees.get(tree)
        if entries is None:
            entries = [(mode, name.decode("utf-8", "surrogateescape"), sha.hex())
                       for mode, name, sha in _TREE_ENTRY.findall(self._loose(tree))]
            if len(self._trees) >= _MAX_TREES:
                self._trees.clear()
            self._trees[tree] = entries
        for mode, name, sha in entries:
            if mode == _TREE_MODE:
                self._walk(sha, f"{prefix}{name}/", found)
            elif mode in _BLOB_MODES:
                found.append((prefix + name, sha))

    def _ls_tree(self, commit: str) -> list[tuple[str, str]]:
        out = self._git.run("ls-tree", "-r", "-z", "--full-tree", commit, env=self._env)
        found: list[tuple[str, str]] = []
        for record in out.split(b"\0"):
            meta, _, path = record.partition(b"\t")
            fields = meta.split()
            if len(fields) == 3 and fields[1] == b"blob" and fields[0] in _BLOB_MODES:
                found.append((path.decode("utf-8", "surrogateescape"), fields[2].decode()))
        return found

    def _cat_file(self, shas: list[str]) -> dict[str, bytes]:
        out = self._git.run("cat-file", "--batch", "--buffer",
                            input=("\n".join(shas) + "\n").encode(), env=self._env)
        blobs: dict[str, bytes] = {}
        pos = 0
        while pos < len(out):
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3:
                size = int(header[2])
                blobs[header[0].decode()] = out[pos : pos + size]
                pos += size + 1
        return blobs


_READERS: dict[str, ObjectReader] = {}
_READERS_LOCK = threading.Lock()


def reader_for(common_dir: Path) -> ObjectReader:
    """The shared reader of one repository (one per process)."""
    key = str(common_dir)
    with _READERS_LOCK:
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = ObjectReader(common_dir)
        return reader
