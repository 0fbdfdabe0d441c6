"""Run every memfs benchmark and print one table: ``python -m bench [--quick] [--only ...]``.

Ratios are ours / baseline, both measured in this run (baselines: plain file reads for
projection and lint, the git CLI for edits, bare litellm / sqlite / file reads for the agent
runtime). Progress goes to stderr, the table to stdout.
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

from bench import import_bench, lsp_bench, reflection_bench
from bench.corpus import corpus, memory_repo
from bench.edits import bench_edits
from bench.lint_bench import bench_lint
from bench.loop_overhead import bench_loop_overhead
from bench.one_shot import bench_one_shot
from bench.projection import bench_projection, describe
from bench.recall import bench_recall
from bench.report import Row, render
from bench.settle import settle
from bench.turn_setup import bench_turn_setup

FULL_SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
EDIT_REPO_FILES = 1_000
SECTIONS = ("storage", "agent", "lsp", "import")
BASELINES = (
    "baselines: projection/lint = os.walk + read of the same working tree; "
    "edits = git CLI (write, git add, git commit) in an equivalent repo",
    "  turn = bare litellm.acompletion stream from the same scripted server; turn setup = "
    "sqlite3 SELECT of the conversation's bodies + read of the memory files",
    "  recall = SELECT ... WHERE text LIKE '%word%' LIMIT 10; one-shot chat = a fresh "
    "interpreter importing litellm",
    "  lsp = a bare pygls server (initialize), the same scripted reply via httpx / litellm "
    "(deltas/s); reflection TTFD = the same turns with no reflection running",
    "  import = bare json.loads of the same transcript lines",
)


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _environment() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"python {platform.python_version()}, {git}, {os.cpu_count()} cpus, "
            f"{platform.system()} {platform.machine()}")


def storage_benchmarks(tmp: Path, quick: bool) -> list[Row]:
    """Projection, edit and lint benchmarks over memfs repositories."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rows: list[Row] = []
    largest = None
    for n_files in sizes:
        started = time.perf_counter()
        repo = memory_repo(tmp / f"proj-{n_files}", corpus(n_files))
        settle(repo.root)
        _progress(f"built {n_files:,}-file repo in {time.perf_counter() - started:.1f}s")
        found = bench_projection(repo, n_files, quick)
        _progress(describe(found))
        rows += found
        largest = (repo, n_files)
    _progress("edits ...")
    rows += bench_edits(tmp, EDIT_REPO_FILES, quick)
    if largest is not None:
        _progress(f"lint over {largest[1]:,} files ...")
        rows += bench_lint(largest[0], largest[1], quick)
    return rows


def agent_benchmarks(tmp: Path, quick: bool) -> list[Row]:
    """Agent runtime benchmarks against the scripted model server."""
    from agent import llm

    started = time.perf_counter()
    llm.litellm()  # once, untimed: only the one-shot benchmark is about the import
    _progress(f"imported litellm in {time.perf_counter() - started:.1f}s")
    rows: list[Row] = []
    steps = (("turn loop overhead", bench_loop_overhead), ("turn setup", bench_turn_setup),
             ("conversation search", bench_recall), ("one-shot chat", bench_one_shot),
             ("reflection TTFD", reflection_bench.bench_reflection))
    for name, bench in steps:
        _progress(f"{name} ...")
        found = bench(tmp, quick)
        _progress(describe(found))
        rows += found
    return rows


def run(quick: bool, sections: tuple[str, ...] = SECTIONS) -> list[Row]:
    """The chosen benchmarks; data lives in a temporary folder removed at the end."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="memfs-bench-") as tmp:
        if "storage" in sections:
            rows += storage_benchmarks(Path(tmp), quick)
        if "agent" in sections:
            rows += agent_benchmarks(Path(tmp), quick)
    if "lsp" in sections:
        _progress("language server ...")
        rows += lsp_bench.run(quick)
    if "import" in sections:
        _progress("transcript import ...")
        rows += import_bench.run(quick)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller sizes, fewer iterations")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only this section (repeatable; default: all)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.quick, tuple(args.only or SECTIONS))
    print(f"memfs benchmarks ({'quick' if args.quick else 'full'}): {_environment()}")
    print("ratio = ours / baseline, both measured in this run; medians unless marked p95")
    print("\n".join(BASELINES))
    print()
    print(render(rows))
    print()
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
