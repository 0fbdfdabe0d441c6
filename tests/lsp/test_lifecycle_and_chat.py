"""initialize/shutdown, chat streaming, cancellation, configuration."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_server.server import COMMANDS
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import Recorder, command, request, start

Session = tuple[LanguageClient, Recorder]


def test_initialize_path_imports_nothing_heavy() -> None:
    """Building the server and answering initialize load neither litellm, git nor agent."""
    script = (
        "import sys\n"
        "from lsprotocol import types\n"
        "from lsp_server.server import build\n"
        "from lsp_server.features import lifecycle\n"
        "server = build('test')\n"
        "lifecycle.initialize(server, types.InitializeParams(capabilities="
        "types.ClientCapabilities(), root_uri='file:///tmp/x'))\n"
        "heavy = [m for m in ('litellm', 'git', 'agent', 'memfs', 'pydantic') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


async def test_every_command_is_advertised(model: ScriptedModel, workspace: Path) -> None:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server"])
    client = await config.start()
    assert isinstance(client, LanguageClient)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="p")]))
    assert result.capabilities.execute_command_provider is not None
    commands = set(result.capabilities.execute_command_provider.commands)
    assert commands == set(COMMANDS)
    assert result.server_info is not None and result.server_info.name == "memfs-lsp"
    await client.shutdown_session()
    await client.stop()


async def test_chat_streams_deltas_in_order_and_returns_the_result(
    lsp: Session, model: ScriptedModel, workspace: Path
) -> None:
    client, recorder = lsp
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/style.md", "description": "Coding style",
        "content": "Tabs.\n", "reason": "learn: tabs"})]),
        Reply(text="Noted, tabs from now on.", chunk_chars=4))
    result = await request(client, "memfs/chat", {"text": "I like tabs",
                                                  "workspaceUri": workspace.as_uri()})
    assert result["text"] == "Noted, tabs from now on." and result["stopReason"] == "end_turn"
    assert result["memoryCommits"][0]["message"] == "learn: tabs"
    assert result["conversationId"].startswith("conv-")
    deltas = [d for d in recorder.items["memfs/chatDelta"] if d["chatId"] == result["chatId"]]
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    kinds = [d["kind"] for d in deltas]
    assert kinds[:3] == ["toolCallStarted", "toolCallFinished", "memoryCommit"]
    assert "".join(d["text"] for d in deltas if d["kind"] == "text") == result["text"]
    changed = await recorder.wait_for("memfs/memoryChanged",
                                      lambda c: c["commit"] == result["memoryCommits"][0]["commit"])
    assert changed["paths"] == ["system/style.md"] and changed["source"] == "chat"
    states = [s["state"] for s in recorder.items["memfs/status"]]
    assert "busy" in states and states[-1] == "idle"
    progress = [r for reports in client.progress_reports.values() for r in reports]
    if client.capabilities and client.capabilities.window and \
            client.capabilities.window.work_done_progress:
        assert isinstance(progress[0], types.WorkDoneProgressBegin)
        assert isinstance(progress[-1], types.WorkDoneProgressEnd)


async def test_cancel_request_stops_the_turn(
    lsp: Session, model: ScriptedModel, workspace: Path
) -> None:
    client, recorder = lsp
    model.script(Reply(text="slow " * 400, chunk_chars=5, hold_after=3))
    future = client.protocol.send_request("memfs/chat", {"text": "talk"}, msg_id="chat-1")
    await recorder.wait_for("memfs/chatDelta", lambda d: d["kind"] == "text")
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-1"))
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wrap_future(future)
    assert caught.value.code == -32800
    streamed = len(recorder.items["memfs/chatDelta"])
    status = await request(client, "memfs/status", {})  # answered after anything sent before
    assert len(recorder.items["memfs/chatDelta"]) == streamed, "deltas after the cancel"
    conversation = status["conversation"]["id"]
    from agent.runtime import Runtime

    last = Runtime(workspace=workspace).conversations.messages(conversation)[-1]
    assert last.status == "interrupted" and last.body["content"].startswith("slow")
    assert len(last.body["content"]) < len("slow " * 400)


async def test_the_client_names_its_turn_so_late_deltas_are_told_apart(
    lsp: Session, model: ScriptedModel
) -> None:
    """A client may pick each turn's ``chatId``: every delta and the answer carry it, so a
    delta of a turn it cancelled, arriving after its next prompt went out, is never taken for
    the new turn's. A bad id is refused naming the field."""
    client, recorder = lsp
    model.script(Reply(text="slow " * 400, chunk_chars=5, hold_after=3), "After.")
    future = client.protocol.send_request("memfs/chat", {"text": "talk", "chatId": "nvim-1"},
                                          msg_id="chat-1")
    await recorder.wait_for("memfs/chatDelta", lambda d: d["kind"] == "text")
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-1"))
    result = await request(client, "memfs/chat", {"text": "next", "chatId": "nvim-2"})
    with pytest.raises(JsonRpcException):
        await asyncio.wrap_future(future)
    assert result["chatId"] == "nvim-2" and result["text"] == "After."
    deltas = recorder.items["memfs/chatDelta"]
    assert {d["chatId"] for d in deltas} == {"nvim-1", "nvim-2"}
    assert "".join(d["text"] for d in deltas if d["chatId"] == "nvim-2") == "After."
    with pytest.raises(JsonRpcInvalidParams, match="chatId"):
        await request(client, "memfs/chat", {"text": "x", "chatId": "two words"})


async def test_configuration_change_applies_and_reports_bad_values(
    model: ScriptedModel, workspace: Path
) -> None:
    client, _ = await start("visual-studio-code", workspace, {"maxSteps": 5})
    try:
        client.set_configuration({"maxSteps": "lots", "contextWindow": 50000},
                                 section="memfs")
        shown = client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings=None))
        message = await shown
        assert "maxSteps" in message.message and message.type == types.MessageType.Warning
        model.script("ok")
        result = await request(client, "memfs/chat", {"text": "hi"})
        assert result["text"] == "ok"
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_no_model_is_one_clear_error_and_everything_else_works(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    client, recorder = await start("neovim", workspace)
    try:
        with pytest.raises(JsonRpcException) as caught:
            await request(client, "memfs/chat", {"text": "hi"})
        assert "no model is configured" in str(caught.value) and "MEMFS_MODEL" in str(
            caught.value)
        error = await recorder.wait_for("memfs/status", lambda s: s["state"] == "error")
        assert "MEMFS_MODEL" in error["message"]
        status = await request(client, "memfs/status", {})
        assert status["model"]["configured"] is False
        tree = await request(client, "memfs/tree", {})
        assert {f["path"] for f in tree["files"]} >= {"system/human.md", "system/persona.md"}
        assert (await command(client, "memfs.listAgents", {}))["current"] == "memory-agent"
    finally:
        await client.shutdown_session()
        await client.stop()
