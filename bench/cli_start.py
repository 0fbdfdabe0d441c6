"""The ``memfs`` command's own start: ``memfs --version`` against ``python -c pass``, and
``memfs memory status`` against ``python -c pass`` then ``git status`` in the memory repo
(whole processes, interleaved; ratios on the children's CPU seconds, wall in the notes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.one_shot import BIN, Run, _median, _run, interleave
from bench.report import Row, secs
from memfs.home import DEFAULT_AGENT_ID, memory_dir

VERSION_TARGET = 3.0
STATUS_TARGET = 5.0


def _ok(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Run:
    run, done = _run(command, env, cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return run


def _both(first: list[str], second: list[str], env: dict[str, str]) -> Run:
    one, two = _ok(first, env), _ok(second, env)
    return Run(one.wall + two.wall, one.cpu + two.cpu)


def _row(name: str, ours: list[Run], base: list[Run], target: float, baseline: str) -> Row:
    ratio = _median(ours, "cpu") / _median(base, "cpu")
    wall = _median(ours, "wall") / _median(base, "wall")
    return Row(name, secs(_median(ours, "cpu")), secs(_median(base, "cpu")), ratio,
               f"<= {target:g}x", ratio <= target,
               f"CPU; wall {secs(_median(ours, 'wall'))} vs {secs(_median(base, 'wall'))} "
               f"({wall:.2f}x); n={len(ours)} interleaved; baseline: {baseline}")


def bench_cli_start(tmp: Path, quick: bool) -> list[Row]:
    """The two start rows."""
    root = tmp / "cli-start"
    workspace = root / "workspace"
    workspace.mkdir(parents=True)
    env = {**os.environ, "MEMFS_HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "cfg"),
           "MEMFS_NO_WORKER": "1"}
    memfs = str(BIN / "memfs")
    status_command = [memfs, "memory", "status"]
    _ok(status_command, env, workspace)  # creates the memory
    memory = memory_dir(DEFAULT_AGENT_ID, root / "home")
    runs = 5 if quick else 11
    empty = [sys.executable, "-c", "pass"]
    version, version_base = interleave(lambda: _ok([memfs, "--version"], env),
                                       lambda: _ok(empty, env), runs)
    status, status_base = interleave(
        lambda: _ok(status_command, env, workspace),
        lambda: _both(empty, ["git", "-C", str(memory), "status", "--porcelain"], env), runs)
    return [_row("memfs --version", version, version_base, VERSION_TARGET, "python -c pass"),
            _row("memfs memory status", status, status_base, STATUS_TARGET,
                 "python -c pass, then git status in the memory repo")]
