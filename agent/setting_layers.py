"""The settings layers and how they combine, without the settings model (no pydantic).

Layers, lowest first: the user settings file (``$XDG_CONFIG_HOME/memfs/settings.json``), the
project's ``<ws>/.memfs/settings.json`` and ``<ws>/.memfs/settings.local.json``, the
environment (MEMFS_MODEL, MEMFS_API_BASE, MEMFS_CONTEXT_WINDOW), then the editor's settings.
An untrusted project applies only SAFE_KEYS; its other keys are withheld and reported.

``resolve`` holds the whole of that logic; what a value must be is asked of a ``Checker``:
``agent.settings`` passes one backed by its pydantic model (the full report, with every
problem named), and ``quick`` passes ``Plain``, which vouches only for values it can tell
are valid (a string, a number in range) and gives up (None) on anything else, so a command
that needs only a setting or two (``memfs memory status``: ``agent``) starts without pydantic
and falls back to the full load whenever a value would need its verdict.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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
# The settings (``agent.settings.Settings``'s fields) and the ``sleeptime`` object's keys
# (``Sleeptime``'s fields); tests keep them equal to the models'.
FIELDS = frozenset({
    "model", "api_base", "context_window", "agent", "max_steps", "compaction_threshold",
    "compaction_target", "token_budget", "tool_output_limit", "request_timeout",
    "turn_timeout", "max_retries", "embedding_model", "approval",
})
SLEEPTIME_FIELDS = frozenset({"trigger", "step_count", "merge"})


@dataclass(frozen=True)
class Withheld:
    """A project setting not applied because the folder is not trusted."""

    file: str       # the project file that sets it
    key: str        # as written there, e.g. "apiBase"
    field: str      # the setting, e.g. "api_base"
    value: Any
    applies: bool   # it would be the value in use were the folder trusted


@dataclass(frozen=True)
class Layer:
    """One layer's values as written (keys camelCase or snake_case)."""

    source: str
    where: str  # for messages: a file path, "environment" or "editor"
    values: dict[str, Any]
    project: bool = False


@dataclass
class Resolved:
    """The layers combined: checked values by setting, the layer each came from, every
    problem found, and what an untrusted project had withheld."""

    values: dict[str, Any]
    sources: dict[str, str]
    problems: list[str]
    workspace: Path | None
    trusted: bool
    withheld: list[Withheld]
    sleeptime: dict[str, Any] = field(default_factory=dict)  # from the settings files
    sleeptime_editor: dict[str, Any] = field(default_factory=dict)


class Invalid(Exception):
    """A value a setting cannot take: ``loc`` the path inside it (``("personal",)`` of
    ``approval``), ``message`` why."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class Checker(Protocol):
    """What a setting's value must be."""

    def setting(self, values: dict[str, Any], key: str, value: Any) -> Any:
        """``value`` as setting ``key`` holds it (``values``: those accepted so far), or
        raise Invalid."""

    def plain(self, value: Any) -> dict[str, Any]:
        """A held ``approval`` value as a dict (a later layer overrides it per tier)."""

    def sleeptime(self, merged: dict[str, Any], name: str, value: Any) -> Any:
        """``value`` as the sleeptime key ``name`` holds it, or raise Invalid."""


def snake(key: str) -> str:
    """``apiBase`` -> ``api_base`` (snake_case keys stay as they are)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def camel(name: str) -> str:
    """``step_count`` -> ``stepCount``."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


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


def resolve(workspace: Path | None, editor: dict[str, Any] | None, trusted: bool | None,
            checker: Checker) -> Resolved:
    """Combine the layers for ``workspace`` with the editor's values on top. ``trusted``
    defaults to whether the user trusted the workspace folder."""
    problems: list[str] = []
    layers = [Layer(USER, str(global_file()), read_json(global_file(), problems))]
    if workspace is not None:
        for name in (PROJECT_FILE, LOCAL_FILE):
            layers.append(Layer(PROJECT, str(project_file(workspace, name)),
                                read_project_file(workspace, name, problems), project=True))
    env = {key: os.environ[var] for var, key in ENV_KEYS.items() if os.environ.get(var)}
    layers.append(Layer(ENVIRONMENT, ENVIRONMENT, env))
    editor_layer = Layer(EDITOR, EDITOR, dict(editor or {}))
    if trusted is None:
        trusted = workspace is None or trust.is_trusted(workspace)
    applied = layers if trusted else [_safe(layer) for layer in layers]
    values, sources = _merge([*applied, editor_layer], problems, checker)
    withheld: list[Withheld] = []
    if not trusted:
        _, would_be = _merge([*layers, editor_layer], [], checker)
        for layer in layers:
            for raw_key, value in layer.values.items():
                name = snake(raw_key)
                if layer.project and name in FIELDS and name not in SAFE_KEYS \
                        and value not in (None, ""):
                    applies = would_be.get(name) == layer.where
                    withheld.append(Withheld(layer.where, raw_key, name, value, applies))
    resolved = Resolved(values, {k: _source(v, layers) for k, v in sources.items()}, problems,
                        Path(workspace) if workspace is not None else None, trusted,
                        _dedupe(withheld))
    resolved.sleeptime = _sleeptime(applied, problems, checker)
    resolved.sleeptime_editor = _sleeptime([editor_layer], problems, checker)
    return resolved


