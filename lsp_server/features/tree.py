"""The ``memfs/tree`` answer, encoded once per memory state.

A 1,000-file tree is ~0.5 MB of JSON: building and encoding it cost ~10 ms of CPU per request
and ~2,000 short-lived objects whose collection stalled the event loop. The answer is a pure
function of the cached pieces it is built from: the agent's projection (cached by memory root,
HEAD and day), its files' last changes (by HEAD), and with project memory that tier's
projection (by each file's mtime and size, and the day) and last changes (by the workspace's
HEAD and those files). The encoded answer is kept with the very objects it was built from and
served again only while every one of them is still the current one, so a commit, an edit on
disk, a workspace commit or a new day (each of which makes a new object) rebuilds it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsp_server.wire import Encoded, to_wire
from memfs import history
from memfs import project as shared_memory
from memfs.projection import FileEntry, project
from memfs.repo import MemoryRepo

if TYPE_CHECKING:
    from agent.runtime import Runtime

MAX_ANSWERS = 8  # (memory, project memory) pairs whose last answer is kept
_ANSWERS: dict[tuple[str, str | None], tuple[tuple[object, ...], Encoded]] = {}


def answer(runtime: Runtime) -> Encoded:
    """Every committed memory file with description, size, tokens, in-context flag and last
    change (when, by whom, which commit); then the project memory's files as they are on
    disk (paths under ``project/``), with ``tier``, scope (``globs``) and expiry on both.
    Blocking (git and file reads on a change): call it off the event loop."""
    today = date.today()
    store = runtime.memory(runtime.agent())
    projection = project(store.repo, today=today)
    changes = _last_changes(store.repo, projection.head)
    shared = runtime.project_memory()
    team = shared.projection(today=today) if shared is not None else None
    touched = (shared_memory.last_changes(shared, team.head)
               if shared is not None and team is not None else None)
    key = (str(store.root), str(shared.root) if shared is not None else None)
    inputs = (projection, changes, team, touched)
    cached = _ANSWERS.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], inputs, strict=True)):
        return cached[1]
    root = str(store.root)
    files = [_file(f, "personal", _uri(root, f.path), changes.get(f.path))
             for f in projection.files]
    about = None
    if shared is not None and team is not None and touched is not None:
        for f in team.files:
            rel = f.path.removeprefix(shared_memory.PREFIX)
            files.append(_file(f, "project", _uri(str(shared.root), rel),
                               to_wire(touched.get(rel))))
        about = {"root": str(shared.root), "systemTokens": team.system_tokens}
    encoded = Encoded({"root": root, "head": projection.head,
                       "systemTokens": projection.system_tokens, "files": files,
                       "project": about})
    _ANSWERS.pop(key, None)
    _ANSWERS[key] = (inputs, encoded)  # holding the inputs keeps ``is`` meaningful
    while len(_ANSWERS) > MAX_ANSWERS:
        del _ANSWERS[next(iter(_ANSWERS))]
    return encoded


@lru_cache(maxsize=65_536)
def _uri(root: str, rel: str) -> str:
    """A memory file's ``file://`` URI (pathlib's quoting costs ~10 us a file)."""
    return (Path(root) / rel).as_uri()


def _file(entry: FileEntry, tier: str, uri: str, change: Any) -> dict[str, Any]:
    return {"path": entry.path, "description": entry.description, "size": entry.size,
            "tokens": entry.tokens, "inContext": entry.in_context, "uri": uri,
            "lastChange": change, "tier": tier, "globs": list(entry.globs),
            "expires": entry.expires, "expired": entry.expired}


_WIRE_CHANGES: dict[str, tuple[str, dict[str, Any]]] = {}  # git dir -> (head, by path)


def _last_changes(repo: MemoryRepo, head: str) -> dict[str, Any]:
    """Each file's last change as wire JSON, converted once per HEAD (the same dict while
    HEAD stays, so the answer above can be reused)."""
    cached = _WIRE_CHANGES.get(str(repo.common_dir))
    if cached is None or cached[0] != head:
        cached = (head, {path: to_wire(change)
                         for path, change in history.last_changes(repo, head).items()})
        _WIRE_CHANGES[str(repo.common_dir)] = cached
    return cached[1]
