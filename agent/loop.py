"""The turn loop: prompt, stream, run tools, persist, repeat until the model stops calling
tools or the step limit is reached. Yields typed events (agent.events).

A turn holds its conversation (one turn at a time, across processes), ends at the
``turnTimeout`` deadline, and leaves every tool call with a result that tells what happened,
even when it is cancelled or stopped while a tool runs.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import embeddings, llm
from agent.agents import Agent
from agent.approval import ApprovalState, Approver
from agent.compaction import Budget, compact, history_tokens
from agent.conversations import (
    BUSY_WAIT,
    Conversation,
    ConversationBusy,
    Conversations,
    StoredMessage,
    TurnClaim,
    paired,
)
from agent.events import (
    Done,
    ErrorEvent,
    Event,
    MemoryCommit,
    MemoryWrite,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    Usage,
)
from agent.model import ModelConfig, ProviderError, TurnTimeout
from agent.prompt import summary_message, system_prompt
from agent.settings import Settings
from agent.tools import ToolContext, execute, parse_arguments, schemas
from agent.tools.base import Reader, ToolFailure, ToolResult
from memfs.project import ProjectStore
from memfs.projection import project, render_scoped
from memfs.scope import Focus
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
    user_meta: dict[str, Any] | None = None  # stored with the user message, for clients
    project: ProjectStore | None = None  # the workspace's project memory, when it has one
    focus: Focus | None = None  # the files the user works on (for scoped memory)
    approval: ApprovalState | None = None
    approver: Approver | None = None
    reader: Reader | None = None  # the host's view of workspace files


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
    def blocking() -> tuple[int, str, str, str]:
        llm.check_environment(turn.config)
        personal = project(turn.memory.repo)
        shared = turn.project.projection() if turn.project is not None else None
        tiers = [(personal, "")] + ([(shared, "project memory, provided by the repository")]
                                    if shared is not None else [])
        scoped = render_scoped(tiers, turn.focus)[0] if turn.focus is not None else ""
        return (llm.context_window(turn.config), personal.text,
                shared.text if shared is not None else "", scoped)

    window, block, project_block, scoped = await asyncio.to_thread(blocking)
    system = system_prompt(turn.agent.name, turn.agent.id, turn.conversation.id, block,
                           turn.workspace, project_block=project_block, scoped_block=scoped)
    ctx = ToolContext(turn.memory, turn.conversations, turn.agent.id, turn.workspace,
                      turn.settings.tool_output_limit, commit_prefix=turn.commit_prefix,
                      conversation_id=turn.conversation.id,
                      embedding=embeddings.config(turn.settings), project=turn.project,
                      approval=turn.approval, approver=turn.approver, reader=turn.reader,
                      loop=asyncio.get_running_loop())
    tools = schemas(ctx)
    fixed = estimate_text_tokens(system) + estimate_text_tokens(json.dumps(tools))
    return system, tools, Budget(window, fixed), ctx


def build_messages(system: str, conversation: Conversation, history: list[StoredMessage]
                   ) -> list[dict[str, Any]]:
    """System prompt, compaction summary, then the recent messages, each tool call directly
    followed by its result (``paired`` repairs whatever an older version stored)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if conversation.summary:
        messages.append(summary_message(conversation.summary))
    messages += paired([m.body for m in history])
    return messages


async def run_turn(turn: Turn, text: str) -> AsyncIterator[Event]:
    """Run one user message to completion, yielding events; the last one is Done.

    Turns of one conversation started through the same store (one server, one worker) queue
    behind each other; a turn running in another process keeps the conversation for at most
    BUSY_WAIT before this one gets ConversationBusy."""
    async with _queue(turn.conversations, turn.conversation.id):
        claim = await _claim(turn.conversations, turn.conversation.id)
        try:
            async with aclosing(_steps(turn, text)) as steps:
                async for event in steps:
                    yield event
        finally:
            claim.release()


_QUEUES: weakref.WeakKeyDictionary[
    Conversations, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]
] = weakref.WeakKeyDictionary()


def _queue(store: Conversations, conversation_id: str) -> asyncio.Lock:
    """The lock that queues this store's turns in one conversation (per event loop, as a lock
    belongs to the loop that waits on it)."""
    per_loop = _QUEUES.setdefault(store, weakref.WeakKeyDictionary())
    locks = per_loop.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(conversation_id, asyncio.Lock())


