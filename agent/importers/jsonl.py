"""Streaming reads of JSON-lines files: one line in memory at a time. A line that is not a
JSON object (not JSON, nested too deep to decode, another type) is skipped and counted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from agent.importers.model import Trajectory, parse_time

TAIL_BYTES = 64 * 1024


_DECODER = json.JSONDecoder()
_DECODE = _DECODER.raw_decode
# The C scanner ``raw_decode`` wraps: ``records`` calls it directly (one Python frame less per
# line) and hands any line it rejects to ``_parse``.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
BLANK = object()  # what ``_parse`` returns for a blank line
# What reading one record of an unexpected shape may raise; the record is skipped, counted.
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


def _parse(line: str) -> object:
    """``json.loads(line)``, faster for the common case (no leading whitespace); None for a
    line that is not JSON, ``BLANK`` for a blank one."""
    try:
        value, end = _DECODE(line)
    except RecursionError:  # nested deeper than the decoder goes
        return None
    except ValueError:
        if line.isspace():
            return BLANK
        try:
            return json.loads(line)  # leading whitespace
        except (ValueError, RecursionError):
            return None
    return value if end == len(line) or line[end:].isspace() else None


def _lines(path: Path) -> TextIO:
    return path.open(encoding="utf-8", errors="replace")


def records(path: Path, trajectory: Trajectory | None = None) -> Iterator[dict[str, Any]]:
    """Each line of ``path`` that is a JSON object; blank lines are ignored, other lines are
    counted on ``trajectory`` as ``unparsable``."""
    with _lines(path) as lines:
        for line in lines:
            try:
                record, end = _SCAN(line, 0)
            except (StopIteration, ValueError, RecursionError):
                record = _parse(line)  # not JSON, blank, leading whitespace, too deep
            else:
                if end != len(line) and not line[end:].isspace():
                    record = None
            if type(record) is dict:
                yield record
            elif record is not BLANK and trajectory is not None:
                trajectory.skip("unparsable")


def scan(path: Path, needles: tuple[str, ...], head: int = 0) -> Iterator[dict[str, Any]]:
    """The JSON objects among the first ``head`` lines and the lines holding one of
    ``needles``; other lines are not parsed."""
    with _lines(path) as lines:
        for number, line in enumerate(lines):
            if number < head or any(needle in line for needle in needles):
                record = _parse(line)
                if isinstance(record, dict):
                    yield record


def last_time(path: Path) -> datetime | None:
    """The last ``timestamp`` in the file's final 64 KiB, else its modification time."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.seek(max(size - TAIL_BYTES, 0))
            tail = handle.read().decode("utf-8", "replace").splitlines()
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
    for line in reversed(tail[1:] if size > TAIL_BYTES else tail):
        if '"timestamp"' in line:
            record = _parse(line)
            when = parse_time(record.get("timestamp")) if isinstance(record, dict) else None
            if when is not None:
                return when
    return mtime
