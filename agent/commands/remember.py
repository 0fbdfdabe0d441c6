"""/remember: one directed memory edit in the current conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agent.events import Done, ErrorEvent, Event, MemoryCommit, ToolCallFinished
from agent.runtime import Runtime

PREFIX = "remember:"

WITH_TEXT = """\
/remember {text}

The user is directing you to remember this. Make exactly one memory edit for it: decide
whether it is a correction, a preference, a fact or a rule; pick the file it belongs in (or
create one with a clear description if none fits), avoid duplicating what memory already
says, and match that file's existing style. Then tell the user in one sentence where it went."""

INFERRED = """\
/remember

The user wants you to remember something from the recent conversation without saying what.
Infer the most important correction, preference, fact or rule from the last few messages and
make exactly one memory edit for it: pick the right file (or create one with a clear
description), avoid duplicates, match the file's style. Then tell the user in one sentence
what you remembered and where."""


def prompt(text: str | None) -> str:
    """The directed message sent for /remember."""
    return WITH_TEXT.format(text=text.strip()) if text and text.strip() else INFERRED


def remember(runtime: Runtime, text: str | None, conversation_id: str | None = None,
             agent_id: str | None = None) -> AsyncIterator[Event]:
    """Run /remember as a turn whose memory commits all start with ``remember:``."""
    return runtime.chat(prompt(text), conversation_id=conversation_id, agent_id=agent_id,
                        commit_prefix=PREFIX,
                        user_meta={"source": "remember", "text": (text or "").strip()})


@dataclass
class RememberResult:
    """What /remember did, built from its events with ``add``. ``changed`` is false when no
    memory commit landed; ``reason`` then says why: the turn's error, the failed memory
    edit's refusal, or what the agent replied instead of editing."""

    files: list[str] = field(default_factory=list)
    commits: list[MemoryCommit] = field(default_factory=list)
    reply: str = ""
    error: ErrorEvent | None = None
    failed_edits: list[str] = field(default_factory=list)
    changed: bool = False
    reason: str = "the turn did not finish"

    def add(self, event: Event) -> None:
        """Take in one event of the /remember turn."""
        if isinstance(event, MemoryCommit):
            self.commits.append(event)
            self.files = sorted({p for c in self.commits for p in c.paths})
        elif isinstance(event, ToolCallFinished) and event.name == "memory" and not event.ok:
            self.failed_edits.append(event.error or event.output)
        elif isinstance(event, ErrorEvent):
            self.error = event
        elif isinstance(event, Done):
            self.reply = event.text.strip()
        self.changed = bool(self.commits)
        self.reason = "" if self.changed else self._why()

    def _why(self) -> str:
        if self.error is not None:
            hint = f" ({self.error.hint})" if self.error.hint else ""
            return f"the turn failed: {self.error.message}{hint}"
        if self.failed_edits:
            return f"the memory edit failed: {self.failed_edits[-1]}"
        if self.reply:
            return f"the agent made no memory edit; it replied: {self.reply[:500]}"
        return "the agent made no memory edit and gave no reply"
