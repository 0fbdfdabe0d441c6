"""Codex CLI: ``<home>/sessions/YYYY/MM/DD/rollout-*.jsonl``, ``<home>/archived_sessions/``,
legacy flat ``sessions/rollout-*.jsonl`` (bare ``{id, timestamp, instructions}`` first line,
then bare items) and ``<home>/history.jsonl`` prompts. Sessions are matched by the ``cwd`` of
``session_meta``/``turn_context`` (legacy rollouts: the ``<cwd>`` of their environment context).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
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

BOOKKEEPING = frozenset({"session_meta", "turn_context", "world_state",
                         "inter_agent_communication_metadata"})
ITEM_TYPES = frozenset({"message", "function_call", "custom_tool_call", "local_shell_call",
                        "reasoning", "function_call_output", "custom_tool_call_output",
                        "local_shell_call_output", "ghost_snapshot"})
_CWD_TAG = re.compile(r"<cwd>([^<]+)</cwd>")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def discover(workspace: Workspace, home: Path) -> list[Session]:
    """The workspace's rollouts (active and archived); their ``history.jsonl`` prompts are
    attached for use when a rollout holds no prompt of its own."""
    paths = confined(home, sorted({*home.glob("sessions/**/rollout-*.jsonl"),
                                   *home.glob("archived_sessions/**/rollout-*.jsonl")}))
    found: list[Session] = []
    for path in paths:
        try:
            session_id, cwd, sidechain = _identify(path)
        except MALFORMED:
            continue
        if workspace.contains(cwd):
            found.append(Session("codex", path, session_id, cwd, sidechain, last_time(path)))
    prompts = confined(home, [home / "history.jsonl"])
    if prompts:
        _attach_history(found, prompts[0])
    return found


def _identify(path: Path) -> tuple[str, str | None, bool]:
    """Session id, working directory and whether it is a subagent thread, from the head."""
    match = _UUID.search(path.name)
    session_id, cwd, sidechain = match.group(0) if match else path.stem, None, False
    needles = ('"session_meta"', '"turn_context"', "<cwd>")
    for record in scan(path, needles, head=1):
        payload = record.get("payload")
        if record.get("type") == "session_meta" and isinstance(payload, dict):
            session_id = str(payload.get("id") or session_id)
            source = payload.get("source")
            sidechain = isinstance(source, dict) and "subagent" in source
            cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
        elif record.get("type") == "turn_context" and isinstance(payload, dict):
            cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
        elif "type" not in record and record.get("id"):  # legacy header
            session_id = str(record["id"])
        elif record.get("type") == "message" and record.get("role") == "user":
            found = _CWD_TAG.search("\n".join(_texts(record.get("content"), "input_text")))
            cwd = found.group(1).strip() if found else None
        if cwd:
            break
    return session_id, cwd, sidechain


def _attach_history(sessions: list[Session], path: Path) -> None:
    """Give each session its ``history.jsonl`` prompts (``{session_id, ts, text}``)."""
    by_id: dict[str, list[Session]] = {}
    for session in sessions:
        by_id.setdefault(session.session_id, []).append(session)
    if not by_id or not path.is_file():
        return
    for entry in records(path):
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        for session in by_id.get(str(entry.get("session_id")), []):
            when = parse_time(entry.get("ts"))
            session.prompts.append(Step("user", raw_clip(text.strip(), TEXT_LIMIT), when))


def steps(path: Path, trajectory: Trajectory) -> Iterator[Step]:
    """The steps of one rollout, streaming; skipped lines are counted on ``trajectory`` (a
    line of an unexpected shape is counted as ``malformed``, never fatal)."""
    for record in records(path, trajectory):
        try:
            done = list(_record(record, trajectory))
        except MALFORMED:
            trajectory.skip("malformed")
            continue
        yield from done


def _record(record: dict[str, Any], trajectory: Trajectory) -> Iterator[Step]:
    when = parse_time(record.get("timestamp"))
    kind = record.get("type")
    payload = record.get("payload")
    if kind is not None and not isinstance(kind, str):
        trajectory.skip("malformed")
    elif isinstance(payload, dict) and isinstance(kind, str):
        if kind == "response_item":
            yield from _item(payload, when, trajectory, wrapped=True)
        elif kind == "event_msg":
            yield from _event(payload, when, trajectory)
        elif kind == "compacted":
            trajectory.skip("compaction")
        else:
            trajectory.skip("bookkeeping" if kind in BOOKKEEPING else "unknown_type")
    elif kind in ITEM_TYPES:  # legacy: bare items
        yield from _item(record, when, trajectory, wrapped=False)
    elif kind is None and ("id" in record and "timestamp" in record
                           or record.get("record_type") == "state"):
        trajectory.skip("bookkeeping")  # legacy header and state lines
    else:
        trajectory.skip("unknown_type")


def _item(item: dict[str, Any], when: datetime | None, trajectory: Trajectory,
          wrapped: bool) -> Iterator[Step]:
    kind = item.get("type")
    if kind == "message":
        role = item.get("role")
        if role == "assistant":
            text = "\n\n".join(_texts(item.get("content"), "output_text"))
            if text:
                yield Step("assistant", raw_clip(text, TEXT_LIMIT), when)
            else:
                trajectory.skip("empty")
        elif role == "user":
            texts = _texts(item.get("content"), "input_text")
            own = [t for t in texts if not injected(t)]
            if not own:
                trajectory.skip("injected" if texts else "empty")
            elif wrapped:  # the prompt is taken from its event_msg/user_message twin
                trajectory.skip("duplicate")
            else:
                yield Step("user", raw_clip("\n\n".join(own), TEXT_LIMIT), when)
        else:
            trajectory.skip("injected")  # developer / system instructions
    elif kind in ("function_call", "custom_tool_call", "local_shell_call"):
        name = item.get("name") or ("shell" if kind == "local_shell_call" else None)
        arguments = item.get("arguments", item.get("input", item.get("action")))
        if not isinstance(name, str):
            trajectory.skip("malformed")
            return
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        yield Step("tool_call", raw_clip(arguments, TOOL_ARGS_LIMIT), when, name)
    elif kind == "reasoning":
        trajectory.skip("reasoning")
    elif isinstance(kind, str) and kind.endswith("_output"):
        trajectory.skip("tool_result")
    elif kind == "ghost_snapshot":
        trajectory.skip("bookkeeping")
    else:
        trajectory.skip("unknown_type")


def _event(payload: dict[str, Any], when: datetime | None, trajectory: Trajectory
           ) -> Iterator[Step]:
    kind = payload.get("type")
    if kind == "user_message":
        text = payload.get("message")
        if not isinstance(text, str) or not text.strip():
            trajectory.skip("empty")
        elif payload.get("kind") not in (None, "plain") or injected(text):
            trajectory.skip("injected")
        else:
            yield Step("user", raw_clip(text.strip(), TEXT_LIMIT), when)
    elif kind == "agent_message":
        trajectory.skip("duplicate")  # the response_item message carries the same text
    elif kind in ("agent_reasoning", "agent_reasoning_raw_content"):
        trajectory.skip("reasoning")
    else:
        trajectory.skip("bookkeeping")


def _texts(content: object, block_type: str) -> list[str]:
    """The non-blank ``block_type`` texts of a message's content."""
    if isinstance(content, str):
        content = [{"type": block_type, "text": content}]
    blocks = content if isinstance(content, list) else []
    return [b["text"].strip() for b in blocks if isinstance(b, dict)
            and b.get("type") == block_type and isinstance(b.get("text"), str)
            and b["text"].strip()]
