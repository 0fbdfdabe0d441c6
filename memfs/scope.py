"""Memory that follows the file: which scoped memory files (frontmatter ``paths:``) apply to
the files the user is working on.

Globs are gitignore-style (``pathspec``'s gitignore patterns) and relative to the workspace:
a glob without a slash matches at any depth (``*.sql``), one with a slash is anchored at the
workspace root (``src/api/**``), ``**`` crosses folders, ``!glob`` excludes (the last glob
that matches a path decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def _spec(globs: tuple[str, ...]) -> Any:
    import pathspec
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    # A plain PathSpec of these patterns: the last glob that matches a path decides, so
    # "!src/vendor/" excludes the files under it (GitIgnoreSpec, like git, would not exclude
    # them once "src/**" matched them; gitwildmatch, the same rule, is deprecated).
    return pathspec.PathSpec.from_lines(GitIgnoreSpecPattern, globs)


def matches(globs: Sequence[str], rel: str) -> bool:
    """Whether the workspace-relative path ``rel`` matches ``globs``."""
    return bool(globs) and bool(_spec(tuple(globs)).match_file(rel))


def matching_glob(globs: Sequence[str], rel: str) -> str | None:
    """The first (non-negated) glob that matches ``rel``, when ``globs`` as a whole do."""
    if not matches(globs, rel):
        return None
    return next((g for g in globs if not g.startswith("!") and matches([g], rel)), globs[0])


def unmatched(globs: Sequence[str], files: Iterable[str]) -> list[str]:
    """The globs (negations aside) that match none of ``files``."""
    names = list(files)
    return [g for g in globs if not g.startswith("!")
            and not any(_spec((g,)).match_file(name) for name in names)]


@dataclass(frozen=True)
class Focus:
    """The workspace files the user is working on (workspace-relative): the active document,
    and the ones open in the editor. Scoped memory is loaded for the active one; when the
    client never said which one is active, for the open ones."""

    active: str | None = None
    open: tuple[str, ...] = ()

    def targets(self) -> tuple[str, ...]:
        """The files scoped memory is matched against."""
        return (self.active,) if self.active else self.open

    def why(self, globs: Sequence[str]) -> str | None:
        """Why a file with ``globs`` applies (``src/api/x.py matches src/api/**``), or None."""
        for rel in self.targets():
            glob = matching_glob(globs, rel)
            if glob is not None:
                which = "the active file" if rel == self.active else "an open file"
                return f"{which} {rel} matches {glob}"
        return None
