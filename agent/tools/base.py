"""What a tool is, what it gets, and what it returns."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from agent.approval import ApprovalRequest, ApprovalState, Approver, Decision, Tier
from agent.conversations import Conversations
from agent.embeddings import EmbeddingConfig
from memfs.project import ProjectStore
from memfs.store import EditResult, MemoryStore

T = TypeVar("T")

# The host's text of a workspace file (an editor's unsaved buffer), given its real path and
# the turn's conversation; None: read it from disk.
Reader = Callable[[Path, str | None], Coroutine[Any, Any, str | None]]


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
    project: ProjectStore | None = None  # the workspace's project memory (project/... paths)
    approval: ApprovalState | None = None  # None: every edit lands (a subagent's own memory)
    approver: Approver | None = None  # asks the user (on ``loop``) when a policy says ask
    reader: Reader | None = None  # reads workspace files through the host (on ``loop``)
    loop: asyncio.AbstractEventLoop | None = None
    _asking: list[concurrent.futures.Future[Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: bool = False

    def policy(self, tier: Tier) -> str:
        """``auto``, ``ask`` or ``off`` for edits of ``tier``."""
        return self.approval.policy(tier) if self.approval is not None else "auto"

    def ask(self, request: ApprovalRequest) -> Decision | None:
        """The user's decision on ``request`` (called from the tool's thread; waits on the
        host's loop); None when there is nobody to ask. ToolFailure when the turn stopped
        while waiting."""
        if self.approver is None or self.loop is None:
            return None
        return self._on_host(self.loop, self.approver(request), "the turn stopped while the "
                             "edit waited for approval; nothing changed")

    def read_through(self, path: Path) -> str | None:
        """The host's text of workspace file ``path`` (called from the tool's thread); None
        when the host has no reader or no view of it. ToolFailure when the turn stopped."""
        if self.reader is None or self.loop is None:
            return None
        return self._on_host(self.loop, self.reader(path, self.conversation_id),
                             "the turn stopped while the file was being read")

    def _on_host(self, loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T],
                 stopped: str) -> T:
        """Run ``work`` on the host's ``loop`` and wait for it from the tool's thread; a
        turn that stops meanwhile cancels it (ToolFailure saying ``stopped``)."""
        future = asyncio.run_coroutine_threadsafe(work, loop)
        with self._lock:
            if self._stopped:
                future.cancel()
            self._asking.append(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise ToolFailure(stopped) from None
        finally:
            with self._lock:
                self._asking.remove(future)

    def stop_asking(self) -> None:
        """The turn stopped: withdraw every question still waiting for the user."""
        with self._lock:
            self._stopped = True
            for future in self._asking:
                future.cancel()


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer to the model; ``commit`` is set when memory changed (``written`` when
    project memory changed: written to the working tree, not committed); ``redacted`` counts
    the credentials the tool already replaced in ``output``."""

    output: str
    ok: bool = True
    commit: EditResult | None = None
    redacted: int = 0
    written: EditResult | None = None


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
