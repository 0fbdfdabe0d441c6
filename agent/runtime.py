"""The runtime: one object per process (or per workspace) that the LSP server and the CLI use.

It resolves the agent and conversation for a workspace (explicit > settings > the workspace's
last binding > the default), builds turns, and runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from agent import embeddings, model, settings, sleeptime
from agent.agents import Agent, Agents
from agent.compaction import compact, history_tokens
from agent.conversations import Conversation, Conversations
from agent.db import Database, db_path
from agent.events import Compaction, Event
from agent.loop import Turn, prepare, run_turn
from agent.reflection import Outcome, Progress, Reflections, due
from memfs.errors import InvalidArgument
from memfs.home import memfs_home
from memfs.store import MemoryStore


class Runtime:
    """Agents, conversations and turns for one data home and (optionally) one workspace."""

    def __init__(self, home: Path | None = None, workspace: Path | None = None,
                 editor_settings: dict[str, Any] | None = None) -> None:
        self.home = Path(home) if home else memfs_home()
        self.db = Database(db_path(self.home))
        self.agents = Agents(self.db, self.home)
        self.conversations = Conversations(self.db)
        self.workspace = Path(workspace).resolve() if workspace else None
        self.editor_settings = dict(editor_settings or {})
        self.report = settings.load(self.workspace, editor_settings)
        self.reflections = Reflections(self.conversations, self.home)
        # Set by a long-running host (server, worker) so reflections can run in the background.
        self.spawn: Callable[[Coroutine[Any, Any, Any]], Any] | None = None
        self.on_reflection: Callable[[Outcome], None] | None = None
        self.reflection_progress: Callable[[], Progress] | None = None

    @property
    def settings(self) -> settings.Settings:
        return self.report.settings

    def reload_settings(self, editor_settings: dict[str, Any] | None = None) -> list[str]:
        """Re-read every settings layer; returns the problems found."""
        self.editor_settings = dict(editor_settings or {})
        self.report = settings.load(self.workspace, editor_settings)
        return self.report.problems

    # ----- resolution --------------------------------------------------------------------------
    def agent(self, agent_id: str | None = None) -> Agent:
        """The explicit agent, else the configured one, else the workspace's last, else default."""
        chosen = agent_id or self.settings.agent
        if not chosen and self.workspace is not None:
            last = settings.local_state(self.workspace).get("lastAgent")
            if isinstance(last, str):
                try:
                    return self.agents.get(last)
                except Exception:
                    pass
        return self.agents.get(chosen) if chosen else self.agents.default()

    def conversation(self, agent: Agent, conversation_id: str | None = None,
                     new: bool = False) -> Conversation:
        """The explicit conversation, a new one, the workspace's last, or the default."""
        if conversation_id:
            found = self.conversations.get(conversation_id)
            if found.agent_id != agent.id:
                raise InvalidArgument(f"conversation {conversation_id} belongs to another agent",
                                      "switch to that agent first, or start a new conversation")
            return found
        if new:
            return self.conversations.new(agent.id)
        if self.workspace is not None:
            last = settings.local_state(self.workspace).get("lastConversation")
            if isinstance(last, str):
                rows = self.db.query("SELECT id FROM conversations WHERE id = ? AND agent_id = ?",
                                     (last, agent.id))
                if rows:
                    return self.conversations.get(last)
        return self.conversations.default(agent.id)

    def bind(self, agent: Agent, conversation: Conversation) -> None:
        """Remember this agent and conversation as the workspace's current ones."""
        if self.workspace is not None:
            settings.remember_binding(self.workspace, agent.id, conversation.id)

    def memory(self, agent: Agent) -> MemoryStore:
        """The agent's memory store."""
        return MemoryStore.open(agent.id, self.home, create=True, agent_name=agent.name)

    def turn(self, agent: Agent, conversation: Conversation) -> Turn:
        """A turn for this agent and conversation; raises NoModelConfigured without a model."""
        config = model.resolve(agent, self.settings)
        return Turn(agent, conversation, self.memory(agent), self.conversations, self.settings,
                    config, self.workspace)

    # ----- actions -----------------------------------------------------------------------------
    async def chat(self, text: str, conversation_id: str | None = None,
                   agent_id: str | None = None, new: bool = False, commit_prefix: str = ""
                   ) -> AsyncIterator[Event]:
        """Send one message and stream the turn's events."""
        if not text or not text.strip():
            raise InvalidArgument("the message is empty", "type something to send")
        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, new)
        turn.commit_prefix = commit_prefix
        compacted = False
        async for event in run_turn(turn, text):
            compacted = compacted or isinstance(event, Compaction)
            yield event
        await self._after_turn(turn, compacted)

    async def _after_turn(self, turn: Turn, compacted: bool) -> None:
        """Wake the background recall worker (indexes, embeddings); start a background
        reflection when the agent's sleeptime trigger fires."""
        embeddings.start(self.db.path, embeddings.config(self.settings))
        if self.spawn is None:
            return
        config = sleeptime.load(self.workspace, turn.agent.id, self.editor_settings)
        conversation = await asyncio.to_thread(self.conversations.get, turn.conversation.id)
        if due(conversation, config.trigger, config.step_count, compacted):
            self.spawn(self.reflect(conversation.id, turn.agent.id))

    async def reflect(self, conversation_id: str | None = None, agent_id: str | None = None
                      ) -> Outcome:
        """Reflect on a conversation now (waits for a running reflection of the agent)."""
        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, False)
        config = sleeptime.load(self.workspace, turn.agent.id, self.editor_settings)
        progress = self.reflection_progress() if self.reflection_progress else Progress()
        try:
            outcome = await self.reflections.reflect(
                turn.agent.id, turn.agent.name, turn.conversation.id, turn.memory,
                turn.config, self.settings, config.merge, progress)
        except asyncio.CancelledError:
            progress.end("cancelled; will retry later")
            raise
        except Exception as exc:
            progress.end(f"will retry later ({exc})")
            raise
        progress.end(outcome.message)
        if self.on_reflection is not None:
            self.on_reflection(outcome)
        return outcome

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
        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, False)
        conversation = turn.conversation
        _, _, budget, _ = await prepare(turn)
        history = await asyncio.to_thread(self.conversations.recent, conversation, budget.window)
        if history_tokens(conversation, history) == 0:
            return None
        return await compact(self.conversations, conversation, history, budget, self.settings,
                             turn.config, force=True)
