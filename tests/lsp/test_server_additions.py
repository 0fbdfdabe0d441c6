"""What both editors build on, over real LSP: the transcript (``memfs/messages``), titles
(``memfs.renameConversation``, ``memfs/conversationChanged``, ``memfs.listConversations``),
``memfs/commit``, the model on ``memfs/status``, ``lastChange`` in ``memfs/tree``, and
``textDocument/definition`` on ``[[links]]``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import Recorder, command, request, start

Session = tuple[LanguageClient, Recorder]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CREATE = ToolCall("memory", {
    "command": "create", "path": "system/style.md", "description": "Coding style",
    "content": "Tabs.\n", "reason": "learn: tabs"})
BAD_EDIT = ToolCall("memory", {
    "command": "str_replace", "path": "system/missing.md", "old_text": "a", "new_text": "b",
    "reason": "fix"})


async def _stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


@pytest_asyncio.fixture
async def session(model: ScriptedModel, workspace: Path) -> AsyncIterator[Session]:
    client, recorder = await start("neovim", workspace, {"maxRetries": 1})
    yield client, recorder
    await _stop(client)


def _shape(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(i["kind"], i.get("status")) for i in items]


async def test_messages_give_the_transcript_as_the_user_saw_it(
    session: Session, model: ScriptedModel
) -> None:
    client, recorder = session
    model.script(Reply(text="Noting it.", tool_calls=[CREATE, BAD_EDIT]), "Done: tabs.")
    chat = await request(client, "memfs/chat", {"text": "I like tabs"})
    failed = await recorder.wait_for("memfs/chatDelta", lambda d: d["kind"] ==
                                     "toolCallFinished" and not d["ok"])
    assert "old_text" not in failed["error"] and "system/missing.md" in failed["error"]
    assert [c["error"] for c in chat["toolCalls"]] == [None, failed["error"]]

    model.script(Reply(status=401, error="bad key"))
    await request(client, "memfs/chat", {"text": "are you there?"})

    gate = threading.Event()  # this reply never comes: the user stops the turn first
    model.script(Reply(text="never", gate=gate))
    future = client.protocol.send_request("memfs/chat", {"text": "stop"}, msg_id="stopped")
    await asyncio.to_thread(model.wait_for_requests, 4)
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="stopped"))
    with contextlib.suppress(Exception):
        await asyncio.wrap_future(future)
    gate.set()
    compacted = await command(client, "memfs.compact", {})
    assert compacted["compacted"] is True

    page = await request(client, "memfs/messages", {})
    assert page["conversationId"] == chat["conversationId"]
    assert page["title"] == "Main conversation" and page["hasMore"] is False
    assert page["before"] is None
    items = page["items"]
    assert _shape(items) == [
        ("user", "complete"), ("agent", "complete"), ("toolCall", "complete"),
        ("memoryCommit", "complete"), ("toolCall", "error"), ("agent", "complete"),
        ("user", "complete"), ("error", "error"),
        ("user", "complete"), ("agent", "interrupted"),
        ("compaction", "complete")]
    user, said, created, commit, bad, reply = items[:6]
    assert (user["text"], said["text"], reply["text"]) == ("I like tabs", "Noting it.",
                                                            "Done: tabs.")
    assert all(ISO.match(i["time"]) for i in items) and all("id" in i for i in items)
    assert created["toolCall"]["name"] == "memory" and created["toolCall"]["ok"] is True
    assert created["toolCall"]["arguments"]["path"] == "system/style.md"
    assert commit["commit"] == {"sha": chat["memoryCommits"][0]["commit"],
                                "paths": ["system/style.md"], "message": "learn: tabs"}
    assert bad["toolCall"]["ok"] is False and bad["toolCall"]["error"] == failed["error"]
    assert "error" not in created["toolCall"], "absent fields are left out, not null"
    error = items[7]
    assert error["code"] == "auth-failed" and "bad key" in error["text"] and error["hint"]
    assert items[10]["compaction"]["summarizedMessages"] > 0
    assert {i["source"] for i in items} == {"chat"}

    first = await request(client, "memfs/messages", {"limit": 4})
    assert first["hasMore"] is True and first["before"] == first["items"][0]["id"]
    older = await request(client, "memfs/messages", {"limit": 500, "before": first["before"]})
    assert older["hasMore"] is False
    assert [i["id"] for i in older["items"] + first["items"]] == [i["id"] for i in items]


async def test_remember_turns_are_marked(session: Session, model: ScriptedModel) -> None:
    client, _ = session
    model.script(Reply(tool_calls=[CREATE]), "Saved to system/style.md.")
    await command(client, "memfs.remember", {"text": "I like tabs"})
    items = (await request(client, "memfs/messages", {}))["items"]
    assert [(i["kind"], i["source"]) for i in items] == [
        ("user", "remember"), ("toolCall", "remember"), ("memoryCommit", "remember"),
        ("agent", "remember")]
    assert items[0]["text"] == "I like tabs"


async def test_a_new_conversation_is_titled_renamed_and_listed(
    session: Session, model: ScriptedModel
) -> None:
    client, recorder = session
    model.title = "Tabs versus spaces"
    fresh = await command(client, "memfs.newConversation", {})
    model.script("Tabs, then.")
    await request(client, "memfs/chat", {"text": "tabs or spaces for this repo?"})
    made = await recorder.wait_for("memfs/conversationChanged")
    assert made == {"agentId": "memory-agent", "conversationId": fresh["id"],
                    "title": "Tabs versus spaces"}
    listed = await command(client, "memfs.listConversations", {})
    by_id = {c["id"]: c for c in listed["conversations"]}
    mine = by_id[fresh["id"]]
    assert mine["title"] == "Tabs versus spaces" and mine["isCurrent"] is True
    assert mine["messageCount"] == 2 and ISO.match(mine["lastActivity"])
    main = next(c for c in listed["conversations"] if c["isDefault"])
    assert main["isCurrent"] is False and main["messageCount"] == 0

    renamed = await command(client, "memfs.renameConversation",
                            {"conversationId": fresh["id"], "title": "  Repo style  "})
    assert renamed["title"] == "Repo style"
    await recorder.wait_for("memfs/conversationChanged", lambda c: c["title"] == "Repo style")
    page = await request(client, "memfs/messages", {"conversationId": fresh["id"]})
    assert page["title"] == "Repo style"
    with pytest.raises(JsonRpcInvalidParams, match="title"):
        await command(client, "memfs.renameConversation",
                      {"conversationId": fresh["id"], "title": "   "})


async def test_without_a_title_from_the_model_the_first_words_are_used(
    session: Session, model: ScriptedModel
) -> None:
    client, recorder = session
    model.title = Reply(status=500, error="overloaded")
    fresh = await command(client, "memfs.newConversation", {})
    model.script("Sure.")
    ask = "please write the release notes for version two of the parser and its CLI"
    await request(client, "memfs/chat", {"text": ask})
    made = await recorder.wait_for("memfs/conversationChanged")
    assert made["conversationId"] == fresh["id"]
    assert made["title"] == "please write the release notes for version two of…"


async def test_commit_details_and_last_changes_in_the_tree(
    session: Session, model: ScriptedModel
) -> None:
    client, _ = session
    model.script(Reply(tool_calls=[CREATE]), "ok")
    chat = await request(client, "memfs/chat", {"text": "tabs"})
    sha = chat["memoryCommits"][0]["commit"]
    details = await request(client, "memfs/commit", {"sha": sha[:10]})
    assert details["sha"] == sha and details["message"] == "learn: tabs"
    assert details["source"] == "agent" and details["paths"] == ["system/style.md"]
    assert ISO.match(details["date"]) and details["author"] and details["truncated"] is False
    assert "+++ b/system/style.md" in details["diff"] and "+Tabs." in details["diff"]

    tree = await request(client, "memfs/tree", {})
    manual = MemoryStore.open("memory-agent").write(
        "system/human.md", "The user", "Likes tabs.\n", "chore(manual): edit system/human.md")
    tree = await request(client, "memfs/tree", {})
    changes = {f["path"]: f["lastChange"] for f in tree["files"]}
    assert changes["system/style.md"]["sha"] == sha
    assert changes["system/style.md"]["source"] == "agent"
    assert changes["system/human.md"] == {
        "sha": manual.commit, "date": changes["system/human.md"]["date"],
        "author": changes["system/human.md"]["author"], "source": "manual",
        "message": "chore(manual): edit system/human.md"}
    assert changes["system/persona.md"]["source"] == "created"
    assert all(ISO.match(c["date"]) for c in changes.values())
    by_path = {f["path"]: f for f in tree["files"]}
    assert by_path["system/style.md"]["inContext"] is True

    for bad in ({"sha": "--output=x"}, {}):
        with pytest.raises(JsonRpcInvalidParams, match="sha"):
            await request(client, "memfs/commit", bad)
    with pytest.raises(JsonRpcInvalidParams, match="no commit"):
        await request(client, "memfs/commit", {"sha": "0123456789abcdef"})


async def test_status_shows_the_model_and_follows_settings_at_once(workspace: Path,
                                                                   model: ScriptedModel,
                                                                   monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    monkeypatch.delenv("MEMFS_MODEL")
    client, recorder = await start("visual-studio-code", workspace)
    try:
        missing = await recorder.wait_for("memfs/status", lambda s: "model" in s)
        assert missing["state"] == "error" and missing["model"]["configured"] is False
        assert missing["model"]["name"] is None and "MEMFS_MODEL" in missing["model"]["hint"]
        client.set_configuration({"model": "openai/editor-model"}, section="memfs")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings=None))
        chosen = await recorder.wait_for(
            "memfs/status", lambda s: s.get("model", {}).get("configured") is True)
        assert chosen["state"] == "idle"
        assert (chosen["model"]["name"], chosen["model"]["source"]) == ("openai/editor-model",
                                                                        "editor")
        status = await request(client, "memfs/status", {})
        assert status["model"]["source"] == "editor"
        model.script("from the editor's model")
        await request(client, "memfs/chat", {"text": "hi"})
        busy = [s for s in recorder.items["memfs/status"] if s["state"] == "busy"]
        assert busy and all(s["model"]["name"] == "openai/editor-model" for s in busy)
    finally:
        await _stop(client)


async def test_trusting_a_folder_updates_the_status(workspace: Path, model: ScriptedModel,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_MODEL")
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps(
        {"model": "openai/project-model"}))
    client, recorder = await start("neovim", workspace, answers=["Trust Folder"])
    try:
        trusted = await recorder.wait_for(
            "memfs/status", lambda s: s.get("model", {}).get("configured") is True)
        assert (trusted["model"]["name"], trusted["model"]["source"]) == (
            "openai/project-model", "project settings")
    finally:
        await _stop(client)


async def test_definition_on_a_link_opens_the_linked_file(session: Session) -> None:
    client, _ = session
    root = Path((await request(client, "memfs/tree", {}))["root"])
    text = "---\ndescription: d\n---\nsee [[system/human]] and [[nowhere]] here\n"
    uri = (root / "notes.md").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=1,
                                             text=text)))

    async def definition(character: int) -> Any:
        return await client.text_document_definition_async(types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=character)))

    found = await definition(10)
    target = found[0] if isinstance(found, list) else found
    target_uri = getattr(target, "target_uri", None) or target.uri
    assert target_uri == (root / "system" / "human.md").as_uri()
    if isinstance(target, types.LocationLink):
        assert target.origin_selection_range is not None
        assert target.origin_selection_range.start.character == 4
    assert await definition(32) is None, "a link to nothing"
    assert await definition(1) is None, "not on a link"


async def test_bad_params_name_the_field(session: Session) -> None:
    client, _ = session
    for params, field in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                          ({"before": "x1"}, "before"), ({"conversationId": 5}, "conversationId")):
        with pytest.raises(JsonRpcInvalidParams, match=field):
            await request(client, "memfs/messages", params)
    with pytest.raises(JsonRpcInvalidParams, match="conversation"):
        await request(client, "memfs/messages", {"conversationId": "conv-nope"})
