"""A conversation as the user saw it, a page at a time, newest page first: their messages and
the agent's replies, tool calls with their outcome (and the reason one failed), the memory
commits they made, compaction markers, errors, interrupted replies, Remember turns, and the
outcomes of reflections on the conversation. Front-door neutral: the language server's
``memfs/messages`` and a session replay read the same pages.

Items come in *steps*: a message that is not a tool result, with the tool results stored right
after it. A page holds whole steps; every item id starts with its step's message id
(``"41"``, ``"41.t0"``, ``"41.c0"``, ``"41.e7"``, ``"41.r3"``), so ``before`` (an item id)
pages back from that step. A marker recorded after message N (``conversation_events``), or a
reflection that finished after message N was written, belongs to N's step. Reading a page
walks the ``(conversation_id, id)`` index backwards from ``before``: the cost is the page's,
not the conversation's.
"""

from __future__ import annotations

import bisect
import json
import re
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from agent.conversations import Conversation, content_text, user_words
from agent.db import Database
from memfs.errors import InvalidArgument

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
OUTPUT_LIMIT = 20_000  # characters of a tool result shown in an item
_ITEM_ID = re.compile(r"^(\d+)(?:\.[a-z]\d*)?$")
_FAILED_RUNS = ("failed", "conflict", "dirty")
_STOPPED_RUNS = ("cancelled",)
_END = 2**63 - 1


@dataclass(frozen=True)
class ToolCall:
    """A tool call and its outcome; ``arguments`` is the raw text when the model sent JSON
    that does not parse."""

    call_id: str
    name: str
    arguments: Any
    ok: bool
    output: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class CommitRef:
    sha: str
    paths: list[str]
    message: str


@dataclass(frozen=True)
class CompactionInfo:
    summarized_messages: int
    tokens_before: int
    tokens_after: int


@dataclass(frozen=True)
class ReflectionInfo:
    run_id: int
    trigger: str
    outcome: str  # merged, review, no_changes, nothing_new, conflict, failed, cancelled, ...


@dataclass(frozen=True)
class Item:
    """One thing the user saw. ``kind``: user, agent, toolCall, memoryCommit, compaction,
    error, reflection; ``status``: complete, interrupted, error; ``source``: chat, remember,
    reflection."""

    id: str
    kind: str
    time: str
    text: str | None = None
    status: str | None = None
    source: str | None = None
    tool_call: ToolCall | None = None
    commit: CommitRef | None = None
    code: str | None = None
    hint: str | None = None
    compaction: CompactionInfo | None = None
    reflection: ReflectionInfo | None = None


@dataclass(frozen=True)
class Page:
    """Items oldest first; ``before`` (when ``has_more``) fetches the page before this one."""

    conversation_id: str
    title: str
    items: list[Item]
    has_more: bool
    before: str | None


@dataclass
class _Step:
    head: sqlite3.Row
    results: list[sqlite3.Row] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    markers: list[tuple[float, Item]] = field(default_factory=list)


def iso(timestamp: float) -> str:
    """Seconds since the epoch as ISO 8601 UTC (``2025-05-01T09:30:00.250Z``)."""
    moment = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def step_of(item_id: str) -> int:
    """The message id an item id starts with; InvalidArgument for anything else."""
    match = _ITEM_ID.match(item_id)
    if match is None:
        raise InvalidArgument(f"'before' is not an item id: {item_id[:40]!r}",
                              "pass the 'before' of the previous page, or an item's 'id'")
    return int(match.group(1))


