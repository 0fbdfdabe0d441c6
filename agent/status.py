"""What a client shows in its status item: agent, conversation, model, memory state."""

from __future__ import annotations

from typing import Any

from agent.model import NoModelConfigured, resolve
from agent.runtime import Runtime
from memfs import remote
from memfs.projection import project


def status(runtime: Runtime, conversation_id: str | None = None) -> dict[str, Any]:
    """The workspace's current agent and conversation, its model and its memory's state."""
    agent = runtime.agent()
    conversation = runtime.conversation(agent, conversation_id)
    store = runtime.memory(agent)
    projection = project(store.repo)
    sync = remote.status(store.repo)
    try:
        model: dict[str, Any] = {"name": resolve(agent, runtime.settings).model,
                                 "configured": True}
    except NoModelConfigured as exc:
        model = {"name": None, "configured": False, "hint": exc.hint}
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
        "settingsProblems": runtime.report.problems,
    }
