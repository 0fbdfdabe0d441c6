"""JSON-like values as plain dicts and lists (pygls hands unknown params over as namedtuples)."""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every namedtuple turned into a dict, recursively."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
