"""Streaming reads of JSON-lines files: one line in memory at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.importers.model import Trajectory, parse_time

TAIL_BYTES = 64 * 1024


def records(path: Path, trajectory: Trajectory | None = None) -> Iterator[dict[str, Any]]:
    """Each line of ``path`` that is a JSON object; blank lines are ignored, other lines are
    counted on ``trajectory`` as ``unparsable``."""
    with path.open("rb") as lines:
        for raw in lines:
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if isinstance(record, dict):
                yield record
            elif trajectory is not None:
                trajectory.skip("unparsable")


def scan(path: Path, needles: tuple[bytes, ...], head: int = 0) -> Iterator[dict[str, Any]]:
    """The JSON objects among the first ``head`` lines and the lines holding one of
    ``needles``; other lines are not parsed."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines):
            if number < head or any(needle in raw for needle in needles):
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record


def last_time(path: Path) -> datetime | None:
    """The last ``timestamp`` in the file's final 64 KiB, else its modification time."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.seek(max(size - TAIL_BYTES, 0))
            tail = handle.read().splitlines()
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
    for raw in reversed(tail[1:] if size > TAIL_BYTES else tail):
        if b'"timestamp"' in raw:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            when = parse_time(record.get("timestamp")) if isinstance(record, dict) else None
            if when is not None:
                return when
    return mtime
