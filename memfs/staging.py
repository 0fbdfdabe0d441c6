"""Edits computed before they land: the staged transaction shared by project memory (whose
edits are working-tree writes, applied only once the whole edit has been checked) and by
previews (an edit's diff, shown to the user for approval, with nothing written).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from memfs import paths
from memfs.errors import InvalidArgument


class StagedEdit:
    """One edit held in memory: reads see its own writes; nothing touches the disk."""

    def __init__(self, root: Path, touched: list[str]) -> None:
        self.root = root
        self.touched = list(dict.fromkeys(touched))
        self.changed: list[str] = []
        self.commit_sha: str | None = None
        self.staged: dict[str, str | None] = {}  # path -> new text (None: deleted)
        self.before: dict[str, str | None] = {}  # path -> text on disk when first read

    def _check(self, rel: str) -> Path:
        if rel not in self.touched:
            raise InvalidArgument(f"{rel} is not part of this edit")
        return paths.resolve(self.root, rel)

    def on_disk(self, rel: str) -> str | None:
        """The text of ``rel`` on disk, as this edit first saw it."""
        if rel not in self.before:
            target = self._check(rel)
            self.before[rel] = (target.read_bytes().decode("utf-8") if target.is_file()
                                else None)
        return self.before[rel]

    def read(self, rel: str) -> str | None:
        self._check(rel)
        return self.staged[rel] if rel in self.staged else self.on_disk(rel)

    def write(self, rel: str, text: str) -> None:
        self.on_disk(rel)
        self.staged[rel] = text
        self.changed.append(rel)

    def delete(self, rel: str) -> None:
        self.on_disk(rel)
        self.staged[rel] = None
        self.changed.append(rel)

    def mark_changed(self, rel: str) -> None:
        raise InvalidArgument(f"{rel} cannot be committed as it stands here",
                              "edit it with the memory operations instead")

    def new_paths(self) -> set[str]:
        """Paths this edit creates."""
        return {rel for rel, text in self.staged.items()
                if text is not None and self.before.get(rel) is None}

    def check(self, reason: str) -> None:
        """The secret guard and name checks every memory write gets: the resulting content
        of every file, every path, new names, and the reason."""
        from memfs.guard import check_commit  # the detectors are heavy to import

        if self.staged:
            check_commit({rel: None if text is None else text.encode("utf-8")
                          for rel, text in self.staged.items()}, reason, self.new_paths())


@dataclass(frozen=True)
class Change:
    """What an edit would do to one file (``before``/``after`` None: absent)."""

    path: str
    before: str | None
    after: str | None


@dataclass
class Preview:
    """The changes an edit would make, and their unified diff."""

    changes: list[Change] = field(default_factory=list)

    def diff(self, prefix: str = "") -> str:
        """A unified diff of every change (paths shown as ``prefix + path``)."""
        out: list[str] = []
        for change in self.changes:
            name = prefix + change.path
            out += difflib.unified_diff(
                (change.before or "").splitlines(keepends=True),
                (change.after or "").splitlines(keepends=True),
                "/dev/null" if change.before is None else f"a/{name}",
                "/dev/null" if change.after is None else f"b/{name}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of "
                       "file\n" for line in out)


class PreviewBackend:
    """A backend whose transactions are checked like real ones (secrets, names) but land
    nowhere; ``last`` holds what the latest one would have changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.last = Preview()

    @contextmanager
    def transaction(self, touched: list[str], reason: str, *, keep_worktree: bool = False
                    ) -> Iterator[StagedEdit]:
        reason = (reason or "").strip()
        if not reason:
            raise InvalidArgument("a reason is required", "say why the edit is made")
        tx = StagedEdit(self.root, touched)
        yield tx
        tx.check(reason)
        self.last = Preview([Change(rel, tx.before.get(rel), text)
                             for rel, text in tx.staged.items()])
