"""What a client shows in its status item: agent, conversation, model (and where it comes
from), memory state, reflections, and project settings withheld from an untrusted folder."""

from __future__ import annotations

from typing import Any

from agent.agents import Agent
from agent.reflection_runs import Run
from agent.runtime import Runtime
from memfs import remote
from memfs.projection import project


def status(runtime: Runtime, conversation_id: str | None = None,
           agent_id: str | None = None) -> dict[str, Any]:
    """The workspace's current agent and conversation, its model and its memory's state."""
    agent = runtime.agent(agent_id)
    conversation = runtime.conversation(agent, conversation_id)
    store = runtime.memory(agent)
    projection = project(store.repo)
    sync = remote.status(store.repo)
    model = model_state(runtime, agent)
    runs = runtime.runs.recent(agent.id)
    report = runtime.report
    return {
        "agent": {"id": agent.id, "name": agent.name},
        "conversation": {"id": conversation.id, "title": conversation.title},
        "model": model,
        "memory": {
            "path": str(store.root), "head": projection.head, "files": len(projection.files),
            "dirty": store.repo.dirty_paths(), "remote": sync.to_dict(),
            "systemTokens": projection.system_tokens,
            "tokenBudget": runtime.settings.token_budget,
        },
        "reflection": {
            "sleeptime": runtime.sleeptime(agent.id).to_dict(),
            "running": any(r.status in ("queued", "running") for r in runs),
            "pendingReview": runtime.reflections.review_file(agent.id).exists(),
            "runs": [_run(r) for r in runs],
        },
        "workspace": {
            "path": str(report.workspace) if report.workspace else None,
            "trusted": report.trusted,
            "withheld": [{"file": w.file, "key": w.key, "value": w.value,
                          "inUse": w.applies} for w in report.withheld],
        },
        "settingsProblems": report.problems,
    }


def model_state(runtime: Runtime, agent: Agent | None = None) -> dict[str, Any]:
    """The model turns would use and where it comes from; without one (or when a withheld
    project setting would be used), ``problem`` and ``hint`` say why and how to fix it."""
    chosen = runtime.model(agent or runtime.agent())
    model: dict[str, Any] = {"name": chosen.name, "source": chosen.source,
                             "configured": chosen.configured, "apiBase": chosen.api_base,
                             "apiBaseSource": chosen.api_base_source}
    if chosen.problem is not None:
        model["problem"] = chosen.problem.message
        model["hint"] = chosen.problem.hint
    return model


def _run(run: Run) -> dict[str, Any]:
    return {"id": run.id, "trigger": run.trigger, "status": run.status,
            "message": run.message, "commit": run.commit, "files": run.files,
            "conversationId": run.conversation_id, "started": run.started,
            "finished": run.finished}
