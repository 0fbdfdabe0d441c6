"""The normalized shapes every importer produces, and the small helpers they share."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from memfs.paths import inside

Source = Literal["claude-code", "codex"]
StepKind = Literal["user", "assistant", "tool_call"]
SOURCES: tuple[Source, ...] = ("claude-code", "codex")

TOOL_ARGS_LIMIT = 300  # characters of a tool call's arguments that are kept
TEXT_LIMIT = 8_000  # characters of one user or assistant message that are kept
# Raw steps keep this many characters beyond the limit, so that a secret crossing the cut is
# still whole when redaction runs; the cut to the limit happens after redaction.
REDACT_MARGIN = 1_000
TRUNCATED = " …[truncated]"


@dataclass(frozen=True)
class Step:
    """One user prompt, assistant message or tool call (arguments only, never results)."""

    kind: StepKind
    text: str
    timestamp: datetime | None
    tool_name: str | None = None


@dataclass
class Trajectory:
    """One session (or subagent run) of another coding agent, oldest step first.

    ``skipped`` counts the lines that produced no step, by reason; ``started``/``ended`` are
    the earliest and latest timestamps of its steps (UTC), trimmed steps included."""

    source: Source
    session_id: str
    path: Path
    cwd: str | None
    started: datetime | None
    ended: datetime | None
    sidechain: bool
    steps: list[Step] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        """Count one line that produced no step."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def saw(self, when: datetime | None) -> None:
        """Widen ``started``/``ended`` to include ``when``."""
        if when is None:
            return
        if self.started is None or when < self.started:
            self.started = when
        if self.ended is None or when > self.ended:
            self.ended = when


@dataclass
class Session:
    """A session found for a workspace, before it is read.

    ``last`` is a cheap estimate of when it ended (for ordering). ``prompts`` are the prompts
    the agent's history.jsonl holds for it: the whole session when ``transcript`` is False
    (its transcript is gone; ``skipped`` then counts the history lines left out), otherwise
    used only if the transcript has no prompt of its own."""

    source: Source
    path: Path
    session_id: str
    cwd: str | None
    sidechain: bool
    last: datetime | None
    transcript: bool = True
    prompts: list[Step] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def confined(root: Path, paths: list[Path]) -> list[Path]:
    """The real paths of the regular files among ``paths`` that lie inside ``root`` once
    symbolic links are resolved (a transcript linked from elsewhere is not read)."""
    found: list[Path] = []
    for path in paths:
        real = inside(root, path)
        if real is not None and real.is_file():
            found.append(real)
    return found


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 string, or unix seconds / milliseconds, as an aware UTC datetime."""
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[:limit] + TRUNCATED


def raw_clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` plus the redaction margin (the final cut comes later)."""
    return text[: limit + REDACT_MARGIN]


class Workspace:
    """Decides whether a recorded working directory is the workspace or inside it."""

    def __init__(self, root: Path) -> None:
        absolute = Path(os.path.abspath(root))
        self.roots = {os.path.normpath(str(p)) for p in (absolute, absolute.resolve())}

    def contains(self, cwd: object) -> bool:
        if not isinstance(cwd, str) or not cwd:
            return False
        path = os.path.normpath(cwd)
        return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)


_INJECTED_PREFIXES = (
    # Claude Code: slash commands, local command output, hooks, interruptions
    "<command-name>", "<command-message>", "<command-args>", "<local-command-", "<bash-input>",
    "<bash-stdout>", "<bash-stderr>", "<system-reminder>", "<user-prompt-submit-hook>",
    "Caveat: The messages below were generated by the user", "[Request interrupted by user",
    # Codex: context and instructions the client adds to the conversation
    "<environment_context>", "<user_instructions>", "# AGENTS.md instructions", "<INSTRUCTIONS>",
    "<permissions instructions>", "<user_shell_command>", "<turn_aborted>",
)
_ONE_TAG = re.compile(r"<([A-Za-z_][\w -]*)>.*</\1>", re.DOTALL)


def injected(text: str) -> bool:
    """Whether a "user" text was written by the client, not typed by the user: a known
    wrapper, or a message that is one tag block (``<tag>...</tag>``)."""
    text = text.strip()
    return text.startswith(_INJECTED_PREFIXES) or (
        text.startswith("<") and _ONE_TAG.fullmatch(text) is not None)
