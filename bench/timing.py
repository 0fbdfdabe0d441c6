"""Timing helpers: wall-clock samples, interleaved runs, medians and percentiles."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[list[float], list[float]]:
    """Time ``first`` and ``second`` alternately ``runs`` times each (fair under drift/noise)."""
    gc.collect()
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(timed(first))
        b.append(timed(second))
    return a, b


def repeated(fn: Callable[[], object], runs: int) -> list[float]:
    """Seconds of each of ``runs`` consecutive calls of ``fn``."""
    gc.collect()
    return [timed(fn) for _ in range(runs)]


def median(samples: list[float]) -> float:
    """Median of the samples."""
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """95th percentile (inclusive method; the maximum for tiny samples)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]
