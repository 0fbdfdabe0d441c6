"""Settings: editor > project local > project > global > defaults, with the environment
variables MEMFS_MODEL, MEMFS_API_BASE and MEMFS_CONTEXT_WINDOW above every settings file.

Files: ``<workspace>/.memfs/settings.local.json`` (this machine, git-ignored; also remembers the
workspace's last agent and conversation), ``<workspace>/.memfs/settings.json`` (shared with the
project) and ``$XDG_CONFIG_HOME/memfs/settings.json`` (global). Keys may be camelCase or
snake_case. A bad value is reported by name and falls back to its default.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

LOCAL_FILE = "settings.local.json"
PROJECT_FILE = "settings.json"
ENV_KEYS = {"MEMFS_MODEL": "model", "MEMFS_API_BASE": "api_base",
            "MEMFS_CONTEXT_WINDOW": "context_window"}


class Settings(BaseModel):
    """Every setting with its default."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str | None = Field(None, description="litellm model string, e.g. openai/gpt-5")
    api_base: str | None = Field(None, description="base URL for a local or proxied model")
    context_window: int | None = Field(None, ge=1024, description="tokens; else from litellm")
    agent: str | None = Field(None, description="agent id to use in this workspace")
    max_steps: int = Field(25, ge=1, le=200, description="model calls per turn at most")
    compaction_threshold: float = Field(0.8, gt=0.1, le=0.95)
    compaction_target: float = Field(0.7, gt=0.05, lt=0.95)
    token_budget: int = Field(20_000, ge=1000, description="token budget of system/")
    tool_output_limit: int = Field(16_000, ge=1000, description="characters per tool result")
    request_timeout: float = Field(120.0, gt=0, description="seconds per model request")
    max_retries: int = Field(3, ge=0, le=10, description="retries of transient model errors")
    embedding_model: str | None = Field(None, description="litellm embedding model for "
                                        "semantic recall (trusted settings only)")


@dataclass
class SettingsReport:
    """Resolved settings, which layer each value came from, and every problem found."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def global_file() -> Path:
    """``$XDG_CONFIG_HOME/memfs/settings.json``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "memfs" / "settings.json"


def read_json(path: Path, problems: list[str]) -> dict[str, Any]:
    """A settings file as a dict; a missing file is empty, a broken one is reported."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        problems.append(f"{path}: not valid JSON ({exc}); ignoring the file")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a JSON object; ignoring the file")
        return {}
    return data


def load(workspace: Path | None = None, editor: dict[str, Any] | None = None) -> SettingsReport:
    """Resolve settings for ``workspace`` with the editor's values on top."""
    problems: list[str] = []
    layers: list[tuple[str, dict[str, Any]]] = [("global", read_json(global_file(), problems))]
    if workspace is not None:
        folder = Path(workspace) / ".memfs"
        layers.append(("project", read_json(folder / PROJECT_FILE, problems)))
        layers.append(("project local", read_json(folder / LOCAL_FILE, problems)))
    env = {key: os.environ[var] for var, key in ENV_KEYS.items() if os.environ.get(var)}
    layers.append(("environment", env))
    layers.append(("editor", dict(editor or {})))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    fields = Settings.model_fields
    for source, layer in layers:
        for raw_key, value in layer.items():
            key = _snake(raw_key)
            if key not in fields or key in ("last_agent", "last_conversation"):
                continue
            if value is None or value == "":
                continue
            try:
                checked = Settings.model_validate({**values, key: value})
            except ValidationError as exc:
                fallback = f"the {sources[key]} value" if key in sources else "its default"
                problems.append(f"setting '{raw_key}' from {source}: {exc.errors()[0]['msg']}; "
                                f"using {fallback}")
                continue
            values[key] = getattr(checked, key)
            sources[key] = source
    return SettingsReport(Settings.model_validate(values), sources, problems)


def local_state(workspace: Path) -> dict[str, Any]:
    """The workspace's remembered agent and conversation (and other local settings)."""
    return read_json(Path(workspace) / ".memfs" / LOCAL_FILE, [])


def remember_binding(workspace: Path, agent_id: str, conversation_id: str) -> None:
    """Record the workspace's last agent and conversation in its local settings file."""
    data = local_state(workspace)
    if data.get("lastAgent") == agent_id and data.get("lastConversation") == conversation_id:
        return
    data.update({"lastAgent": agent_id, "lastConversation": conversation_id})
    write_json(Path(workspace) / ".memfs" / LOCAL_FILE, data)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace a settings file atomically; a workspace's ``.memfs/`` gets a .gitignore that
    keeps machine-local files out of the project's git."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if folder.name == ".memfs" and not ignore.exists():
        ignore.write_text("# memfs: machine-local files\nsettings.local.json\n", encoding="utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
