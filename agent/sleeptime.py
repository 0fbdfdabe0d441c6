"""Reflection ("sleeptime") settings: when the dream subagent runs and how its work lands.

Defaults come from the ``sleeptime`` object of the settings files (user, then project); an
agent's own choice (``memfs sleeptime``, ``memfs.sleeptime``) is stored per agent in the data
home and overrides them; the editor's ``sleeptime`` setting wins over both. Nothing is written
into the project.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from agent.db import Database
from agent.settings import SettingsReport, Sleeptime
from memfs.errors import InvalidArgument

__all__ = ["Sleeptime", "load", "save", "stored"]


def stored(db: Database, agent_id: str) -> dict[str, Any]:
    """The agent's own sleeptime choices (camelCase keys), as saved."""
    rows = db.query("SELECT settings FROM agent_sleeptime WHERE agent_id = ?", (agent_id,))
    if not rows:
        return {}
    data = json.loads(rows[0]["settings"])
    return dict(data) if isinstance(data, dict) else {}


def load(db: Database, agent_id: str, report: SettingsReport) -> Sleeptime:
    """The agent's effective reflection settings."""
    result = Sleeptime.model_validate(report.sleeptime)
    for layer in (stored(db, agent_id), report.sleeptime_editor):
        for key, value in layer.items():
            try:
                result = Sleeptime.model_validate({**result.to_dict(), key: value})
            except ValidationError:
                continue  # a stored value from an older version; the default stands
    return result


def save(db: Database, agent_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate ``changes`` and store them as the agent's own choice; returns what is stored."""
    current = stored(db, agent_id)
    update = {to_camel(k): v for k, v in changes.items()}
    try:
        Sleeptime.model_validate({**current, **update})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(p) for p in error["loc"])
        raise InvalidArgument(f"invalid sleeptime setting '{name}': {error['msg']}",
                              "trigger: off|step_count|compaction; stepCount: 1-10000; "
                              "merge: auto|review") from None
    saved = {**current, **update}
    with db.write() as conn:
        conn.execute("INSERT INTO agent_sleeptime (agent_id, settings) VALUES (?, ?) "
                     "ON CONFLICT(agent_id) DO UPDATE SET settings = excluded.settings",
                     (agent_id, json.dumps(saved)))
    return saved
