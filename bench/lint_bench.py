"""Lint over whole memory folders, against plainly reading the same files from disk, and how
its cost per file grows from 1,000 to 10,000 files. Times are CPU seconds of this process
(``time.process_time``: lint is single-threaded), which a shared machine's load barely moves."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from bench.projection import read_tree
from bench.report import Row, rate, secs
from bench.timing import median
from memfs.lint import lint
from memfs.repo import MemoryRepo

GROWTH_TARGET = 1.2


def _cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def bench_lint(repos: dict[int, MemoryRepo], quick: bool) -> list[Row]:
    """Time and throughput rows for ``lint`` at each size (``n_files`` corpus files + 2
    seeds), then the per-file cost at the largest size against 1,000 files."""
    rows: list[Row] = []
    per_file: dict[int, float] = {}
    for n_files, repo in sorted(repos.items()):
        if n_files < 1_000:
            continue
        count = n_files + 2
        lint(repo.root)  # warm the OS page cache and any lazy imports
        gc.collect()
        base: list[float] = []
        ours: list[float] = []
        for _ in range(2 if quick else 5):  # interleaved
            base.append(_cpu(lambda: read_tree(repo.root)))  # noqa: B023 - called at once
            ours.append(_cpu(lambda: lint(repo.root)))  # noqa: B023
        base_s, ours_s = median(base), median(ours)
        per_file[n_files] = ours_s / count
        label = f"{n_files:,} files"
        rows += [Row(f"lint, {label} (CPU)", secs(ours_s), secs(base_s), ours_s / base_s),
                 Row(f"lint throughput, {label}", rate(count, ours_s), rate(count, base_s),
                     base_s / ours_s)]
    largest = max(per_file)
    if largest > 1_000 and 1_000 in per_file:
        rows.append(_growth(repos[1_000], repos[largest], largest, quick))
    return rows


def _growth(small: MemoryRepo, large: MemoryRepo, n_large: int, quick: bool) -> Row:
    """Per-file cost at ``n_large`` files against 1,000, the two sizes interleaved (three
    short 1,000-file runs beside each long one), so the machine's drift hits both alike."""
    short: list[float] = []
    long: list[float] = []
    for _ in range(2 if quick else 7):
        long.append(_cpu(lambda: lint(large.root)) / (n_large + 2))
        short += [_cpu(lambda: lint(small.root)) / 1_002 for _ in range(3)]
    mine, base = median(long), median(short)
    growth = mine / base
    return Row(f"lint per file, {n_large:,} vs 1,000 files", f"{mine * 1e6:.0f} us",
               f"{base * 1e6:.0f} us", growth, f"<= {GROWTH_TARGET:g}x", growth <= GROWTH_TARGET,
               f"CPU medians of {len(long)} and {len(short)} runs, interleaved")
