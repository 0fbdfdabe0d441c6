"""Claude Code: ``<config>/projects/<slug>/<session>.jsonl`` transcripts (subagents in
``<session>/subagents/agent-*.jsonl``, or older ``agent-*.jsonl`` beside the sessions) and
``<config>/history.jsonl`` prompts. Sessions are matched by the ``cwd`` their records hold."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from agent.importers.jsonl import MALFORMED, last_time, records, scan
from agent.importers.model import (
    TEXT_LIMIT,
    TOOL_ARGS_LIMIT,
    Session,
    Step,
    Trajectory,
    Workspace,
    confined,
    injected,
    parse_time,
    raw_clip,
)

# Record types that carry no conversation (the list keeps growing; others count as unknown).
BOOKKEEPING = frozenset({
    "summary", "file-history-snapshot", "progress", "queue-operation", "attachment",
    "permission-mode", "mode", "ai-title", "custom-title", "last-prompt", "agent-name",
    "worktree-state", "pr-link", "frame-link", "bridge-session", "atis-latch", "relocated",
    "tag",
})


def _encoder() -> Callable[[object], str]:
    """``json.JSONEncoder(ensure_ascii=False).encode``, which makes a C encoder per call: here
    one is made once, without the circular-reference check (decoded JSON holds no cycles);
    the stock encoder where the C one is missing."""
    stock = json.JSONEncoder(ensure_ascii=False)
    try:
        from _json import make_encoder
    except ImportError:
        return stock.encode
    encode = make_encoder(None, stock.default, encode_basestring, None, stock.key_separator,
                          stock.item_separator, False, False, True)
    return lambda value: "".join(encode(value, 0))


_ENCODE = _encoder()


def discover(workspace: Workspace, config_dir: Path) -> list[Session]:
    """The workspace's transcripts, plus history-only sessions for prompts whose transcript
    is gone. Compaction side-runs (``agent-acompact-*``) are left out: their output is the
    compact summary, which is not imported either."""
    projects = config_dir / "projects"
    paths = confined(config_dir, [*sorted(projects.glob("*/*.jsonl")),
                                  *sorted(projects.glob("*/*/subagents/*.jsonl"))])
    found: list[Session] = []
    for path in paths:
        if path.name.startswith("agent-acompact"):
            continue
        first = next((r for r in scan(path, ('"cwd"',)) if isinstance(r.get("cwd"), str)),
                     None)
        if first is None or not workspace.contains(first["cwd"]):
            continue
        sidechain = path.name.startswith("agent-") or path.parent.name == "subagents"
        session_id = first.get("sessionId")
        found.append(Session("claude-code", path, str(session_id or path.stem),
                             str(first["cwd"]), sidechain, last_time(path)))
    known = {s.session_id for s in found}
    prompts = confined(config_dir, [config_dir / "history.jsonl"])
    return found + (history(workspace, prompts[0], known) if prompts else [])


def history(workspace: Workspace, path: Path, known: set[str]) -> list[Session]:
    """Sessions made of ``history.jsonl`` prompts (``{display, timestamp, project,
    sessionId}``) of this workspace whose transcript was not found; slash commands are
    counted as skipped."""
    if not path.is_file():
        return []
    sessions: dict[str, Session] = {}
    for entry in records(path):
        try:
            _history_entry(workspace, path, entry, known, sessions)
        except MALFORMED:
            continue
    return list(sessions.values())


def _history_entry(workspace: Workspace, path: Path, entry: dict[str, Any], known: set[str],
                   sessions: dict[str, Session]) -> None:
    session_id = str(entry.get("sessionId") or "")
    text = entry.get("display")
    if session_id in known or not workspace.contains(entry.get("project")):
        return
    when = parse_time(entry.get("timestamp"))
    session = sessions.setdefault(session_id, Session(
        "claude-code", path, session_id, str(entry["project"]), False, when,
        transcript=False))
    if when is not None and (session.last is None or when > session.last):
        session.last = when
    text = text.strip() if isinstance(text, str) else ""
    if text and not text.startswith("/"):
        session.prompts.append(Step("user", raw_clip(text, TEXT_LIMIT), when))
    else:
        reason = "command" if text else "empty"
        session.skipped[reason] = session.skipped.get(reason, 0) + 1


@dataclass(slots=True)
class _Reply:
    """Assistant lines sharing one ``message.id``, merged into one message."""

    message_id: object
    timestamp: datetime | None
    texts: list[str] = field(default_factory=list)
    calls: list[Step] = field(default_factory=list)
    call_ids: set[str] = field(default_factory=set)

    def steps(self) -> list[Step]:
        calls = self.calls
        if not self.texts:
            return calls
        text = Step("assistant", raw_clip("\n\n".join(self.texts), TEXT_LIMIT), self.timestamp)
        return [text, *calls] if calls else [text]


def steps(path: Path, trajectory: Trajectory) -> Iterator[Step]:
    """The steps of one transcript, streaming; skipped lines are counted on ``trajectory``
    (a line of an unexpected shape is counted as ``malformed``, never fatal). Sidechain
    records inside a main session (older versions wrote subagents inline) are skipped:
    subagents are their own trajectories.

    One loop with the common record shapes first (this runs once per line of files of
    hundreds of MB); a record that raises midway changes nothing but the ``malformed``
    count: the reply being gathered is replaced only once its new line is fully read."""
    reply: _Reply | None = None
    skip = trajectory.skip
    inline_sidechains = not trajectory.sidechain
    for record in records(path, trajectory):
        kind = record.get("type")
        if kind != "user" and kind != "assistant":
            _skip_other(record, kind, trajectory)
            continue
        if inline_sidechains and record.get("isSidechain") is True:
            skip("sidechain")
            continue
        try:
            if kind == "user":
                prompt = _prompt(record, trajectory)
                if prompt is None:
                    continue
                step = Step("user", raw_clip(prompt, TEXT_LIMIT),
                            parse_time(record.get("timestamp")))
                if reply is not None:
                    yield from reply.steps()
                    reply = None
                yield step
                continue
            message = record.get("message")
            if type(message) is not dict or message.get("model") == "<synthetic>":
                skip("synthetic" if isinstance(message, dict) else "malformed")
                continue
            message_id = message.get("id")
            gathering = reply
            if gathering is None or message_id is None or message_id != gathering.message_id:
                gathering = _Reply(message_id, parse_time(record.get("timestamp")))
                unused = _add(gathering, message.get("content"), gathering.timestamp)
            else:  # a later line of the reply: its time is read only for a tool call
                unused = _add(gathering, message.get("content"), record)
        except MALFORMED:
            skip("malformed")
            continue
        if gathering is not reply:
            if reply is not None:
                yield from reply.steps()
            reply = gathering
        if unused is not None:
            skip(unused)
    if reply is not None:
        yield from reply.steps()


def _skip_other(record: dict[str, Any], kind: object, trajectory: Trajectory) -> None:
    """Count a record that is neither a prompt nor a reply."""
    if not isinstance(kind, str):
        trajectory.skip("malformed")
    elif kind == "system":
        compaction = record.get("subtype") == "compact_boundary"
        trajectory.skip("compaction" if compaction else "bookkeeping")
    else:
        trajectory.skip("bookkeeping" if kind in BOOKKEEPING else "unknown_type")


def _prompt(record: dict[str, Any], trajectory: Trajectory) -> str | None:
    """The user's own words in a ``user`` record, or None (and the reason counted)."""
    message = record.get("message")
    if record.get("isMeta"):
        trajectory.skip("meta")
        return None
    if record.get("isCompactSummary"):
        trajectory.skip("compaction")
        return None
    if not isinstance(message, dict):
        trajectory.skip("malformed")
        return None
    content = message.get("content")
    blocks = [content] if isinstance(content, str) else content if isinstance(content, list) else []
    texts: list[str] = []
    results = wrappers = 0
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else "text"
        if kind == "tool_result":
            results += 1
            continue
        text = block if isinstance(block, str) else block.get("text") if kind == "text" else None
        if isinstance(text, str) and text.strip():
            if injected(text):
                wrappers += 1
            else:
                texts.append(text.strip())
    if not texts:
        trajectory.skip("tool_result" if results else "injected" if wrappers else "empty")
        return None
    return "\n\n".join(texts)


def _add(reply: _Reply, content: object, when: datetime | None | dict[str, Any]) -> str | None:
    """Add an assistant line's text and tool calls to ``reply``; when it had none, why the line
    is skipped (``reasoning`` when it thinks, else ``empty``). ``when`` is the line's time,
    or its record when the time is not parsed yet."""
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    added = thinking = False
    for block in content if isinstance(content, list) else ():
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                continue
            text = text.strip()
            if text:
                if text not in reply.texts:
                    reply.texts.append(text)
                added = True
        elif kind == "tool_use":
            call_id = str(block.get("id") or len(reply.calls))
            if call_id not in reply.call_ids:
                reply.call_ids.add(call_id)
                arguments = _ENCODE(block.get("input"))
                if isinstance(when, dict):
                    when = parse_time(when.get("timestamp"))
                reply.calls.append(Step("tool_call", raw_clip(arguments, TOOL_ARGS_LIMIT), when,
                                        str(block.get("name") or "?")))
            added = True
        elif kind == "thinking" or kind == "redacted_thinking":
            thinking = True
    return None if added else "reasoning" if thinking else "empty"
