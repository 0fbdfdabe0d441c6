"""``[[links]]`` between memory files: the one under a cursor, and the file it points to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from memfs import paths
from memfs.errors import InvalidPath

LINK = re.compile(r"\[\[([^\]\|#\n]+)(?:#[^\]\|\n]*)?(?:\|[^\]\n]*)?\]\]")


@dataclass(frozen=True)
class Link:
    """A link on one line: its target as written, and the columns it spans."""

    target: str
    start: int
    end: int


def link_at(line: str, column: int) -> Link | None:
    """The link that spans ``column`` of ``line`` (its brackets included), if any."""
    for match in LINK.finditer(line):
        if match.start() <= column <= match.end():
            return Link(match.group(1).strip(), match.start(), match.end())
    return None


def resolve(target: str, files: set[str]) -> str | None:
    """The memory file a link points to: ``path``, or ``path.md``; None when there is none
    (a folder, a missing file, or a target that leaves the memory)."""
    try:
        rel = paths.normalize(target.rstrip("/"), markdown=False)
    except InvalidPath:
        return None
    for candidate in (rel, f"{rel}.md"):
        if candidate in files:
            return candidate
    return None
