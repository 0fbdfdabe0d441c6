"""The one place results become wire JSON.

``agent`` and ``memfs`` return plain dataclasses (and pydantic models) with snake_case fields;
handlers pass them through ``to_wire`` so every field name on the wire is camelCase. Keys of
plain dicts are data (memory paths, a tool call's own arguments), never renamed; their values
are converted.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import sys
from pathlib import PurePath
from typing import Any

_UNDERSCORE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``agent_id`` -> ``agentId`` (a leading underscore is kept)."""
    head, body = ("_", name[1:]) if name.startswith("_") else ("", name)
    return head + _UNDERSCORE.sub(lambda m: m.group(1).upper(), body)


class Encoded:
    """A result encoded as JSON (ASCII bytes) once, off the event loop, and sent as it is
    (``lsp_server.protocol``): a large answer that stays the same between requests (the
    memory tree) costs no conversion, encoding or garbage per request. ``value`` is wire
    JSON already (camelCase fields, made with ``to_wire`` where it held dataclasses)."""

    __slots__ = ("json",)

    def __init__(self, value: Any) -> None:
        self.json = json.dumps(value, separators=(",", ":")).encode("ascii")


_SCALARS = (str, int, float, bool, type(None))


def to_wire(value: Any) -> Any:
    """``value`` as JSON-ready data with camelCase field names."""
    if type(value) in _SCALARS or isinstance(value, Encoded):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): to_wire(getattr(value, f.name))
                for f in dataclasses.fields(value)}
    if _is_model(value):
        return {camel(name): to_wire(getattr(value, name))
                for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_wire(v) for v in items]
    if isinstance(value, enum.Enum):
        return to_wire(value.value)
    if isinstance(value, PurePath):
        return str(value)
    return value


def _is_model(value: Any) -> bool:
    """A pydantic model (without importing pydantic, so the server's start path stays light:
    when pydantic is not loaded, nothing is a model)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)
