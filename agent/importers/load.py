"""Reading sessions into trajectories (redacted), summaries for the CLI, and the token-budgeted
history /init feeds the model."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.importers import claude, codex
from agent.importers.model import (
    SOURCES,
    TEXT_LIMIT,
    TOOL_ARGS_LIMIT,
    Session,
    Source,
    Step,
    StepKind,
    Trajectory,
    Workspace,
    clip,
)
from memfs.tokens import estimate_tokens

STEP_OVERHEAD = 16  # bytes a step costs beyond its text when rendered ("- tool Bash: ...")
HEADER_TOKENS = 32  # a trajectory's heading when rendered
SESSION_SHARE = 3  # one session gets at most 1/SESSION_SHARE of a history budget
_REDACT_BATCH = 256 * 1024  # characters redacted in one call
_EPOCH = datetime.min.replace(tzinfo=UTC)

Parser = Callable[[Path, Trajectory], Iterator[Step]]
PARSERS: dict[Source, Parser] = {"claude-code": claude.steps, "codex": codex.steps}


def claude_root(config_dir: Path | None = None) -> Path:
    """Claude Code's folder: ``config_dir``, else ``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    return config_dir or (Path(env) if env else Path.home() / ".claude")


def codex_root(home: Path | None = None) -> Path:
    """Codex's folder: ``home``, else ``$CODEX_HOME``, else ``~/.codex``."""
    env = os.environ.get("CODEX_HOME")
    return home or (Path(env) if env else Path.home() / ".codex")


def root_of(source: Source, claude_dir: Path | None = None,
            codex_dir: Path | None = None) -> Path:
    """The folder ``source`` keeps its sessions in (the given one, else the default)."""
    return claude_root(claude_dir) if source == "claude-code" else codex_root(codex_dir)


def discover(source: Source, workspace: Path, root: Path) -> list[Session]:
    """The sessions of ``source`` under ``root`` that belong to ``workspace`` (their
    history.jsonl prompts already redacted)."""
    finder = claude.discover if source == "claude-code" else codex.discover
    sessions = finder(Workspace(workspace), root) if root.is_dir() else []
    for session in sessions:
        session.prompts = _finish(session.prompts)
    return sessions


def step_tokens(step: Step) -> int:
    """Estimated tokens of a step as the model sees it."""
    return estimate_tokens(len(step.text.encode("utf-8")) + STEP_OVERHEAD)


def trajectory_tokens(trajectory: Trajectory) -> int:
    """Estimated tokens of a rendered trajectory."""
    return HEADER_TOKENS + sum(step_tokens(s) for s in trajectory.steps)


def _raw(session: Session) -> tuple[Trajectory, Iterator[Step]]:
    """An empty trajectory for ``session`` and its unredacted steps (which fill it in)."""
    from memfs.secrets import redact  # the detectors are heavy to import

    trajectory = Trajectory(session.source, redact(session.session_id)[0], session.path,
                            session.cwd, None, None, session.sidechain,
                            skipped=dict(session.skipped))
    if not session.transcript:
        return trajectory, iter(session.prompts)
    return trajectory, PARSERS[session.source](session.path, trajectory)


def read(session: Session, max_tokens: int | None = None) -> Trajectory:
    """The session as a trajectory with every text redacted; with ``max_tokens``, only its
    newest steps that fit (memory stays bounded by the budget, not the file)."""
    trajectory, raw = _raw(session)
    kept: deque[Step] = deque()
    size = users = 0
    first_seen: datetime | None = None  # the earliest and latest step times (``saw`` once each)
    last_seen: datetime | None = None
    for step in raw:
        when = step.timestamp
        if when is not None:
            if first_seen is None or when < first_seen:
                first_seen = when
            if last_seen is None or when > last_seen:
                last_seen = when
        users += step.kind == "user"
        kept.append(step)
        if max_tokens is not None:
            size += step_tokens(step)
            while size > max_tokens:
                size -= step_tokens(kept.popleft())
    trajectory.saw(first_seen)
    trajectory.saw(last_seen)
    if users == 0 and session.transcript and session.prompts:  # a rollout without prompts
        for prompt in session.prompts:
            trajectory.saw(prompt.timestamp)
        kept.extendleft(reversed(session.prompts))
    steps = _finish(list(kept))
    first = 0
    if max_tokens is not None:  # redaction markers can make a text a little longer
        size = sum(step_tokens(s) for s in steps)
        while size > max_tokens:
            size -= step_tokens(steps[first])
            first += 1
    trajectory.steps = steps[first:]
    return trajectory


