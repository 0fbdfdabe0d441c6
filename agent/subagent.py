"""A background subagent: its own LLM loop with a chosen set of tools, messages kept in
memory (nothing enters the user's conversation). Reflection, /init and /doctor use it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent import llm
from agent.model import ModelConfig
from agent.settings import Settings
from agent.tools import ToolContext, execute, parse_arguments, schemas
from agent.tools.base import ToolFailure, ToolResult
from memfs.store import EditResult

MEMORY_TOOLS = ("memory", "memory_view", "memory_search")
RunTool = Callable[[Callable[[ToolContext, str, dict[str, Any]], ToolResult], ToolContext, str,
                    dict[str, Any]], Awaitable[ToolResult]]


@dataclass
class SubagentResult:
    """What the subagent said last and every memory commit it made."""

    text: str = ""
    commits: list[EditResult] = field(default_factory=list)
    steps: int = 0
    written: list[str] = field(default_factory=list)  # project memory files it wrote


async def run_subagent(
    config: ModelConfig, settings: Settings, system: str, task: str, ctx: ToolContext, *,
    max_steps: int | None = None, on_step: Callable[[str], None] | None = None,
    run_tool: RunTool = asyncio.to_thread,
) -> SubagentResult:
    """Run until the model stops calling tools (or the step limit); ProviderError propagates.
    ``on_step`` hears of every tool call, failed ones with their reason; ``run_tool`` runs
    each call off the event loop (a thread by default; ``agent.background`` for a
    reflection)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                      {"role": "user", "content": task}]
    tools = schemas(ctx)
    outcome = SubagentResult()
    for step in range(max_steps or settings.max_steps):
        outcome.steps = step + 1
        result = llm.StreamResult()
        async for _ in llm.stream(config, messages, tools, result,
                                  timeout=settings.request_timeout,
                                  max_retries=settings.max_retries):
            pass
        outcome.text = result.text or outcome.text
        calls = [c for c in result.tool_calls if c.get("function", {}).get("name")]
        for call in calls:
            call["id"] = call.get("id") or f"call_{step}_{len(messages)}"
        body: dict[str, Any] = {"role": "assistant", "content": result.text or None}
        if calls:
            body["tool_calls"] = calls
        messages.append(body)
        if not calls:
            break
        for call in calls:
            name = call["function"]["name"]
            try:
                args = parse_arguments(call["function"]["arguments"])
            except ToolFailure as exc:
                args, done = {}, ToolResult(f"error: {exc}", ok=False)
            else:
                done = await run_tool(execute, ctx, name, args)
            if done.commit is not None:
                outcome.commits.append(done.commit)
            if done.written is not None:
                outcome.written += [p for p in done.written.paths if p not in outcome.written]
            if on_step is not None:
                on_step(step_note(name, args, done))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": done.output})
    return outcome


def step_note(name: str, args: dict[str, Any], done: ToolResult) -> str:
    """One progress line for a tool call: what it touched, and why it failed if it did."""
    note = f"{name} {args.get('path', '')}".strip()
    if done.ok:
        return note
    return f"{note} failed: {done.output.removeprefix('error: ')}"
