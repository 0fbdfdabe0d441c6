"""Typed events a turn yields; the LSP server and the CLI both consume them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base of every event; ``kind`` names it on the wire."""

    kind = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its ``to_dict()`` form (events cross the worker socket)."""
    kinds = {cls.kind: cls for cls in (TextDelta, ToolCallStarted, ToolCallFinished,
                                       MemoryCommit, MemoryWrite, Usage, Compaction,
                                       ErrorEvent, Done)}
    fields = {k: v for k, v in data.items() if k != "kind"}
    return kinds[str(data["kind"])](**fields)


@dataclass(frozen=True)
class TextDelta(Event):
    text: str
    kind = "text"


@dataclass(frozen=True)
class ToolCallStarted(Event):
    call_id: str
    name: str
    arguments: dict[str, Any]
    kind = "toolCallStarted"


@dataclass(frozen=True)
class ToolCallFinished(Event):
    """A tool call's result; ``error`` is the reason when ``ok`` is false (the refusal's
    message and hint, as the model saw them)."""

    call_id: str
    name: str
    ok: bool
    output: str
    error: str | None = None
    kind = "toolCallFinished"


@dataclass(frozen=True)
class MemoryCommit(Event):
    commit: str
    paths: list[str]
    message: str
    kind = "memoryCommit"


@dataclass(frozen=True)
class MemoryWrite(Event):
    """Project memory changed: written to the workspace's working tree (``paths`` as the agent
    addresses them, ``project/...``), not committed: the user reviews and commits it."""

    paths: list[str]
    message: str
    tier: str = "project"
    kind = "memoryWrite"


@dataclass(frozen=True)
class Usage(Event):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    kind = "usage"


@dataclass(frozen=True)
class Compaction(Event):
    summarized_messages: int
    tokens_before: int
    tokens_after: int
    kind = "compaction"


@dataclass(frozen=True)
class ErrorEvent(Event):
    code: str
    message: str
    hint: str = ""
    kind = "error"


@dataclass(frozen=True)
class Done(Event):
    """The turn's end. Each ``tool_calls`` entry: id, name, arguments, ok, error (None or
    the reason it failed)."""

    stop_reason: str  # end_turn | max_steps | cancelled | error
    conversation_id: str
    message_id: int
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    memory_commits: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    kind = "done"
