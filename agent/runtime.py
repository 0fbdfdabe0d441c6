"""The runtime: one object per process (or per workspace) that the LSP server and the CLI use.

It resolves the agent and conversation for a workspace (explicit > trusted ``agent`` setting >
the workspace's binding in the data home > the default), builds turns, runs them, and starts
a reflection after a turn when the agent's sleeptime trigger fires: as a task of a
long-running host (``spawn``: the language server) or in a detached process (``detach``: the
command line, so a one-shot ``memfs chat`` can exit while the reflection finishes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import effective, settings, sleeptime
from agent.agents import Agent, Agents
from agent.approval import ApprovalState, Approver, Grants
from agent.bindings import Bindings
from agent.conversations import Conversation, Conversations
from agent.db import Database, db_path
from agent.reflection_runs import ReflectionRuns
from agent.settings import Sleeptime
from memfs.errors import InvalidArgument, MemfsError
from memfs.home import memfs_home
from memfs.project import ProjectStore
from memfs.scope import Focus
from memfs.store import MemoryStore

if TYPE_CHECKING:  # the turn machinery (litellm, httpx, tools) loads on first use
    from agent import titles
    from agent.events import Compaction, Event
    from agent.loop import Turn
    from agent.model import ModelConfig
    from agent.reflection import Outcome, Progress, Reflections
    from agent.tools.base import Reader

log = logging.getLogger("memfs.runtime")


@dataclass(frozen=True)
class ReflectionJob:
    """A reflection for another process to run (recorded as run ``run_id``)."""

    run_id: int
    agent_id: str
    conversation_id: str
    trigger: str
    home: Path
    workspace: Path | None


OFF_NOTE = "reflection may not write memory: approval.personal is off"
OFF_HINT = "set approval.personal to ask or auto"


def reflection_merge(merge: str, approval: ApprovalState) -> str | None:
    """How a reflection's work lands under the approval policy of the agent's memory: as
    configured under ``auto``, as a review under ``ask``, not at all under ``off`` (None)."""
    policy = approval.policy("personal")
    if policy == "off":
        return None
    return "review" if policy == "ask" else merge


class Runtime:
    """Agents, conversations and turns for one data home and (optionally) one workspace."""

    def __init__(self, home: Path | None = None, workspace: Path | None = None,
                 editor_settings: dict[str, Any] | None = None) -> None:
        self.home = Path(home) if home else memfs_home()
        self.db = Database(db_path(self.home))
        self.agents = Agents(self.db, self.home)
        self.conversations = Conversations(self.db)
        self.bindings = Bindings(self.db)
        self.runs = ReflectionRuns(self.db)
        self.workspace = Path(workspace).resolve() if workspace else None
        self.editor_settings = dict(editor_settings or {})
        self.report = settings.load(self.workspace, editor_settings)
        if self.workspace is not None:
            self.bindings.adopt_legacy(self.workspace)
        # Set by a long-running host (server) so reflections run as its background tasks...
        self.spawn: Callable[[Coroutine[Any, Any, Any]], Any] | None = None
        # ...or by the command line, which hands them to a detached process (returns its pid).
        self.detach: Callable[[ReflectionJob], int] | None = None
        self.on_reflection: Callable[[Outcome], None] | None = None
        self.on_title: titles.OnTitle | None = None  # a conversation got a made title
        self.reflection_progress: Callable[[], Progress] | None = None
        self.grants = Grants(self.db)
        # Set by a host that can ask the user about memory edits (approval "ask").
        self.approver: Approver | None = None
        # Set by a host that can show workspace files as the user sees them (unsaved edits).
        self.reader: Reader | None = None

    @cached_property
    def reflections(self) -> Reflections:
        """The agent's reflections (made on first use: a command that runs no turn never
        loads the model client)."""
        from agent.reflection import Reflections

        return Reflections(self.conversations, self.home)

    @property
    def settings(self) -> settings.Settings:
        return self.report.settings

    def reload_settings(self, editor_settings: dict[str, Any] | None = None) -> list[str]:
        """Re-read every settings layer (and the folder's trust); returns the problems found."""
        self.editor_settings = dict(editor_settings or {})
        self.report = settings.load(self.workspace, editor_settings)
        return self.report.problems

    # ----- resolution --------------------------------------------------------------------------
    def agent(self, agent_id: str | None = None) -> Agent:
        """The explicit agent, else the configured one, else the workspace's, else default."""
        return self.agents.get(self.agent_id(agent_id))

    def agent_id(self, agent_id: str | None = None) -> str:
        """The id ``agent`` resolves to, without creating anything (not even the default
        agent, so an import can still fill its memory)."""
        return self.bindings.current(self.workspace, agent_id or self.settings.agent)

    def conversation(self, agent: Agent, conversation_id: str | None = None,
                     new: bool = False) -> Conversation:
        """The explicit conversation, a new one, the one last used in this workspace with this
        agent, or the agent's main conversation."""
        if conversation_id:
            found = self.conversations.get(conversation_id)
            if found.agent_id != agent.id:
                raise InvalidArgument(f"conversation {conversation_id} belongs to another agent",
                                      "switch to that agent first, or start a new conversation")
            return found
        if new:
            return self.conversations.new(agent.id)
        if self.workspace is not None:
            last = self.bindings.conversation(self.workspace, agent.id)
            if last is not None:
                return self.conversations.get(last)
        return self.conversations.default(agent.id)

    def bind(self, agent: Agent, conversation: Conversation) -> None:
        """Remember this agent and conversation as the workspace's current ones."""
        if self.workspace is not None:
            self.bindings.remember(self.workspace, agent.id, conversation.id)

    def new_conversation(self, agent: Agent, title: str = "") -> Conversation:
        """A new conversation of ``agent`` (titled by the user if ``title``), made the
        workspace's current one."""
        conversation = self.conversations.new(agent.id, title)
        self.bind(agent, conversation)
        return conversation

    def switch_agent(self, agent_id: str) -> tuple[Agent, Conversation]:
        """Make ``agent_id`` the workspace's agent, back in the conversation last used here
        with it (its main conversation the first time)."""
        agent = self.agents.get(agent_id)
        conversation = self.conversation(agent)
        self.bind(agent, conversation)
        return agent, conversation

    def memory(self, agent: Agent) -> MemoryStore:
        """The agent's memory store."""
        return MemoryStore.open(agent.id, self.home, create=True, agent_name=agent.name)

    def project_memory(self, strict: bool = False) -> ProjectStore | None:
        """The workspace's project memory (None without one). An unsafe one (reached through a
        link) is ignored and logged, or raised with ``strict``."""
        try:
            return ProjectStore.open(self.workspace, self.home)
        except MemfsError as exc:
            if strict:
                raise
            log.warning("project memory ignored: %s", exc)
            return None

    def approval(self) -> ApprovalState:
        """The approval policies in force here: the ``approval`` setting, with this
        workspace's "always" answers."""
        return ApprovalState.resolve(self.settings.approval, self.grants.tiers(self.workspace),
                                     lambda tier: self.grants.grant(self.workspace, tier))

    def check_reflection_allowed(self) -> None:
        """Refuse (InvalidArgument) when approval forbids reflection to write memory, so a
        host that reflects in the background can say so before it starts."""
        if reflection_merge("auto", self.approval()) is None:
            raise InvalidArgument(OFF_NOTE, OFF_HINT)

    def focus(self, active: Path | None, open_files: list[Path]) -> Focus:
        """The files in hand, workspace-relative (files outside the workspace left out)."""
        def rel(path: Path) -> str | None:
            if self.workspace is None:
                return None
            try:
                return Path(path).resolve().relative_to(self.workspace).as_posix()
            except ValueError:
                return None

        names = [r for r in (rel(p) for p in open_files) if r]
        return Focus(rel(active) if active is not None else None, tuple(names))

    def model(self, agent: Agent) -> effective.EffectiveModel:
        """The model the agent's turns use here, and where it comes from."""
        return effective.effective(agent, self.report)

    def model_config(self, agent: Agent) -> ModelConfig:
        """What the agent's turns send to litellm; raises NoModelConfigured, or
        ProjectNotTrusted when a withheld project setting would be used."""
        return effective.model_config(agent, self.report)

    def sleeptime(self, agent_id: str) -> Sleeptime:
        """The agent's effective reflection settings."""
        return sleeptime.load(self.db, agent_id, self.report)

    def set_sleeptime(self, agent_id: str, changes: dict[str, Any]) -> Sleeptime:
        """Store the agent's own reflection settings (in the data home); returns the result."""
        sleeptime.save(self.db, self.agents.get(agent_id).id, changes)
        return self.sleeptime(agent_id)

    def turn(self, agent: Agent, conversation: Conversation) -> Turn:
        """A turn for this agent and conversation; raises NoModelConfigured without a model."""
        from agent.loop import Turn

        return Turn(agent, conversation, self.memory(agent), self.conversations, self.settings,
                    self.model_config(agent), self.workspace, project=self.project_memory(),
                    approval=self.approval(), approver=self.approver, reader=self.reader)

    # ----- actions -----------------------------------------------------------------------------
    async def chat(self, text: str, conversation_id: str | None = None,
                   agent_id: str | None = None, new: bool = False, commit_prefix: str = "",
                   user_meta: dict[str, Any] | None = None,
                   focus: Focus | None = None) -> AsyncIterator[Event]:
        """Send one message and stream the turn's events (``user_meta``: what clients show
        of the message, e.g. a Remember turn's own words; ``focus``: the files the user works
        on, so scoped memory that matches them is loaded for this turn)."""
        if not text or not text.strip():
            raise InvalidArgument("the message is empty", "type something to send")
        from agent.events import Compaction
        from agent.loop import run_turn

        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, new)
        turn.commit_prefix = commit_prefix
        turn.user_meta = user_meta
        turn.focus = focus
        compacted = False
        async for event in run_turn(turn, text):
            compacted = compacted or isinstance(event, Compaction)
            yield event
        await self._title(turn)
        await self._after_turn(turn, compacted)

    async def _title(self, turn: Turn) -> None:
        """Title a new conversation after its first exchange: by the model in the background
        of a long-running host (the server); the command line, which has no background to
        run it in, takes the first words rather than make anyone wait."""
        exchange = await asyncio.to_thread(self.conversations.first_exchange,
                                           turn.conversation.id)
        if exchange is None:
            return
        from agent import titles

        async def make(exchange: tuple[str, str], config: ModelConfig | None) -> None:
            title = await titles.make(self.conversations, turn.conversation.id, exchange,
                                      config)
            if title is not None and self.on_title is not None:
                self.on_title(turn.agent.id, turn.conversation.id, title)

        if self.spawn is not None:
            self.spawn(make(exchange, turn.config))
        else:
            await make(exchange, None)

    async def _after_turn(self, turn: Turn, compacted: bool) -> None:
        """Wake the background recall worker (indexes, embeddings); start a reflection when the
        agent's sleeptime trigger fires (unless one for this conversation is already queued or
        running)."""
        from agent import embeddings
        from agent.reflection import due

        embeddings.start(self.db.path, embeddings.config(self.settings))
        if self.spawn is None and self.detach is None:
            return
        config = await asyncio.to_thread(self.sleeptime, turn.agent.id)
        conversation = await asyncio.to_thread(self.conversations.get, turn.conversation.id)
        if not due(conversation, config.trigger, config.step_count, compacted):
            return
        if turn.approval is not None and turn.approval.policy("personal") == "off":
            return  # reflection writes memory, which approval.personal forbids
        if await asyncio.to_thread(self.runs.active, turn.agent.id, conversation.id):
            return
        queued = self.spawn is None
        run_id = await asyncio.to_thread(self.runs.start, turn.agent.id, conversation.id,
                                         config.trigger, "queued" if queued else "running")
        if self.spawn is not None:
            self.spawn(self.reflect(conversation.id, turn.agent.id, config.trigger, run_id))
        elif self.detach is not None:
            job = ReflectionJob(run_id, turn.agent.id, conversation.id, config.trigger,
                                self.home, self.workspace)
            pid = await asyncio.to_thread(self.detach, job)
            await asyncio.to_thread(self.runs.set_pid, run_id, pid)

    async def reflect(self, conversation_id: str | None = None, agent_id: str | None = None,
                      trigger: str = "manual", run_id: int | None = None) -> Outcome:
        """Reflect on a conversation now (waits for a running reflection of the agent); the
        run and its outcome are recorded (``run_id`` when it was queued beforehand)."""
        if run_id is not None:
            await asyncio.to_thread(self.runs.running, run_id)
        try:
            turn = await asyncio.to_thread(self._resolve_turn, conversation_id, agent_id)
        except MemfsError as exc:
            if run_id is not None:
                await asyncio.to_thread(self.runs.finish, run_id, "failed", str(exc))
            raise
        if run_id is None:
            run_id = await asyncio.to_thread(self.runs.start, turn.agent.id,
                                             turn.conversation.id, trigger)
        config = await asyncio.to_thread(self.sleeptime, turn.agent.id)
        merge = reflection_merge(config.merge, await asyncio.to_thread(self.approval))
        if merge is None:
            await asyncio.to_thread(self.runs.finish, run_id, "refused", OFF_NOTE)
            raise InvalidArgument(OFF_NOTE, OFF_HINT)
        from agent.reflection import Progress

        progress = self.reflection_progress() if self.reflection_progress else Progress()
        try:
            outcome = await self.reflections.reflect(
                turn.agent.id, turn.agent.name, turn.conversation.id, turn.memory,
                turn.config, self.settings, merge, progress)
        except asyncio.CancelledError:
            progress.end("cancelled; will retry later")
            self.runs.finish(run_id, "cancelled", "cancelled; will retry later")
            raise
        except Exception as exc:
            progress.end(f"will retry later ({exc})")
            await asyncio.to_thread(self.runs.finish, run_id, "failed", str(exc))
            raise
        await asyncio.to_thread(self.runs.finish, run_id, outcome.status, outcome.message,
                                outcome.commit, outcome.files)
        progress.end(outcome.message)
        if self.on_reflection is not None:
            self.on_reflection(outcome)
        return outcome

    def _resolve_turn(self, conversation_id: str | None, agent_id: str | None) -> Turn:
        agent = self.agent(agent_id)
        return self.turn(agent, self.conversation(agent, conversation_id))

    def _start_turn(self, conversation_id: str | None, agent_id: str | None, new: bool
                    ) -> Turn:
        agent = self.agent(agent_id)
        conversation = self.conversation(agent, conversation_id, new)
        turn = self.turn(agent, conversation)
        self.bind(agent, conversation)
        self.agents.touch(agent.id)
        return turn

    async def compact(self, conversation_id: str | None = None,
                      agent_id: str | None = None) -> Compaction | None:
        """Compact a conversation now, whatever its size; None when there is nothing to fold."""
        from agent.compaction import compact, history_tokens
        from agent.loop import prepare

        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, False)
        conversation = turn.conversation
        _, _, budget, _ = await prepare(turn)
        history = await asyncio.to_thread(self.conversations.recent, conversation, budget.window)
        if history_tokens(conversation, history) == 0:
            return None
        return await compact(self.conversations, conversation, history, budget, self.settings,
                             turn.config, force=True)