async def _claim(store: Conversations, conversation_id: str) -> TurnClaim:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + BUSY_WAIT
    while (claim := store.claim(conversation_id)) is None:
        if loop.time() >= give_up:
            raise ConversationBusy(conversation_id)
        await asyncio.sleep(0.05)
    return claim


async def _steps(turn: Turn, text: str) -> AsyncGenerator[Event, None]:
    store = turn.conversations
    progress = _Progress()
    deadline = llm.Deadline.after(turn.settings.turn_timeout)
    user = await asyncio.to_thread(_add_user, turn, text)
    progress.last_message_id = user.id
    result = llm.StreamResult()
    try:
        async with llm.within(deadline):
            system, tools, budget, ctx = await prepare(turn)
        for _ in range(turn.settings.max_steps):
            conversation, history = await asyncio.to_thread(_history, turn, budget.window)
            if budget.over(turn.settings, history_tokens(conversation, history)):
                compaction = await compact(store, conversation, history, budget, turn.settings,
                                           turn.config, deadline=deadline)
                if compaction is not None:
                    yield compaction
                    conversation, history = await asyncio.to_thread(_history, turn,
                                                                    budget.window)
            result = llm.StreamResult()
            async for delta in llm.stream(turn.config, build_messages(system, conversation,
                                                                      history),
                                          tools, result, timeout=turn.settings.request_timeout,
                                          max_retries=turn.settings.max_retries,
                                          deadline=deadline):
                progress.text += delta
                yield TextDelta(delta)
            _add_usage(progress, result.usage)
            if result.usage:
                yield Usage(**result.usage)
            calls = _named_calls(result.tool_calls)
            body: dict[str, Any] = {"role": "assistant", "content": result.text or None}
            if calls:
                body["tool_calls"] = calls
            result = llm.StreamResult()  # from here on the reply is stored, not partial
            stored, results = await asyncio.to_thread(store.add_step, turn.conversation, body)
            progress.last_message_id = stored.id
            if not calls:
                yield _done("end_turn", turn, progress)
                return
            for call, placeholder in zip(calls, results, strict=True):
                async for event in _run_tool(ctx, turn, call, placeholder.id, progress,
                                             deadline):
                    yield event
        error = ErrorEvent("max-steps", f"stopped after {turn.settings.max_steps} model calls",
                           "raise 'maxSteps' in settings, or ask for a smaller step")
        await asyncio.to_thread(_record_error, turn, error)
        yield error
        yield _done("max_steps", turn, progress)
    except (asyncio.CancelledError, GeneratorExit):
        if not _keep_partial(turn, result, "interrupted"):
            store.add_event(turn.conversation.id, "interrupted", {})
        raise
    except ProviderError as exc:
        _keep_partial(turn, result, "error")
        error = ErrorEvent(exc.code, exc.message, exc.hint)
        await asyncio.to_thread(_record_error, turn, error)
        yield error
        yield _done("error", turn, progress)


async def _run_tool(ctx: ToolContext, turn: Turn, call: dict[str, Any], result_id: int,
                    progress: _Progress, deadline: llm.Deadline) -> AsyncIterator[Event]:
    name = call["function"]["name"]
    outcome: ToolResult | None = None
    try:
        args = parse_arguments(call["function"]["arguments"])
    except ToolFailure as exc:
        args, outcome = {}, ToolResult(f"error: {exc}", ok=False)
    yield ToolCallStarted(call["id"], name, args)
    if outcome is None:
        outcome = await _ToolRun(turn.conversations, result_id).wait(ctx, name, args, deadline)
    else:
        await asyncio.to_thread(_store_result, turn.conversations, result_id, outcome.output,
                                "error", outcome)
    error = _reason(outcome)
    progress.tool_calls.append({"id": call["id"], "name": name, "arguments": args,
                                "ok": outcome.ok, "error": error})
    yield ToolCallFinished(call["id"], name, outcome.ok, outcome.output, error)
    if outcome.commit is not None:
        commit = outcome.commit.to_dict()
        progress.commits.append(commit)
        yield MemoryCommit(outcome.commit.commit, outcome.commit.paths, outcome.commit.message)
    if outcome.written is not None:
        yield MemoryWrite(outcome.written.paths, outcome.written.message)