def quick(workspace: Path | None) -> Resolved | None:
    """The command line's settings (no editor layer) when every value in every layer is
    plainly valid, so the full load would find the same and no other problem; else None."""
    try:
        return resolve(workspace, None, None, Plain())
    except Unsure:
        return None


def _safe(layer: Layer) -> Layer:
    if not layer.project:
        return layer
    return Layer(layer.source, layer.where,
                 {k: v for k, v in layer.values.items() if snake(k) in SAFE_KEYS},
                 project=True)


def _merge(layers: list[Layer], problems: list[str], checker: Checker
           ) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by setting and where each came from (the layer's ``where``)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        for raw_key, value in layer.values.items():
            key = snake(raw_key)
            if key not in FIELDS or value is None or value == "":
                continue
            if key == "approval" and isinstance(value, dict) and key in values:
                value = {**checker.plain(values[key]), **value}  # per tier, layer over layer
            try:
                values[key] = checker.setting(values, key, value)
            except Invalid as exc:
                fallback = f"the value from {sources[key]}" if key in sources else "its default"
                name = ".".join([raw_key, *exc.loc])
                problems.append(f"setting '{name}' from {layer.where}: "
                                f"{exc.message}; using {fallback}")
                continue
            sources[key] = layer.where
    return values, sources


def _source(where: str, layers: list[Layer]) -> str:
    return next((layer.source for layer in layers if layer.where == where), where)


def _dedupe(items: list[Withheld]) -> list[Withheld]:
    """One entry per setting: the one from the file that would win."""
    by_field: dict[str, Withheld] = {}
    for item in items:
        by_field[item.field] = item
    return list(by_field.values())


def _sleeptime(layers: list[Layer], problems: list[str], checker: Checker) -> dict[str, Any]:
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
            name = snake(sub)
            if name not in SLEEPTIME_FIELDS:
                continue
            try:
                merged[camel(name)] = checker.sleeptime(merged, name, value)
            except Invalid as exc:
                problems.append(f"setting 'sleeptime.{sub}' from {layer.where}: "
                                f"{exc.message}; ignoring it")
    return merged


# ----- the plain checker ------------------------------------------------------------------------
class Unsure(Exception):
    """A value only the settings model can judge."""


_BIG = 2**53  # numbers past this are left to the model (float conversion, overflow)
_POLICIES = ("auto", "ask", "off")


def _text(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")  # lone surrogates (possible in JSON) are left to the model
    except UnicodeEncodeError:
        return False
    return True


def _whole(value: Any, low: int | None = None, high: int | None = None) -> bool:
    return type(value) is int and -_BIG < value < _BIG and (low is None or value >= low) \
        and (high is None or value <= high)


def _number(value: Any) -> bool:
    return type(value) in (int, float) and -_BIG < value < _BIG


# What ``Settings`` accepts, as plain tests (a value none of these vouch for goes to the model).
_PLAIN: dict[str, Any] = {
    "model": _text, "api_base": _text, "agent": _text, "embedding_model": _text,
    "context_window": lambda v: _whole(v, 1024),
    "max_steps": lambda v: _whole(v, 1, 200),
    "compaction_threshold": lambda v: _number(v) and 0.1 < v <= 0.95,
    "compaction_target": lambda v: _number(v) and 0.05 < v < 0.95,
    "token_budget": lambda v: _whole(v, 1000),
    "tool_output_limit": lambda v: _whole(v, 1000),
    "request_timeout": lambda v: _number(v) and v > 0,
    "turn_timeout": lambda v: _number(v) and v > 0,
    "max_retries": lambda v: _whole(v, 0, 10),
    "approval": lambda v: type(v) is dict and all(
        type(v.get(tier, "auto")) is str and v.get(tier, "auto") in _POLICIES
        for tier in ("personal", "project")),
}
_PLAIN_SLEEPTIME: dict[str, Any] = {
    "trigger": lambda v: type(v) is str and v in ("off", "step_count", "compaction"),
    "step_count": lambda v: _whole(v, 1, 10_000),
    "merge": lambda v: type(v) is str and v in ("auto", "review"),
}


class Plain:
    """A checker that accepts what is plainly valid and gives up on anything else."""

    def setting(self, values: dict[str, Any], key: str, value: Any) -> Any:
        if not _PLAIN[key](value):
            raise Unsure(key)
        return value

    def plain(self, value: Any) -> dict[str, Any]:
        return dict(value)

    def sleeptime(self, merged: dict[str, Any], name: str, value: Any) -> Any:
        if not _PLAIN_SLEEPTIME[name](value):
            raise Unsure(name)
        return value