def _finish(steps: list[Step]) -> list[Step]:
    """Steps redacted (in batches, for speed) and cut to their final length."""
    from memfs.secrets import redact_all  # the detectors are heavy to import

    done: list[Step] = []
    batch: list[Step] = []
    size = 0
    for step in [*steps, None]:
        if step is None or (batch and size + len(step.text) > _REDACT_BATCH):
            texts = redact_all([s.text for s in batch])
            names = iter(redact_all([s.tool_name for s in batch if s.tool_name]))
            for s, t in zip(batch, texts, strict=True):
                t = clip(t, TOOL_ARGS_LIMIT if s.tool_name else TEXT_LIMIT)
                n = next(names) if s.tool_name else s.tool_name
                # an untouched step is kept as it is (most are: one object less each)
                done.append(s if t is s.text and n is s.tool_name else
                            Step(s.kind, t, s.timestamp, n))
            batch, size = [], 0
        if step is not None:
            batch.append(step)
            size += len(step.text)
    return done


def load_history(
    workspace: Path, token_budget: int, sources: Sequence[Source] = SOURCES, *,
    claude_dir: Path | None = None, codex_dir: Path | None = None,
    include_sidechains: bool = False,
) -> list[Trajectory]:
    """The workspace's past sessions, newest first, trimmed to ``token_budget`` (≈ bytes / 4).

    Sessions are taken newest first; each gets its newest steps, at most 1/3 of the budget,
    and reading stops when the budget is spent. Subagent runs are left out unless
    ``include_sidechains``: their parent session holds the task and its result.
    ``claude_dir``/``codex_dir`` default to ``$CLAUDE_CONFIG_DIR`` or ``~/.claude`` and
    ``$CODEX_HOME`` or ``~/.codex``."""
    sessions = [s for source in sources
                for s in discover(source, workspace, root_of(source, claude_dir, codex_dir))
                if include_sidechains or not s.sidechain]
    sessions.sort(key=lambda s: s.last or _EPOCH, reverse=True)
    share = max(token_budget // SESSION_SHARE, 256)
    left = token_budget
    found: list[Trajectory] = []
    for session in sessions:
        room = min(share, left) - HEADER_TOKENS
        if room <= STEP_OVERHEAD:
            break
        trajectory = read(session, room)
        if trajectory.steps:
            found.append(trajectory)
            left -= trajectory_tokens(trajectory)
    found.sort(key=lambda t: t.ended or t.started or _EPOCH, reverse=True)
    return found


@dataclass
class SessionSummary:
    """What importing one session would yield."""

    session: Session
    started: datetime | None
    ended: datetime | None
    steps: dict[StepKind, int]
    skipped: dict[str, int]

    @property
    def messages(self) -> int:
        return sum(self.steps.values())

    def to_dict(self) -> dict[str, Any]:
        s = self.session
        return {"session_id": s.session_id, "path": str(s.path), "cwd": s.cwd,
                "sidechain": s.sidechain, "history_only": not s.transcript,
                "started": _iso(self.started), "ended": _iso(self.ended),
                "messages": self.messages, "steps": dict(self.steps), "skipped": self.skipped}


@dataclass
class SourceSummary:
    """What importing one source for a workspace would yield."""

    source: Source
    root: Path
    workspace: Path
    sessions: list[SessionSummary] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sessions)

    @property
    def first(self) -> datetime | None:
        return min((s.started for s in self.sessions if s.started), default=None)

    @property
    def last(self) -> datetime | None:
        return max((s.ended for s in self.sessions if s.ended), default=None)

    @property
    def skipped(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for session in self.sessions:
            for reason, count in session.skipped.items():
                total[reason] = total.get(reason, 0) + count
        return dict(sorted(total.items(), key=lambda item: (-item[1], item[0])))

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "root": str(self.root), "workspace": str(self.workspace),
                "sessions": [s.to_dict() for s in self.sessions],
                "totals": {"sessions": len(self.sessions), "messages": self.messages,
                           "first": _iso(self.first), "last": _iso(self.last),
                           "skipped": self.skipped}}


def summarize(source: Source, workspace: Path, root: Path | None = None) -> SourceSummary:
    """Per session of ``source`` for ``workspace``: messages by kind, dates and skipped lines
    (streamed and counted; nothing is kept, so memory does not grow with the files)."""
    root = root or root_of(source)
    summary = SourceSummary(source, root, workspace)
    for session in discover(source, workspace, root):
        trajectory, raw = _raw(session)
        counts: dict[StepKind, int] = {}
        for step in raw:
            trajectory.saw(step.timestamp)
            counts[step.kind] = counts.get(step.kind, 0) + 1
        if not counts.get("user") and session.transcript and session.prompts:
            counts["user"] = len(session.prompts)
            for prompt in session.prompts:
                trajectory.saw(prompt.timestamp)
        summary.sessions.append(SessionSummary(session, trajectory.started, trajectory.ended,
                                               counts, trajectory.skipped))
    summary.sessions.sort(key=lambda s: s.started or _EPOCH)
    return summary


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
