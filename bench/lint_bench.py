"""Lint over a whole memory folder, against plainly reading the same files from disk."""

from __future__ import annotations

from bench.projection import read_tree
from bench.report import Row, rate, secs
from bench.timing import interleaved, median
from memfs.lint import lint
from memfs.repo import MemoryRepo


def bench_lint(repo: MemoryRepo, n_files: int, quick: bool) -> list[Row]:
    """Time and throughput rows for ``lint`` over ``repo`` (``n_files`` corpus files + seeds)."""
    count = n_files + 2
    lint(repo.root)  # warm the OS page cache and any lazy imports
    base, ours = interleaved(lambda: read_tree(repo.root), lambda: lint(repo.root),
                             2 if quick else 3)
    base_s, ours_s = median(base), median(ours)
    label = f"{n_files:,} files"
    return [
        Row(f"lint, {label}", secs(ours_s), secs(base_s), ours_s / base_s),
        Row(f"lint throughput, {label}", rate(count, ours_s), rate(count, base_s),
            base_s / ours_s),
    ]
