"""Which model a turn uses, where that choice came from, and why a turn would be refused.

Precedence: an agent's own model (``memfs agent model ID MODEL``) is an explicit choice for
that agent and wins; an agent without one uses the ``model`` setting (editor > environment
``MEMFS_MODEL`` > project settings of a trusted folder > user settings). The API base goes
with it: the agent's own when its model is used and it has one, else the ``apiBase`` setting
(same order). A project value withheld from an untrusted folder that would otherwise be in
use refuses the turn, naming the file, the setting and ``memfs trust``.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.agents import Agent
from agent.model import ModelConfig, NoModelConfigured
from agent.settings import SettingsReport
from agent.trust import ProjectNotTrusted
from memfs.errors import MemfsError

AGENT = "agent"


@dataclass(frozen=True)
class EffectiveModel:
    """The model a turn of this agent would use, and where each part comes from."""

    name: str | None
    source: str | None  # agent | editor | environment | project settings | user settings
    api_base: str | None
    api_base_source: str | None
    context_window: int | None
    problem: MemfsError | None = None  # why a turn would be refused

    @property
    def configured(self) -> bool:
        return self.problem is None


def effective(agent: Agent, report: SettingsReport) -> EffectiveModel:
    """The agent's effective model under these settings (never raises)."""
    settings, sources = report.settings, report.sources
    problem: MemfsError | None = None
    name: str | None
    source: str | None
    if agent.model:
        name, source = agent.model, AGENT
    else:
        name, source = settings.model, sources.get("model")
        problem = _withheld(report, "model")
    api_base: str | None
    base_source: str | None
    if agent.model and agent.api_base:
        api_base, base_source = agent.api_base, AGENT
    else:
        api_base, base_source = settings.api_base, sources.get("api_base")
        problem = problem or _withheld(report, "api_base")
    window = (agent.context_window or settings.context_window) if agent.model else (
        settings.context_window or agent.context_window)
    if problem is None and not name:
        problem = NoModelConfigured()
    return EffectiveModel(name, source if name else None, api_base,
                          base_source if api_base else None, window, problem)


def model_config(agent: Agent, report: SettingsReport) -> ModelConfig:
    """What a turn sends to litellm; raises NoModelConfigured or ProjectNotTrusted."""
    chosen = effective(agent, report)
    if chosen.problem is not None:
        raise chosen.problem
    return ModelConfig(model=str(chosen.name), api_base=chosen.api_base,
                       context_window=chosen.context_window)


def _withheld(report: SettingsReport, name: str) -> ProjectNotTrusted | None:
    item = report.withheld_in_use(name)
    if item is None or report.workspace is None:
        return None
    return ProjectNotTrusted(item.file, item.key, report.workspace)
