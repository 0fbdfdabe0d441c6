"""Reflection ("sleeptime") settings: when the dream subagent runs and how its work lands.

Stored per agent in the workspace's local settings (``sleeptime.<agent id>``) over a global
default (``sleeptime`` in the global settings file); the editor's ``sleeptime`` setting wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from agent.settings import LOCAL_FILE, global_file, read_json, write_json
from memfs.errors import InvalidArgument


class Sleeptime(BaseModel):
    """trigger: off | step_count (every N user messages) | compaction; merge: auto | review."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore",
                              frozen=True)
    trigger: Literal["off", "step_count", "compaction"] = "compaction"
    step_count: int = Field(25, ge=1, le=10_000)
    merge: Literal["auto", "review"] = "auto"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def _layer(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def load(workspace: Path | None, agent_id: str, editor: dict[str, Any] | None = None
         ) -> Sleeptime:
    """The agent's reflection settings (bad stored values fall back to defaults)."""
    merged: dict[str, Any] = {}
    merged.update(_layer(read_json(global_file(), []).get("sleeptime")))
    if workspace is not None:
        local = read_json(Path(workspace) / ".memfs" / LOCAL_FILE, [])
        merged.update(_layer(_layer(local.get("sleeptime")).get(agent_id)))
    merged.update(_layer((editor or {}).get("sleeptime")))
    result = Sleeptime.model_validate({})
    for key, value in merged.items():
        try:
            result = Sleeptime.model_validate({**result.to_dict(), to_camel(key): value})
        except ValidationError:
            continue
    return result


def save(workspace: Path | None, agent_id: str, changes: dict[str, Any]) -> Sleeptime:
    """Validate ``changes`` and store them for this agent (in the workspace, else globally)."""
    current = load(workspace, agent_id)
    try:
        updated = Sleeptime.model_validate(
            {**current.to_dict(), **{to_camel(k): v for k, v in changes.items()}})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise InvalidArgument(f"invalid sleeptime setting '{field}': {error['msg']}",
                              "trigger: off|step_count|compaction; stepCount: 1-10000; "
                              "merge: auto|review") from None
    if workspace is not None:
        path = Path(workspace) / ".memfs" / LOCAL_FILE
        data = read_json(path, [])
        sleeptime = _layer(data.get("sleeptime"))
        sleeptime[agent_id] = updated.to_dict()
        data["sleeptime"] = sleeptime
    else:
        path = global_file()
        data = read_json(path, [])
        data["sleeptime"] = updated.to_dict()
    write_json(path, data)
    return updated
