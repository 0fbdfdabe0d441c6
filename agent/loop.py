"""The turn loop: prompt, stream, run tools, persist, repeat until the model stops calling
tools or the step limit is reached. Yields typed events (agent.events)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import embeddings, llm
from agent.agents import Agent
from agent.compaction import Budget, compact, history_tokens
from agent.conversations import Conversation, Conversations, StoredMessage
from agent.events import (
    Done,
    ErrorEvent,
    Event,
    MemoryCommit,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    Usage,
)
from agent.model import ModelConfig, ProviderError
from agent.prompt import summary_message, system_prompt
from agent.settings import Settings
from agent.tools import ToolContext, execute, parse_arguments, schemas
from agent.tools.base import ToolFailure, ToolResult
from memfs.projection import project
from memfs.store import MemoryStore
from memfs.tokens import estimate_text_tokens


@dataclass
class Turn:
    """Everything one turn needs."""

    agent: Agent
    conversation: Conversation
    memory: MemoryStore
    conversations: Conversations
    settings: Settings
    config: ModelConfig
    workspace: Path | None = None
    commit_prefix: str = ""


@dataclass
class _Progress:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=lambda: {
        "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
    last_message_id: int = 0


async def prepare(turn: Turn) -> tuple[str, list[dict[str, Any]], Budget, ToolContext]:
    """System prompt, tool schemas and token budget (litellm and git work off the loop)."""
    def blocking() -> tuple[int, str]:
        llm.check_environment(turn.config)
        return llm.context_window(turn.config), project(turn.memory.repo).text

    window, block = await asyncio.to_thread(blocking)
    system = system_prompt(turn.agent.name, turn.agent.id, turn.conversation.id, block,
                           turn.workspace)
    ctx = ToolContext(turn.memory, turn.conversations, turn.agent.id, turn.workspace,
                      turn.settings.tool_output_limit, commit_prefix=turn.commit_prefix,
                      conversation_id=turn.conversation.id,
                      embedding=embeddings.config(turn.settings))
    tools = schemas(ctx)
    fixed = estimate_text_tokens(system) + estimate_text_tokens(json.dumps(tools))
    return system, tools, Budget(window, fixed), ctx


def build_messages(system: str, conversation: Conversation, history: list[StoredMessage]
                   ) -> list[dict[str, Any]]:
    """System prompt, compaction summary, then the recent messages."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if conversation.summary:
        messages.append(summary_message(conversation.summary))
    messages += [m.body for m in history]
    return messages


async def run_turn(turn: Turn, text: str) -> AsyncIterator[Event]:
    """Run one user message to completion, yielding events; the last one is Done."""
    store = turn.conversations
    progress = _Progress()
    user = await asyncio.to_thread(store.add_message, turn.conversation,
                                   {"role": "user", "content": text})
    progress.last_message_id = user.id
    result = llm.StreamResult()
    try:
        system, tools, budget, ctx = await prepare(turn)
        for _ in range(turn.settings.max_steps):
            conversation, history = await asyncio.to_thread(_history, turn, budget.window)
            if budget.over(turn.settings, history_tokens(conversation, history)):
                compaction = await compact(store, conversation, history, budget, turn.settings,
                                           turn.config)
                if compaction is not None:
                    yield compaction
                    conversation, history = await asyncio.to_thread(_history, turn,
                                                                    budget.window)
            result = llm.StreamResult()
            async for delta in llm.stream(turn.config, build_messages(system, conversation,
                                                                      history),
                                          tools, result, timeout=turn.settings.request_timeout,
                                          max_retries=turn.settings.max_retries):
                progress.text += delta
                yield TextDelta(delta)
            _add_usage(progress, result.usage)
            if result.usage:
                yield Usage(**result.usage)
            calls = _named_calls(result.tool_calls)
            body: dict[str, Any] = {"role": "assistant", "content": result.text or None}
            if calls:
                body["tool_calls"] = calls
            stored = await asyncio.to_thread(store.add_message, turn.conversation, body)
            progress.last_message_id = stored.id
            result = llm.StreamResult()
            if not calls:
                yield _done("end_turn", turn, progress)
                return
            for call in calls:
                async for event in _run_tool(ctx, turn, call, progress):
                    yield event
        yield ErrorEvent("max-steps", f"stopped after {turn.settings.max_steps} model calls",
                         "raise 'maxSteps' in settings, or ask for a smaller step")
        yield _done("max_steps", turn, progress)
    except (asyncio.CancelledError, GeneratorExit):
        _keep_partial(turn, result, "interrupted")
        raise
    except ProviderError as exc:
        _keep_partial(turn, result, "error")
        yield ErrorEvent(exc.code, exc.message, exc.hint)
        yield _done("error", turn, progress)


async def _run_tool(ctx: ToolContext, turn: Turn, call: dict[str, Any], progress: _Progress
                    ) -> AsyncIterator[Event]:
    name = call["function"]["name"]
    outcome: ToolResult | None = None
    try:
        args = parse_arguments(call["function"]["arguments"])
    except ToolFailure as exc:
        args, outcome = {}, ToolResult(f"error: {exc}", ok=False)
    yield ToolCallStarted(call["id"], name, args)
    if outcome is None:
        outcome = await asyncio.to_thread(execute, ctx, name, args)
    await asyncio.to_thread(turn.conversations.add_message, turn.conversation, {
        "role": "tool", "tool_call_id": call["id"], "content": outcome.output})
    progress.tool_calls.append({"id": call["id"], "name": name, "arguments": args,
                                "ok": outcome.ok})
    yield ToolCallFinished(call["id"], name, outcome.ok, outcome.output)
    if outcome.commit is not None:
        commit = outcome.commit.to_dict()
        progress.commits.append(commit)
        yield MemoryCommit(outcome.commit.commit, outcome.commit.paths, outcome.commit.message)


def _history(turn: Turn, window: int) -> tuple[Conversation, list[StoredMessage]]:
    conversation = turn.conversations.get(turn.conversation.id)
    return conversation, turn.conversations.recent(conversation, window)


def _named_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for call in calls:
        if not call.get("id"):
            call["id"] = f"call_{uuid.uuid4().hex[:16]}"
    return [c for c in calls if c["function"]["name"]]


def _keep_partial(turn: Turn, result: llm.StreamResult, status: str) -> None:
    """Persist what the model said before the turn stopped, marked with ``status``."""
    if result.text:
        turn.conversations.add_message(
            turn.conversation, {"role": "assistant", "content": result.text}, status=status)


def _add_usage(progress: _Progress, usage: dict[str, int]) -> None:
    for key, value in usage.items():
        progress.usage[key] = progress.usage.get(key, 0) + value


def _done(reason: str, turn: Turn, progress: _Progress) -> Done:
    return Done(stop_reason=reason, conversation_id=turn.conversation.id,
                message_id=progress.last_message_id, text=progress.text,
                tool_calls=progress.tool_calls, memory_commits=progress.commits,
                usage=progress.usage)

