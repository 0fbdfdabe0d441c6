"""What a tool is, what it gets, and what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.conversations import Conversations
from agent.embeddings import EmbeddingConfig
from memfs.store import EditResult, MemoryStore


@dataclass
class ToolContext:
    """Everything a tool call may touch."""

    memory: MemoryStore
    conversations: Conversations
    agent_id: str
    workspace: Path | None
    output_limit: int = 16_000
    commit_prefix: str = ""  # e.g. "chore(reflection):", prepended to every memory reason
    tools: tuple[str, ...] | None = None  # the tools offered (None: all that apply)
    archive_deletes: bool = False  # deleting moves the file to archive/ (doctor, reflection)
    conversation_id: str | None = None  # the turn's conversation (recall leaves its window out)
    embedding: EmbeddingConfig | None = None  # semantic recall, when an embedding model is set


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer to the model; ``commit`` is set when memory changed; ``redacted``
    counts the credentials the tool already replaced in ``output``."""

    output: str
    ok: bool = True
    commit: EditResult | None = None
    redacted: int = 0


class ToolFailure(Exception):
    """A tool refused or failed; the message goes back to the model as the tool result."""


@dataclass(frozen=True)
class Tool:
    """A tool's schema and handler."""

    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[ToolContext, dict[str, Any]], ToolResult]
    needs_workspace: bool = False

    def schema(self) -> dict[str, Any]:
        """OpenAI function-tool schema."""
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}


def string_arg(args: dict[str, Any], name: str, required: bool = True) -> str:
    """A string argument, or ToolFailure naming it."""
    value = args.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ToolFailure(f"argument '{name}' must be a non-empty string")
    return value


def int_arg(args: dict[str, Any], name: str) -> int | None:
    """An optional integer argument (numeric strings accepted)."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ToolFailure(f"argument '{name}' must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ToolFailure(f"argument '{name}' must be an integer") from None