def page(db: Database, conversation: Conversation, before: str | None = None,
         limit: int = DEFAULT_LIMIT) -> Page:
    """The page of items just before item ``before`` (the newest page without it)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be 1 to {MAX_LIMIT}, got {limit}")
    upper = step_of(before) if before is not None else _END
    conn = db.connection()
    steps, has_more = _scan(conn, conversation.id, upper, limit)
    if steps:
        _place_markers(conn, conversation, steps, upper, has_more)
        while len(steps) > 1 and sum(len(s.items) + len(s.markers) for s in steps) > limit:
            steps.pop(0)
            has_more = True
    source = _source_before(conn, conversation.id, steps[0].head["id"]) if steps else "chat"
    items: list[Item] = []
    for step in steps:
        if step.head["role"] == "user":
            source = _meta(step.head).get("source") or "chat"
        items += [_with_source(item, source) for item in step.items]
        items += [_with_source(item, source) for _, item in sorted(
            step.markers, key=lambda marker: marker[0])]
    return Page(conversation.id, conversation.title, items, has_more,
                items[0].id if has_more and items else None)


def _scan(conn: sqlite3.Connection, conversation_id: str, upper: int, limit: int
          ) -> tuple[list[_Step], bool]:
    """Whole steps before message ``upper``, oldest first, until they hold ``limit`` message
    items; and whether older messages remain."""
    steps: list[_Step] = []
    results: list[sqlite3.Row] = []
    count = 0
    batch = min(limit + 16, 600)
    cursor = upper
    while True:
        rows = conn.execute(
            "SELECT id, role, body, status, created, meta FROM messages WHERE "
            "conversation_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (conversation_id, cursor, batch)).fetchall()
        for row in rows:
            if row["role"] == "tool":
                results.append(row)
                continue
            step = _Step(row, results[::-1])
            results = []
            step.items = _message_items(step)
            steps.insert(0, step)
            count += len(step.items)
            if count >= limit:
                older = conn.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND "
                                     "id < ? LIMIT 1", (conversation_id, row["id"])).fetchone()
                return steps, older is not None
        if len(rows) < batch:
            return steps, False
        cursor = rows[-1]["id"]


def _message_items(step: _Step) -> list[Item]:
    head = step.head
    body = json.loads(head["body"])
    when = iso(head["created"])
    if head["role"] == "user":
        return [Item(str(head["id"]), "user", when, user_words(body, head["meta"]),
                     head["status"])]
    if head["role"] != "assistant":
        return []
    items: list[Item] = []
    text = content_text(body)
    if text:
        items.append(Item(str(head["id"]), "agent", when, text, head["status"]))
    by_call = {json.loads(r["body"]).get("tool_call_id"): r for r in step.results}
    for number, call in enumerate(body.get("tool_calls") or []):
        result = by_call.get(call.get("id"))
        items += _call_items(f"{head['id']}", number, call, result, when)
    return items


def _call_items(step: str, number: int, call: dict[str, Any], result: sqlite3.Row | None,
                when: str) -> list[Item]:
    function = call.get("function") or {}
    raw = function.get("arguments") or "{}"
    try:
        arguments: Any = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        arguments = raw
    status = result["status"] if result is not None else "interrupted"
    output = str(json.loads(result["body"]).get("content") or "") if result is not None else ""
    meta = _meta(result) if result is not None else {}
    ok = bool(meta.get("ok", status == "complete"))
    error = meta.get("error") if "ok" in meta else (
        None if status == "complete" else output.removeprefix("error: "))
    if len(output) > OUTPUT_LIMIT:
        output = output[:OUTPUT_LIMIT] + f"\n… ({len(output) - OUTPUT_LIMIT} more characters)"
    tool = ToolCall(str(call.get("id") or ""), str(function.get("name") or ""), arguments, ok,
                    output, error)
    at = iso(result["created"]) if result is not None else when
    items = [Item(f"{step}.t{number}", "toolCall", at, status=status, tool_call=tool)]
    commit = meta.get("commit")
    if isinstance(commit, dict):
        items.append(Item(f"{step}.c{number}", "memoryCommit", at, text=str(commit["message"]),
                          status="complete", commit=CommitRef(
                              str(commit["sha"]), list(commit["paths"]),
                              str(commit["message"]))))
    return items


def _place_markers(conn: sqlite3.Connection, conversation: Conversation, steps: list[_Step],
                   upper: int, has_more: bool) -> None:
    """Attach the page's events and finished reflection runs to the steps they follow."""
    heads = [s.head["id"] for s in steps]
    lowest = heads[0] if has_more else -1
    for row in conn.execute(
            "SELECT id, after_message, kind, data, created FROM conversation_events WHERE "
            "conversation_id = ? AND after_message >= ? AND after_message < ? "
            "ORDER BY after_message, id", (conversation.id, lowest, upper)):
        step = steps[max(bisect.bisect_right(heads, row["after_message"]) - 1, 0)]
        item = _event_item(f"{step.head['id']}.e{row['id']}", row)
        if item is not None:
            step.markers.append((row["created"], item))
    times = [s.head["created"] for s in steps]
    start = times[0] if has_more else float("-inf")
    newer = conn.execute("SELECT created FROM messages WHERE conversation_id = ? AND id >= ? "
                         "ORDER BY id LIMIT 1", (conversation.id, upper)).fetchone()
    end = newer["created"] if newer is not None else float("inf")
    for run in conn.execute(
            "SELECT id, trigger, status, message, commit_sha, files, finished FROM "
            "reflection_runs WHERE agent_id = ? AND conversation_id = ? AND finished IS NOT "
            "NULL AND finished >= ? AND finished < ? ORDER BY finished",
            (conversation.agent_id, conversation.id, start, end)):
        step = steps[max(bisect.bisect_right(times, run["finished"]) - 1, 0)]
        step.markers.append((run["finished"], _run_item(f"{step.head['id']}.r{run['id']}",
                                                        run)))


def _event_item(item_id: str, row: sqlite3.Row) -> Item | None:
    data = json.loads(row["data"])
    when = iso(row["created"])
    if row["kind"] == "compaction":
        info = CompactionInfo(int(data.get("summarized_messages", 0)),
                              int(data.get("tokens_before", 0)), int(data.get("tokens_after", 0)))
        return Item(item_id, "compaction", when,
                    f"{info.summarized_messages} earlier messages were summarized",
                    "complete", compaction=info)
    if row["kind"] == "error":
        return Item(item_id, "error", when, str(data.get("message", "")), "error",
                    code=data.get("code"), hint=data.get("hint") or None)
    if row["kind"] == "interrupted":
        return Item(item_id, "agent", when, "", "interrupted")
    return None


def _run_item(item_id: str, run: sqlite3.Row) -> Item:
    status = ("error" if run["status"] in _FAILED_RUNS else
              "interrupted" if run["status"] in _STOPPED_RUNS else "complete")
    commit = (CommitRef(run["commit_sha"], json.loads(run["files"]), run["message"])
              if run["commit_sha"] else None)
    return Item(item_id, "reflection", iso(run["finished"]), run["message"], status,
                "reflection", commit=commit,
                reflection=ReflectionInfo(run["id"], run["trigger"], run["status"]))


def _source_before(conn: sqlite3.Connection, conversation_id: str, message_id: int) -> str:
    """The source (chat, remember) of the turn a page's first step belongs to."""
    row = conn.execute("SELECT meta FROM messages WHERE conversation_id = ? AND id < ? AND "
                       "role = 'user' ORDER BY id DESC LIMIT 1",
                       (conversation_id, message_id)).fetchone()
    return (_meta(row).get("source") if row is not None else None) or "chat"


def _meta(row: sqlite3.Row) -> dict[str, Any]:
    value = json.loads(row["meta"]) if row["meta"] else {}
    return value if isinstance(value, dict) else {}


def _with_source(item: Item, source: str) -> Item:
    return item if item.source is not None else replace(item, source=source)
