"""Run the memfs benchmarks and print one table: ``python -m bench [--quick] [NAME ...]``.

NAME is a section (storage, agent, lsp, import) or one agent benchmark (request, cli, loop,
setup, recall, one-shot, reflection); none runs everything. Ratios are ours / baseline, both
measured in this run (baselines: plain file reads for projection and lint, the git CLI for
edits, httpx, bare litellm, sqlite and file reads for the agent runtime, bm25s for recall).
Progress goes to stderr, the table to stdout. A full (not --quick) run also records its rows
in bench/results.json and rewrites the README's table from it, so the README shows each
benchmark's latest full run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import import_bench, lsp_bench, reflection_bench
from bench.cli_start import bench_cli_start
from bench.corpus import corpus, memory_repo
from bench.edits import bench_edits
from bench.lint_bench import bench_lint
from bench.loop_overhead import bench_loop_overhead
from bench.one_shot import bench_one_shot
from bench.projection import bench_projection, describe
from bench.recall import bench_recall
from bench.report import Row, render, save_results, write_readme
from bench.request_overhead import bench_request_overhead
from bench.settle import settle
from bench.turn_setup import bench_turn_setup

FULL_SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
EDIT_REPO_FILES = 1_000
SECTIONS = ("storage", "agent", "lsp", "import")
AGENT_STEPS = {"request": ("one model request", bench_request_overhead),
               "cli": ("memfs command start", bench_cli_start),
               "loop": ("turn loop overhead", bench_loop_overhead),
               "setup": ("turn setup", bench_turn_setup),
               "recall": ("conversation search", bench_recall),
               "one-shot": ("one-shot chat", bench_one_shot),
               "reflection": ("reflection TTFD", reflection_bench.bench_reflection)}
ORDER = ["storage", *AGENT_STEPS, "lsp", "import"]
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("memfs", "agent", "lsp_server", "memfs_cli", "testkit", "bench")
BASELINES = (
    "baselines: projection/lint = os.walk + read of the same working tree; "
    "edits = git CLI (write, git add, git commit) in an equivalent repo",
    "  turn = bare litellm.acompletion stream from the same scripted server; turn setup = "
    "sqlite3 SELECT of the conversation's bodies + read of the memory files",
    "  request = httpx streaming the same body from the same server (CPU); one-shot chat = "
    "a fresh python streaming the same request with httpx (CPU); memfs start = python -c pass "
    "(+ git status)",
    "  recall = bm25s (Snowball stemmer, stop-words) over the same messages",
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
    repos = {}
    for n_files in sizes:
        started = time.perf_counter()
        repo = memory_repo(tmp / f"proj-{n_files}", corpus(n_files))
        settle(repo.root)
        _progress(f"built {n_files:,}-file repo in {time.perf_counter() - started:.1f}s")
        found = bench_projection(repo, n_files, quick)
        _progress(describe(found))
        rows += found
        repos[n_files] = repo
    _progress("edits ...")
    rows += bench_edits(tmp, EDIT_REPO_FILES, quick)
    _progress("lint ...")
    rows += bench_lint(repos, quick)
    return rows


def agent_benchmarks(tmp: Path, quick: bool, steps: tuple[str, ...]) -> dict[str, list[Row]]:
    """Agent runtime benchmarks against the scripted model server, by step."""
    rows: dict[str, list[Row]] = {}
    for key in steps:
        name, bench = AGENT_STEPS[key]
        _progress(f"{name} ...")
        rows[key] = bench(tmp, quick)
        _progress(describe(rows[key]))
    return rows


def compile_sources() -> None:
    """Byte-compile our packages, as installing a wheel does: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module from source in each new
    process, and the whole-process rows would time the compiler."""
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


def run(quick: bool, names: tuple[str, ...] = SECTIONS) -> dict[str, list[Row]]:
    """The chosen benchmarks' rows by benchmark; data lives in a temporary folder."""
    compile_sources()
    steps = tuple(k for k in AGENT_STEPS if "agent" in names or k in names)
    rows: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="memfs-bench-") as tmp:
        if "storage" in names:
            rows["storage"] = storage_benchmarks(Path(tmp), quick)
        if steps:
            rows.update(agent_benchmarks(Path(tmp), quick, steps))
    if "lsp" in names:
        _progress("language server ...")
        rows["lsp"] = lsp_bench.run(quick)
    if "import" in names:
        _progress("transcript import ...")
        rows["import"] = import_bench.run(quick)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"what to run: {', '.join([*SECTIONS, *AGENT_STEPS])} "
                             "(default: everything)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller sizes, fewer iterations (README untouched)")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only this section (repeatable; same as naming it)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in (*SECTIONS, *AGENT_STEPS)]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from "
                     f"{', '.join([*SECTIONS, *AGENT_STEPS])}")
    started = time.perf_counter()
    found = run(args.quick, tuple(args.names or args.only or SECTIONS))
    header = [f"memfs benchmarks ({'quick' if args.quick else 'full'}): {_environment()}",
              "ratio = ours / baseline, both measured in this run; medians unless marked p95",
              *BASELINES]
    print("\n".join(header))
    print()
    print(render([row for rows in found.values() for row in rows]))
    print()
    print(f"total {time.perf_counter() - started:.0f}s")
    if not args.quick:
        every = save_results(ROOT / "bench" / "results.json", header, found, ORDER)
        if write_readme(ROOT / "README.md", header, every):
            _progress("README.md: benchmark table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