class _ToolRun:
    """One tool call in a worker thread that stores its own result, so a turn that stops
    waiting for it (cancelled, or out of time) still leaves what really happened, such as
    a memory edit that committed once the memory lock freed, in the conversation."""

    def __init__(self, store: Conversations, result_id: int) -> None:
        self.store = store
        self.result_id = result_id
        self.lock = threading.Lock()
        self.outcome: ToolResult | None = None
        self.abandoned = ""  # why the turn stopped waiting

    async def wait(self, ctx: ToolContext, name: str, args: dict[str, Any],
                   deadline: llm.Deadline) -> ToolResult:
        work = asyncio.get_running_loop().run_in_executor(None, self.run, ctx, name, args)
        try:
            async with llm.within(deadline):
                return await asyncio.shield(work)
        except asyncio.CancelledError:
            ctx.stop_asking()
            self.abandon("cancelled")
            raise
        except TurnTimeout:
            ctx.stop_asking()
            self.abandon("stopped at its time limit (turnTimeout)")
            raise

    def run(self, ctx: ToolContext, name: str, args: dict[str, Any]) -> ToolResult:
        outcome = execute(ctx, name, args)
        with self.lock:
            self.outcome = outcome
            if self.abandoned:
                _store_result(self.store, self.result_id, _late(self.abandoned, outcome),
                              "interrupted", outcome)
            else:
                _store_result(self.store, self.result_id, outcome.output,
                              "complete" if outcome.ok else "error", outcome)
        return outcome

    def abandon(self, why: str) -> None:
        with self.lock:
            if self.outcome is None:
                self.abandoned = why
                self.store.set_tool_result(
                    self.result_id, f"the turn was {why} while this call was running; what "
                    "the call did replaces this note when it finishes", "interrupted")


def _store_result(store: Conversations, result_id: int, content: str, status: str,
                  outcome: ToolResult) -> None:
    """A tool call's result for the model, and its outcome and commit for clients."""
    store.set_tool_result(result_id, content, status)
    commit = outcome.commit
    store.set_meta(result_id, {
        "ok": outcome.ok, "error": _reason(outcome),
        "commit": None if commit is None else {"sha": commit.commit, "paths": commit.paths,
                                               "message": commit.message}})


def _reason(outcome: ToolResult) -> str | None:
    """Why a tool call failed (None when it did not)."""
    return None if outcome.ok else outcome.output.removeprefix("error: ")


def _add_user(turn: Turn, text: str) -> StoredMessage:
    user = turn.conversations.add_message(turn.conversation, {"role": "user", "content": text})
    if turn.user_meta:
        turn.conversations.set_meta(user.id, turn.user_meta)
    return user


def _record_error(turn: Turn, error: ErrorEvent) -> None:
    turn.conversations.add_event(turn.conversation.id, "error", {
        "code": error.code, "message": error.message, "hint": error.hint})


def _late(why: str, outcome: ToolResult) -> str:
    """The result of a call that finished after its turn stopped waiting."""
    if outcome.commit is not None:
        return (f"the turn was {why} while this call ran, but the memory edit was committed "
                f"anyway: {outcome.output}")
    if not outcome.ok:
        return (f"the turn was {why} while this call ran; the call failed, so nothing "
                f"changed: {outcome.output}")
    return f"the turn was {why} while this call ran; it finished afterwards: {outcome.output}"


def _history(turn: Turn, window: int) -> tuple[Conversation, list[StoredMessage]]:
    conversation = turn.conversations.get(turn.conversation.id)
    return conversation, turn.conversations.recent(conversation, window)


def _named_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for call in calls:
        if not call.get("id"):
            call["id"] = f"call_{uuid.uuid4().hex[:16]}"
    return [c for c in calls if c["function"]["name"]]


def _keep_partial(turn: Turn, result: llm.StreamResult, status: str) -> bool:
    """Persist what the model said before the turn stopped, marked with ``status``; False
    when it had said nothing."""
    if result.text:
        turn.conversations.add_message(
            turn.conversation, {"role": "assistant", "content": result.text}, status=status)
    return bool(result.text)


def _add_usage(progress: _Progress, usage: dict[str, int]) -> None:
    for key, value in usage.items():
        progress.usage[key] = progress.usage.get(key, 0) + value


def _done(reason: str, turn: Turn, progress: _Progress) -> Done:
    return Done(stop_reason=reason, conversation_id=turn.conversation.id,
                message_id=progress.last_message_id, text=progress.text,
                tool_calls=progress.tool_calls, memory_commits=progress.commits,
                usage=progress.usage)

