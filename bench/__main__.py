"""Run every memfs benchmark and print one table: ``python -m bench [--quick]``.

Ratios are ours / baseline, both measured in this run (baselines: plain file reads for
projection and lint, the git CLI for edits). Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import corpus, memory_repo
from bench.edits import bench_edits
from bench.lint_bench import bench_lint
from bench.projection import bench_projection, describe
from bench.report import Row, render

FULL_SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
EDIT_REPO_FILES = 1_000


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _environment() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"python {platform.python_version()}, {git}, {os.cpu_count()} cpus, "
            f"{platform.system()} {platform.machine()}")


def run(quick: bool) -> list[Row]:
    """All benchmarks; repos live in a temporary folder removed at the end."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="memfs-bench-") as tmp:
        largest = None
        for n_files in sizes:
            started = time.perf_counter()
            repo = memory_repo(Path(tmp) / f"proj-{n_files}", corpus(n_files))
            _progress(f"built {n_files:,}-file repo in {time.perf_counter() - started:.1f}s")
            found = bench_projection(repo, n_files, quick)
            _progress(describe(found))
            rows += found
            largest = (repo, n_files)
        _progress("edits ...")
        rows += bench_edits(Path(tmp), EDIT_REPO_FILES, quick)
        if largest is not None:
            _progress(f"lint over {largest[1]:,} files ...")
            rows += bench_lint(largest[0], largest[1], quick)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 100 and 1,000 files only, fewer iterations")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.quick)
    print(f"memfs benchmarks ({'quick' if args.quick else 'full'}): {_environment()}")
    print("ratio = ours / baseline, both measured in this run; medians unless marked p95")
    print("baselines: projection/lint = os.walk + read of the same working tree; "
          "edits = git CLI (write, git add, git commit) in an equivalent repo")
    print()
    print(render(rows))
    print()
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
