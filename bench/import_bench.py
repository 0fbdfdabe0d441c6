"""Importer benchmark: synthetic Claude Code transcripts read by ``agent.importers`` against a
bare ``json.loads`` loop over the same lines, and peak memory at two input sizes.

The transcripts mimic real ones: per turn a prompt, a thinking block, a text reply and a tool
call (lines sharing one message id), a bulky tool result and a progress record; one prompt in
200 holds an AWS key, so redaction has work to do.
"""

from __future__ import annotations

import gc
import json
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from agent.importers import discover, load_history, read, summarize
from bench.report import Row, ratio_text
from bench.timing import median, timed

FULL_MB = (25, 100)
QUICK_MB = (2.5, 10)
INIT_BUDGET = 60_000  # tokens: /init --depth deep
NOTE = ("ratio = bare / ours: baseline = json.loads of every line of the same file; /init "
        "budget = load_history (parse everything, redact the steps kept for 60,000 tokens); "
        "all redacted = read (every step redacted); listing = summarize (counts only)")
THROUGHPUT_TARGET = 0.5
FLAT_TARGET = 1.5  # peak memory at the large size / at the small size
_CODE = "".join(f"    {i:4d}  def handler_{i}(request):  # returns the parsed payload\n"
                for i in range(60))


def _turn(session: str, cwd: str) -> str:
    """One turn's lines, with ``@N@`` where the turn number goes."""
    base = {"parentUuid": "p-@N@", "isSidechain": False, "userType": "external", "cwd": cwd,
            "sessionId": session, "version": "2.1.0", "gitBranch": "main",
            "timestamp": "2026-01-01T10:00:00.000Z"}

    def line(kind: str, message: object, **extra: object) -> str:
        return json.dumps({**base, "type": kind, "uuid": f"{kind}-@N@", "message": message,
                           **extra})

    def reply(*blocks: object) -> str:
        return line("assistant", {"id": "msg_@N@", "type": "message", "role": "assistant",
                                  "model": "claude-sonnet-4-5", "content": list(blocks),
                                  "usage": {"input_tokens": 1200, "output_tokens": 300}})

    lines = [
        line("user", {"role": "user", "content": "Please update handler @N@ so that it "
                      "validates the payload before parsing, and add a test for the empty "
                      "body case. Keep the public signature unchanged.@SECRET@"}),
        reply({"type": "thinking", "thinking": "The user wants validation first. " * 20,
               "signature": "sig" * 40}),
        reply({"type": "text", "text": "I'll read the handler first, then add validation "
               "before the parse step and a regression test for the empty body. " * 3}),
        reply({"type": "tool_use", "id": "toolu_@N@", "name": "Read",
               "input": {"file_path": "/src/app/handlers/handler_@N@.py", "offset": 1,
                         "limit": 200}}),
        line("user", {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_@N@", "content": _CODE}]},
            toolUseResult={"type": "text", "file": {"numLines": 60}}),
        json.dumps({"type": "progress", "data": {"type": "hook_progress", "hookEvent":
                    "PostToolUse", "hookName": "PostToolUse:Read", "command": "true"},
                    "parentToolUseID": "toolu_@N@", "toolUseID": "toolu_@N@",
                    "timestamp": "2026-01-01T10:00:01.000Z", "sessionId": session}),
    ]
    return "\n".join(lines) + "\n"


def write_transcript(path: Path, megabytes: float, cwd: str) -> int:
    """A transcript of about ``megabytes`` MB; its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    template = _turn(path.stem, cwd)
    target = int(megabytes * 1_000_000)
    written = 0
    with path.open("w") as out:
        turn = 0
        while written < target:
            secret = " The key is AKIAIOSFODNN7EXAMPLE." if turn % 200 == 0 else ""
            chunk = template.replace("@N@", str(turn)).replace("@SECRET@", secret)
            out.write(chunk)
            written += len(chunk)
            turn += 1
    return path.stat().st_size


def _bare(path: Path) -> Callable[[], object]:
    """The baseline: ``json.loads`` of every line, nothing else."""
    def loop() -> int:
        count = 0
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                json.loads(line)
                count += 1
        return count
    return loop


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def _throughput(config: Path, workspace: Path, label: str, runs: int) -> list[Row]:
    """The importer's three read paths against the bare loop over the same file, all four
    timed in turn ``runs`` times (fair under drift and other load)."""
    session = discover("claude-code", workspace, config)[0]
    size = session.path.stat().st_size
    cases = {f"import throughput, {label} (/init budget)": _history(config, workspace),
             f"import throughput, {label} (all redacted)": lambda: read(session),
             f"import listing, {label}": lambda: summarize("claude-code", workspace, config)}
    bare = _bare(session.path)
    samples: dict[str, list[float]] = {name: [] for name in ["bare", *cases]}
    gc.collect()
    for _ in range(runs + 1):  # the first round warms the page cache and lazy imports
        for name, fn in (("bare", bare), *cases.items()):
            samples[name].append(timed(fn))
    base_s = median(samples["bare"][1:])
    rows: list[Row] = []
    for name in cases:
        ours_s = median(samples[name][1:])
        ratio = base_s / ours_s
        rows.append(Row(name, f"{size / 1e6 / ours_s:,.0f} MB/s",
                        f"{size / 1e6 / base_s:,.0f} MB/s", ratio,
                        f">= {ratio_text(THROUGHPUT_TARGET)}", ratio >= THROUGHPUT_TARGET,
                        NOTE if not rows else ""))
    return rows


def _memory(config: Path, small: tuple[str, Path], large: tuple[str, Path]) -> list[Row]:
    """Peak memory of the /init read at a small and a large input: flat means bounded."""
    _history(config, small[1])()  # one-time allocations stay out of the peaks
    low, high = (_peak(_history(config, workspace)) for _, workspace in (small, large))
    growth = high / low
    note = (f"tracemalloc peak of load_history (budget {INIT_BUDGET:,} tokens) over a "
            f"{small[0]} and a {large[0]} transcript; baseline = the smaller input's peak")
    return [Row(f"import peak memory, {small[0]}", _mb(low), "-", None),
            Row(f"import peak memory, {large[0]}", _mb(high), _mb(low), growth,
                f"<= {ratio_text(FLAT_TARGET)}", growth <= FLAT_TARGET, note)]


def _history(config: Path, workspace: Path) -> Callable[[], object]:
    return lambda: load_history(workspace, INIT_BUDGET, ("claude-code",), claude_dir=config)


def run(quick: bool) -> list[Row]:
    """Throughput of the importer at the larger size, and its peak memory at both sizes."""
    with tempfile.TemporaryDirectory(prefix="memfs-import-bench-") as tmp:
        config = Path(tmp) / "claude"
        spaces: list[tuple[str, Path]] = []
        for megabytes in QUICK_MB if quick else FULL_MB:
            label, workspace = f"{megabytes:g} MB", Path(f"/bench/project-{megabytes:g}")
            write_transcript(config / "projects" / f"-bench-{megabytes:g}" / "session.jsonl",
                             megabytes, str(workspace))
            spaces.append((label, workspace))
        small, large = spaces
        return (_throughput(config, large[1], large[0], 1 if quick else 3)
                + _memory(config, small, large))


if __name__ == "__main__":
    from bench.report import render

    print(render(run(quick=False)))
