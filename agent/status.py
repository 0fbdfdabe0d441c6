"""What a client shows in its status item: agent, conversation, model (and where it comes
from), memory state, reflections, and project settings withheld from an untrusted folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.reflection_runs import Run
from agent.runtime import Runtime
from agent.settings import Sleeptime
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
    """The model turns will use and where it comes from; without one (or when it is refused),
    ``problem`` says why and ``hint`` how to configure it."""

    name: str | None
    source: str | None
    configured: bool
    api_base: str | None
    api_base_source: str | None
    problem: str | None = None
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
class ReflectionState:
    sleeptime: Sleeptime
    running: bool
    pending_review: bool
    runs: list[Run]


@dataclass(frozen=True)
class WithheldSetting:
    file: str
    key: str
    value: Any
    in_use: bool


@dataclass(frozen=True)
class WorkspaceState:
    path: str | None
    trusted: bool
    withheld: list[WithheldSetting]


@dataclass(frozen=True)
class ApprovalStatus:
    """The approval policy per tier in this workspace, and the tiers an "always" answer
    turned to auto here (``memfs approval reset`` forgets them)."""

    personal: str
    project: str
    always: list[str]


@dataclass(frozen=True)
class ProjectMemoryState:
    """The workspace's project memory (``problem``: why it is ignored, e.g. a link)."""

    path: str
    files: int
    system_tokens: int
    problem: str | None = None


@dataclass(frozen=True)
class Status:
    """The workspace's current agent and conversation, its model and its memory's state."""

    agent: AgentRef
    conversation: ConversationRef
    model: ModelState
    memory: MemoryState
    reflection: ReflectionState
    workspace: WorkspaceState
    settings_problems: list[str]
    approval: ApprovalStatus | None = None
    project: ProjectMemoryState | None = None


def model_state(runtime: Runtime, agent_id: str | None = None) -> ModelState:
    """The effective model of the workspace's agent (or ``agent_id``), never raising."""
    chosen = runtime.model(runtime.agent(agent_id))
    problem = chosen.problem
    return ModelState(chosen.name, chosen.source, chosen.configured, chosen.api_base,
                      chosen.api_base_source, problem.message if problem else None,
                      problem.hint if problem else None)


def status(runtime: Runtime, conversation_id: str | None = None,
           agent_id: str | None = None) -> Status:
    """The workspace's current agent and conversation, its model and its memory's state."""
    agent = runtime.agent(agent_id)
    conversation = runtime.conversation(agent, conversation_id)
    store = runtime.memory(agent)
    projection = project(store.repo)
    runs = runtime.runs.recent(agent.id)
    report = runtime.report
    return Status(
        agent=AgentRef(agent.id, agent.name),
        conversation=ConversationRef(conversation.id, conversation.title),
        model=model_state(runtime, agent.id),
        memory=MemoryState(
            path=str(store.root), head=projection.head, files=len(projection.files),
            dirty=store.repo.dirty_paths(), remote=remote.status(store.repo),
            system_tokens=projection.system_tokens, token_budget=runtime.settings.token_budget),
        reflection=ReflectionState(
            sleeptime=runtime.sleeptime(agent.id),
            running=any(r.status in ("queued", "running") for r in runs),
            pending_review=runtime.reflections.review_file(agent.id).exists(),
            runs=runs),
        workspace=WorkspaceState(
            path=str(report.workspace) if report.workspace else None,
            trusted=report.trusted,
            withheld=[WithheldSetting(w.file, w.key, w.value, w.applies)
                      for w in report.withheld]),
        settings_problems=report.problems,
        approval=approval_status(runtime),
        project=project_state(runtime),
    )


def approval_status(runtime: Runtime) -> ApprovalStatus:
    """The approval policies in force in the runtime's workspace."""
    state = runtime.approval()
    return ApprovalStatus(state.personal, state.project, list(state.always))


def project_state(runtime: Runtime) -> ProjectMemoryState | None:
    """The workspace's project memory, when it has one (or an unsafe one, with why it is
    ignored)."""
    from memfs.errors import MemfsError
    from memfs.project import memory_root

    try:
        store = runtime.project_memory(strict=True)
    except MemfsError as exc:
        assert runtime.workspace is not None
        return ProjectMemoryState(str(memory_root(runtime.workspace)), 0, 0, exc.message)
    if store is None:
        return None
    projection = store.projection()
    return ProjectMemoryState(str(store.root), len(projection.files), projection.system_tokens)
