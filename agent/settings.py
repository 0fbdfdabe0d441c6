"""Settings, in layers (lowest first): the user settings file
(``$XDG_CONFIG_HOME/memfs/settings.json``), the project's ``<ws>/.memfs/settings.json`` and
``<ws>/.memfs/settings.local.json``, the environment (MEMFS_MODEL, MEMFS_API_BASE,
MEMFS_CONTEXT_WINDOW), then the editor's settings.

The user settings file, the environment and the editor are the user's own and trusted. The two
project files came with the project: until the user trusts the folder (``agent.trust``) only
the keys in SAFE_KEYS apply from them; every other key is withheld and reported by name.
Keys may be camelCase or snake_case. A bad value (nested ``sleeptime`` and ``approval`` ones
included) is reported by name and falls back. ``approval`` is not on the allow-list: a
project must not lower its own approval.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from agent import trust

PROJECT_FOLDER = ".memfs"
LOCAL_FILE = "settings.local.json"
PROJECT_FILE = "settings.json"
ENV_KEYS = {"MEMFS_MODEL": "model", "MEMFS_API_BASE": "api_base",
            "MEMFS_CONTEXT_WINDOW": "context_window"}

# Layer names (also the ``source`` of a value)
USER = "user settings"
PROJECT = "project settings"
ENVIRONMENT = "environment"
EDITOR = "editor"

# What an untrusted project may set: limits and thresholds that neither send data anywhere nor
# run anything. Everything else (model, apiBase, agent, and any key added later) is withheld.
SAFE_KEYS = frozenset({
    "max_steps", "compaction_threshold", "compaction_target", "token_budget",
    "tool_output_limit", "request_timeout", "turn_timeout", "max_retries", "context_window",
    "sleeptime",
})


class Sleeptime(BaseModel):
    """trigger: off | step_count (every N user messages) | compaction; merge: auto | review."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore",
                              frozen=True)
    trigger: Literal["off", "step_count", "compaction"] = "compaction"
    step_count: int = Field(25, ge=1, le=10_000)
    merge: Literal["auto", "review"] = "auto"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


Policy = Literal["auto", "ask", "off"]


class Approval(BaseModel):
    """Which memory edits need the user's approval, per tier: ``auto`` (they land), ``ask``
    (each is shown to the user, with its diff, before it lands), ``off`` (the agent may not
    write that tier)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    personal: Policy = "auto"
    project: Policy = "ask"


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
    request_timeout: float = Field(120.0, gt=0, description="seconds a model may stay silent")
    turn_timeout: float = Field(600.0, gt=0, description="seconds a whole turn may take")
    max_retries: int = Field(3, ge=0, le=10, description="retries of transient model errors")
    embedding_model: str | None = Field(None, description="litellm embedding model for "
                                        "semantic recall (trusted settings only)")
    approval: Approval = Field(default_factory=Approval,
                               description="memory edits needing approval, per tier")


@dataclass(frozen=True)
class Withheld:
    """A project setting not applied because the folder is not trusted."""

    file: str       # the project file that sets it
    key: str        # as written there, e.g. "apiBase"
    field: str      # the setting, e.g. "api_base"
    value: Any
    applies: bool   # it would be the value in use were the folder trusted


@dataclass
class SettingsReport:
    """Resolved settings, which layer each value came from, and every problem found."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    workspace: Path | None = None
    trusted: bool = True
    withheld: list[Withheld] = field(default_factory=list)
    sleeptime: dict[str, Any] = field(default_factory=dict)  # from the settings files
    sleeptime_editor: dict[str, Any] = field(default_factory=dict)

    def withheld_in_use(self, name: str) -> Withheld | None:
        """The withheld project value of setting ``name`` that would otherwise be in use."""
        return next((w for w in self.withheld if w.field == name and w.applies), None)


@dataclass(frozen=True)
class _Layer:
    source: str
    where: str  # for messages: a file path, "environment" or "editor"
    values: dict[str, Any]
    project: bool = False


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def global_file() -> Path:
    """The user settings file, ``$XDG_CONFIG_HOME/memfs/settings.json``."""
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


def project_file(workspace: Path, name: str) -> Path:
    """``<ws>/.memfs/<name>``."""
    return Path(workspace) / PROJECT_FOLDER / name


def links_out(workspace: Path, path: Path) -> bool:
    """Whether ``path`` (or a folder on the way) is a link that leads out of the workspace."""
    return not path.resolve().is_relative_to(Path(workspace).resolve())


