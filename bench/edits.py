"""One edit + commit through MemoryStore, against the same change made with the git CLI."""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path

from bench.corpus import EDIT_MARK_A, EDIT_MARK_B, corpus, git_env, git_repo, memory_repo
from bench.report import Row, ms
from bench.timing import median, p95, timed
from memfs.repo import SEED_FILES
from memfs.store import MemoryStore

TARGET = 1.5
EDITED_FILES = 8
WARMUP = 2


class _Edits:
    """The sequence of str_replace edits: cycles over a few files, toggling a marker line."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.state = dict.fromkeys(paths, False)

    def next(self, i: int) -> tuple[str, str, str]:
        rel = self.paths[i % len(self.paths)]
        flipped = self.state[rel]
        self.state[rel] = not flipped
        return (rel, EDIT_MARK_B, EDIT_MARK_A) if flipped else (rel, EDIT_MARK_A, EDIT_MARK_B)


def _git_edit(root: Path, rel: str, old: str, new: str, message: str) -> None:
    """Baseline: Python rewrites the file, then ``git add`` and ``git commit``."""
    target = root / rel
    target.write_text(target.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    env = git_env()
    subprocess.run(["git", "add", rel], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, env=env, check=True)


def bench_edits(tmp: Path, n_files: int, quick: bool) -> list[Row]:
    """Median and p95 rows for single-file edits in repos of ``n_files`` corpus files."""
    files = corpus(n_files, seed=99)
    store = MemoryStore(memory_repo(tmp / "edit-ours", files))
    seeds = {rel: file.render() for rel, file in SEED_FILES.items()}
    git_root = git_repo(tmp / "edit-git", {**seeds, **files})
    topics = [rel for rel in files if rel.startswith("topics/")]
    step = max(1, len(topics) // EDITED_FILES)
    edited = topics[::step][:EDITED_FILES]
    ours_edits, git_edits = _Edits(edited), _Edits(edited)
    runs = 10 if quick else 40
    ours: list[float] = []
    base: list[float] = []
    for i in range(WARMUP + runs):
        message = f"bench: edit {i}"
        t_ours = timed(partial(store.str_replace, *ours_edits.next(i), message))
        t_git = timed(partial(_git_edit, git_root, *git_edits.next(i), message))
        if i >= WARMUP:
            ours.append(t_ours)
            base.append(t_git)
    label = f"{n_files:,} files"
    med_ratio = median(ours) / median(base)
    return [
        Row(f"edit+commit median, {label}", ms(median(ours)), ms(median(base)), med_ratio,
            f"<= {TARGET:g}x", med_ratio <= TARGET),
        Row(f"edit+commit p95, {label}", ms(p95(ours)), ms(p95(base)), p95(ours) / p95(base)),
    ]
