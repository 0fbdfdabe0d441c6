"""What a client shows in its status item: agent, conversation, model, memory state."""

from __future__ import annotations

from dataclasses import dataclass

from agent.model import NoModelConfigured, resolve
from agent.runtime import Runtime
from memfs import remote
from memfs.projection import project
from memfs.remote import RemoteStatus


@dataclass(frozen=True)
class AgentRef:
    id: str
    name: str


@dataclass(frozen=True)
class ConversationRef:
    id: str
    title: str


@dataclass(frozen=True)
class ModelState:
    """The model turns will use; without one, ``hint`` says how to configure it."""

    name: str | None
    configured: bool
    hint: str | None = None


@dataclass(frozen=True)
class MemoryState:
    path: str
    head: str
    files: int
    dirty: list[str]
    remote: RemoteStatus
    system_tokens: int
    token_budget: int


@dataclass(frozen=True)
class Status:
    """The workspace's current agent and conversation, its model and its memory's state."""

    agent: AgentRef
    conversation: ConversationRef
    model: ModelState
    memory: MemoryState
    settings_problems: list[str]


def status(runtime: Runtime, conversation_id: str | None = None) -> Status:
    """The workspace's current agent and conversation, its model and its memory's state."""
    agent = runtime.agent()
    conversation = runtime.conversation(agent, conversation_id)
    store = runtime.memory(agent)
    projection = project(store.repo)
    try:
        model = ModelState(resolve(agent, runtime.settings).model, True)
    except NoModelConfigured as exc:
        model = ModelState(None, False, exc.hint)
    return Status(
        agent=AgentRef(agent.id, agent.name),
        conversation=ConversationRef(conversation.id, conversation.title),
        model=model,
        memory=MemoryState(
            path=str(store.root), head=projection.head, files=len(projection.files),
            dirty=store.repo.dirty_paths(), remote=remote.status(store.repo),
            system_tokens=projection.system_tokens, token_budget=runtime.settings.token_budget),
        settings_problems=runtime.report.problems,
    )