def read_project_file(workspace: Path, name: str, problems: list[str]) -> dict[str, Any]:
    """A project settings file; one reached through a link out of the workspace is ignored."""
    path = project_file(workspace, name)
    if not path.is_symlink() and not path.exists():
        return {}
    if links_out(workspace, path):
        problems.append(f"{path}: a link out of the workspace; ignoring the file")
        return {}
    return read_json(path, problems)


def load(workspace: Path | None = None, editor: dict[str, Any] | None = None,
         trusted: bool | None = None) -> SettingsReport:
    """Resolve settings for ``workspace`` with the editor's values on top. ``trusted``
    defaults to whether the user trusted the workspace folder."""
    problems: list[str] = []
    layers = [_Layer(USER, str(global_file()), read_json(global_file(), problems))]
    if workspace is not None:
        for name in (PROJECT_FILE, LOCAL_FILE):
            layers.append(_Layer(PROJECT, str(project_file(workspace, name)),
                                 read_project_file(workspace, name, problems), project=True))
    env = {key: os.environ[var] for var, key in ENV_KEYS.items() if os.environ.get(var)}
    layers.append(_Layer(ENVIRONMENT, ENVIRONMENT, env))
    editor_layer = _Layer(EDITOR, EDITOR, dict(editor or {}))
    if trusted is None:
        trusted = workspace is None or trust.is_trusted(workspace)
    applied = layers if trusted else [_safe(layer) for layer in layers]
    values, sources = _merge([*applied, editor_layer], problems)
    withheld: list[Withheld] = []
    if not trusted:
        _, would_be = _merge([*layers, editor_layer], [])
        for layer in layers:
            for raw_key, value in layer.values.items():
                name = _snake(raw_key)
                if layer.project and name in Settings.model_fields and name not in SAFE_KEYS \
                        and value not in (None, ""):
                    applies = would_be.get(name) == layer.where
                    withheld.append(Withheld(layer.where, raw_key, name, value, applies))
    report = SettingsReport(Settings.model_validate(values),
                            {k: _source(v, layers) for k, v in sources.items()}, problems,
                            Path(workspace) if workspace is not None else None, trusted,
                            _dedupe(withheld))
    report.sleeptime = _sleeptime(applied, problems)
    report.sleeptime_editor = _sleeptime([editor_layer], problems)
    return report


def _safe(layer: _Layer) -> _Layer:
    if not layer.project:
        return layer
    return _Layer(layer.source, layer.where,
                  {k: v for k, v in layer.values.items() if _snake(k) in SAFE_KEYS},
                  project=True)


def _merge(layers: list[_Layer], problems: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by setting and where each came from (the layer's ``where``)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        for raw_key, value in layer.values.items():
            key = _snake(raw_key)
            if key not in Settings.model_fields or value is None or value == "":
                continue
            if key == "approval" and isinstance(value, dict) and key in values:
                value = {**values[key].model_dump(), **value}  # per tier, layer over layer
            try:
                checked = Settings.model_validate({**values, key: value})
            except ValidationError as exc:
                fallback = f"the value from {sources[key]}" if key in sources else "its default"
                error = exc.errors()[0]
                name = ".".join([raw_key, *(str(p) for p in error["loc"][1:])])
                problems.append(f"setting '{name}' from {layer.where}: "
                                f"{error['msg']}; using {fallback}")
                continue
            values[key] = getattr(checked, key)
            sources[key] = layer.where
    return values, sources


def _source(where: str, layers: list[_Layer]) -> str:
    return next((layer.source for layer in layers if layer.where == where), where)


def _dedupe(items: list[Withheld]) -> list[Withheld]:
    """One entry per setting: the one from the file that would win."""
    by_field: dict[str, Withheld] = {}
    for item in items:
        by_field[item.field] = item
    return list(by_field.values())


def _sleeptime(layers: list[_Layer], problems: list[str]) -> dict[str, Any]:
    """The ``sleeptime`` object of these layers, merged; bad values are reported by name."""
    merged: dict[str, Any] = {}
    for layer in layers:
        raw = layer.values.get("sleeptime")
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(f"setting 'sleeptime' from {layer.where}: expected an object "
                            "like {\"trigger\": \"step_count\", \"stepCount\": 10}; ignoring it")
            continue
        for sub, value in raw.items():
            name = _snake(sub)
            if name not in Sleeptime.model_fields:
                continue
            try:
                checked = Sleeptime.model_validate({**merged, to_camel(name): value})
            except ValidationError as exc:
                problems.append(f"setting 'sleeptime.{sub}' from {layer.where}: "
                                f"{exc.errors()[0]['msg']}; ignoring it")
                continue
            merged[to_camel(name)] = getattr(checked, name)
    return merged
