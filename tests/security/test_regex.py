"""Issue 9 item 6: a model-supplied regex cannot freeze the server: patterns run on a
linear-time engine, off the event loop; unsupported syntax is a clear error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from memfs.errors import InvalidArgument
from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import Recorder, request

HOSTILE = "(a+)+$"
LINE = "a" * 40 + "!"  # exponential for a backtracking engine: it would never finish


async def test_server_answers_while_a_hostile_search_runs(
    lsp: tuple[LanguageClient, Recorder], model: ScriptedModel, workspace: Path,
    store: MemoryStore
) -> None:
    client, recorder = lsp
    root = workspace
    (root / "notes.txt").write_text(f"{LINE}\nsecond line aaa\n")
    store.create("notes/a.md", "Notes", f"{LINE}\n", "add")
    model.script(Reply(tool_calls=[
        ToolCall("search_files", {"query": HOSTILE, "regex": True}),
        ToolCall("memory_search", {"query": HOSTILE, "regex": True}),
        ToolCall("search_files", {"query": "(?=a)a", "regex": True})]), "Done.")
    chat = asyncio.ensure_future(request(client, "memfs/chat", {
        "text": "search", "workspaceUri": root.as_uri()}))
    await recorder.wait_for("memfs/chatDelta", lambda d: d["kind"] == "toolCallStarted")
    status = await asyncio.wait_for(request(client, "memfs/status", {}), 60)
    assert status["agent"]["id"] == "memory-agent"
    result = await asyncio.wait_for(chat, 60)
    assert result["text"] == "Done."
    results = [str(m["content"]) for m in model.requests[-1]["messages"]
               if m["role"] == "tool"]
    assert results[0] == "notes.txt:2: second line aaa"
    assert "notes/a.md" not in results[1] and not results[1].startswith("error")
    assert "look-ahead" in results[2] and "not supported" in results[2]
    assert json.dumps(result)


def test_memory_search_with_a_hostile_pattern_ends(store: MemoryStore) -> None:
    store.create("notes/a.md", "Notes", f"{LINE}\naaa\n", "add")
    hits, truncated = store.search(HOSTILE, regex=True)
    assert [(h.path, h.line) for h in hits] == [("notes/a.md", 5)] and not truncated
    with pytest.raises(InvalidArgument, match="backreferences"):
        store.search(r"(a)\1", regex=True)
