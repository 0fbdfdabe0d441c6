"""The runtime: one object per process (or per workspace) that the LSP server and the CLI use.

It resolves the agent and conversation for a workspace (explicit > settings > the workspace's
last binding > the default), builds turns, and runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agent import model, settings
from agent.agents import Agent, Agents
from agent.compaction import compact, history_tokens
from agent.conversations import Conversation, Conversations
from agent.db import Database, db_path
from agent.events import Compaction, Event
from agent.loop import Turn, prepare, run_turn
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
        self.report = settings.load(self.workspace, editor_settings)

    @property
    def settings(self) -> settings.Settings:
        return self.report.settings

    def reload_settings(self, editor_settings: dict[str, Any] | None = None) -> list[str]:
        """Re-read every settings layer; returns the problems found."""
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
                   agent_id: str | None = None, new: bool = False) -> AsyncIterator[Event]:
        """Send one message and stream the turn's events."""
        if not text or not text.strip():
            raise InvalidArgument("the message is empty", "type something to send")
        turn = await asyncio.to_thread(self._start_turn, conversation_id, agent_id, new)
        async for event in run_turn(turn, text):
            yield event

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
