"""Every request fired the moment the server has started gets its real answer (handler
modules load lazily while a warm-up thread imports them too)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from agent.runtime import Runtime
from lsp_server.server import COMMANDS
from testkit.model_server import ScriptedModel
from tests.lsp.conftest import CLIENTS, command, request, start


@pytest.mark.parametrize("capabilities", CLIENTS)
async def test_every_method_fired_right_after_start_gets_its_real_answer(
    capabilities: str, model: ScriptedModel, workspace: Path
) -> None:
    runtime = Runtime(workspace=workspace)  # memory and conversation exist before the start
    agent = runtime.agent()
    memory = runtime.memory(agent)
    edit = memory.create("notes/start.md", "Start notes", "Started.\n", "start notes")
    conversation = runtime.conversation(agent)
    client, _ = await start(capabilities, workspace)
    try:
        uri = (memory.root / "notes" / "start.md").as_uri()
        text = "---\ndescription: Start notes\n\n---\nsee [[system/human]]\n"
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=1,
                                                 text=text)))
        document = types.TextDocumentIdentifier(uri=uri)
        arguments: dict[str, dict[str, Any]] = {
            "memfs.newConversation": {"title": "fresh"},
            "memfs.switchConversation": {"conversationId": conversation.id},
            "memfs.listConversations": {},
            "memfs.renameConversation": {"conversationId": conversation.id, "title": "renamed"},
            "memfs.listAgents": {},
            "memfs.switchAgent": {"agentId": agent.id},
            "memfs.createAgent": {"name": "Second"},
            "memfs.memoryStatus": {},
            "memfs.memoryLog": {"limit": 3},
            "memfs.revert": {"commit": edit.commit},
            "memfs.compact": {},
            "memfs.lint": {},
            "memfs.init": {},
            "memfs.remember": {"text": "tabs"},
            "memfs.doctor": {},
            "memfs.sleeptime": {},
            "memfs.reflect": {},
            "memfs.reviewReflection": {},
            "memfs.initProjectMemory": {},
            "memfs.openScopedMemories": {"uri": uri},
            "memfs.approval": {},
            "memfs.resolveApproval": {"id": "none", "decision": "accept"},
        }
        assert set(arguments) == set(COMMANDS)
        calls: dict[str, Any] = {
            "completion": client.text_document_completion_async(types.CompletionParams(
                text_document=document, position=types.Position(line=2, character=0))),
            "hover": client.text_document_hover_async(types.HoverParams(
                text_document=document, position=types.Position(line=4, character=8))),
            "memfs/tree": request(client, "memfs/tree", {}),
            "memfs/read": request(client, "memfs/read", {"path": "system/human.md"}),
            "memfs/status": request(client, "memfs/status", {}),
            "memfs/chat": request(client, "memfs/chat", {"text": "hello"}),
            **{name: command(client, name, value) for name, value in arguments.items()},
        }
        answers: dict[str, Any] = dict(zip(calls, await asyncio.gather(
            *calls.values(), return_exceptions=True), strict=True))
        failed = {name: answer for name, answer in answers.items()
                  if isinstance(answer, BaseException)}
        assert failed == {}
        labels = [item.label for item in answers["completion"].items]
        assert labels[0] == "read_only" and "description" not in labels
        assert "What I know about the user" in str(answers["hover"].contents)
        assert answers["memfs/read"]["path"] == "system/human.md"
        assert answers["memfs/chat"]["text"] == "(no scripted reply left)"
        assert answers["memfs.createAgent"]["name"] == "Second"
        assert answers["memfs.init"] == {"cancelled": True}
        assert answers["memfs.revert"]["paths"] == ["notes/start.md"]
        plain = {k: v for k, v in answers.items() if k not in ("completion", "hover")}
        assert _snake_case_keys(plain) == [], "every field on the wire is camelCase"
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_the_first_requests_of_a_fresh_install_create_memory_once(
    model: ScriptedModel, workspace: Path
) -> None:
    client, _ = await start("neovim", workspace)
    try:
        calls = [request(client, "memfs/status", {}), request(client, "memfs/tree", {}),
                 request(client, "memfs/chat", {"text": "hello"}),
                 command(client, "memfs.remember", {"text": "tabs"}),
                 command(client, "memfs.lint", {}), command(client, "memfs.listAgents", {})]
        answers = await asyncio.gather(*calls, return_exceptions=True)
        assert [a for a in answers if isinstance(a, BaseException)] == []
        log = await command(client, "memfs.memoryLog", {})
        assert [c["message"] for c in log["commits"]] == ["chore: initialize memory"]
    finally:
        await client.shutdown_session()
        await client.stop()


def _snake_case_keys(value: Any, where: str = "") -> list[str]:
    """Paths of every dict key holding an underscore (field names must be camelCase)."""
    if isinstance(value, dict):
        return [f"{where}.{key}" for key in value if "_" in str(key)] + [
            found for key, item in value.items()
            for found in _snake_case_keys(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for item in value for found in _snake_case_keys(item, where)]
    return []
