"""Prompt projection, cold and warm, against plainly reading the same files from disk."""

from __future__ import annotations

import os
from pathlib import Path

from bench.report import Row, ms, ratio_text
from bench.timing import interleaved, median, repeated
from memfs.projection import ProjectionCache, project
from memfs.repo import MemoryRepo

COLD_TARGET = 3.0
WARM_TARGET_S = 0.001


def read_tree(root: Path) -> int:
    """Baseline: walk the working tree (skipping .git) and read every file; total bytes."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                total += len(handle.read())
    return total


def cold_runs(n_files: int, quick: bool) -> int:
    """How many cold projections to time for a corpus of ``n_files``."""
    if quick:
        return 9 if n_files <= 100 else 5
    return 31 if n_files <= 100 else 15 if n_files <= 1000 else 7


def bench_projection(repo: MemoryRepo, n_files: int, quick: bool) -> list[Row]:
    """Cold and warm projection rows for ``repo`` (holding ``n_files`` corpus files)."""
    label = f"{n_files:,} files"
    expected = len(project(repo, ProjectionCache()).files)  # also warms the OS page cache
    if expected != n_files + 2:
        raise RuntimeError(f"projection saw {expected} files, expected {n_files + 2}")
    read_tree(repo.root)
    base, cold = interleaved(lambda: read_tree(repo.root),
                             lambda: project(repo, ProjectionCache()), cold_runs(n_files, quick))
    base_s, cold_s = median(base), median(cold)
    cache = ProjectionCache()
    project(repo, cache)
    warm_s = median(repeated(lambda: project(repo, cache), 200 if quick else 1000))
    cold_ratio = cold_s / base_s
    return [
        Row(f"projection cold, {label}", ms(cold_s), ms(base_s), cold_ratio,
            f"<= {COLD_TARGET:g}x", cold_ratio <= COLD_TARGET),
        Row(f"projection warm, {label}", ms(warm_s), ms(base_s), warm_s / base_s,
            f"< {WARM_TARGET_S * 1000:g} ms", warm_s < WARM_TARGET_S),
    ]


def describe(rows: list[Row]) -> str:
    """One-line summary for progress output."""
    return "; ".join(f"{r.name}: {r.ours} ({ratio_text(r.ratio)})" for r in rows)
