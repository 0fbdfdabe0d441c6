"""Scoped memory's globs: gitignore-style, relative to the workspace."""

from __future__ import annotations

import pytest

from memfs.scope import Focus, matches, matching_glob, unmatched


@pytest.mark.parametrize(("globs", "rel", "expected"), [
    (["*.sql"], "schema.sql", True),
    (["*.sql"], "db/migrations/001.sql", True),  # no slash: any depth
    (["src/api/**"], "src/api/v1/users.py", True),
    (["src/api/**"], "lib/src/api/users.py", False),  # a slash anchors at the root
    (["src/**/test_*.py"], "src/a/b/test_x.py", True),  # ** crosses folders
    (["src/**", "!src/vendor/**"], "src/vendor/lib.py", False),  # ! excludes
    (["src/**", "!src/vendor/**"], "src/app.py", True),
    (["src/**", "!src/vendor/"], "src/vendor/lib/x.py", False),  # a folder's files too
    (["src/**", "!src/vendor"], "src/vendor/x.py", False),
    (["*.py", "!test_*.py"], "a/test_x.py", False),
    ([], "anything.py", False),
])
def test_globs_match_like_gitignore(globs: list[str], rel: str, expected: bool) -> None:
    assert matches(globs, rel) is expected


def test_the_glob_named_is_the_one_that_matched() -> None:
    globs = ["*.md", "src/**", "!docs/**"]  # as in git, a later glob overrides
    assert matching_glob(globs, "src/a.py") == "src/**"
    assert matching_glob(globs, "README.md") == "*.md"
    assert matching_glob(globs, "docs/guide.md") is None


def test_globs_that_match_no_file_are_reported_negations_aside() -> None:
    files = ["src/app.py", "schema.sql"]
    assert unmatched(["*.sql", "web/**", "!src/**"], files) == ["web/**"]


def test_the_active_file_decides_and_open_files_stand_in_without_one() -> None:
    globs = ["src/api/**"]
    active = Focus(active="README.md", open=("src/api/x.py",))
    assert active.targets() == ("README.md",)
    assert active.why(globs) is None  # an open file does not count once one is active

    opened = Focus(open=("README.md", "src/api/x.py"))
    assert opened.why(globs) == "an open file src/api/x.py matches src/api/**"
    assert Focus(active="src/api/y.py").why(globs) == (
        "the active file src/api/y.py matches src/api/**")
