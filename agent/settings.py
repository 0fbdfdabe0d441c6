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

Reading and combining the layers is ``agent.setting_layers`` (no pydantic, shared with the
command line's quick start); this module holds the models that judge each value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from agent import setting_layers
from agent.setting_layers import Invalid, Withheld

__all__ = ["Approval", "Settings", "SettingsReport", "Sleeptime", "Withheld", "load"]


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


def load(workspace: Path | None = None, editor: dict[str, Any] | None = None,
         trusted: bool | None = None) -> SettingsReport:
    """Resolve settings for ``workspace`` with the editor's values on top. ``trusted``
    defaults to whether the user trusted the workspace folder."""
    found = setting_layers.resolve(workspace, editor, trusted, _Model())
    report = SettingsReport(Settings.model_validate(found.values), found.sources,
                            found.problems, found.workspace, found.trusted, found.withheld)
    report.sleeptime = found.sleeptime
    report.sleeptime_editor = found.sleeptime_editor
    return report


class _Model:
    """Each value judged by the models (the first error names where and why)."""

    def setting(self, values: dict[str, Any], key: str, value: Any) -> Any:
        try:
            checked = Settings.model_validate({**values, key: value})
        except ValidationError as exc:
            error = exc.errors()[0]
            raise Invalid(tuple(str(p) for p in error["loc"][1:]), error["msg"]) from None
        return getattr(checked, key)

    def plain(self, value: Any) -> dict[str, Any]:
        return dict(value.model_dump())

    def sleeptime(self, merged: dict[str, Any], name: str, value: Any) -> Any:
        try:
            checked = Sleeptime.model_validate({**merged, to_camel(name): value})
        except ValidationError as exc:
            raise Invalid((), exc.errors()[0]["msg"]) from None
        return getattr(checked, name)
