"""Malformed and out-of-order JSON-RPC over a raw stdio connection: each gets the spec's error
and the server keeps serving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel
from tests.lsp.raw import RawServer

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
SERVER_NOT_INITIALIZED, REQUEST_CANCELLED = -32002, -32800


@pytest_asyncio.fixture
async def raw(workspace: Path) -> AsyncIterator[RawServer]:
    server = await RawServer.start()
    yield server
    await server.close()


async def test_requests_before_initialize_and_after_shutdown_are_refused(
    raw: RawServer, workspace: Path
) -> None:
    early = await raw.request("memfs/status", {})
    assert early["error"]["code"] == SERVER_NOT_INITIALIZED, early
    command = await raw.request("workspace/executeCommand", {"command": "memfs.listAgents"})
    assert command["error"]["code"] == SERVER_NOT_INITIALIZED, command
    await raw.initialize(workspace.as_uri())
    assert "result" in await raw.request("memfs/status", {})
    assert (await raw.request("shutdown"))["result"] is None
    late = await raw.request("memfs/status", {})
    assert late["error"]["code"] == INVALID_REQUEST and "shut" in late["error"]["message"]
    raw.send("exit", request=False)
    assert await raw.process.wait() == 0


async def test_bodies_that_are_not_json_rpc_get_a_parse_or_request_error(
    raw: RawServer, workspace: Path
) -> None:
    await raw.initialize(workspace.as_uri())
    raw.frame(b'{"jsonrpc": "2.0", "id": 99, "method": "memfs/status", '
              b'"params": {"x": "\xff\xfe"}}')
    bad_utf8 = await raw.response(None)
    assert bad_utf8["error"]["code"] == PARSE_ERROR and "UTF-8" in bad_utf8["error"]["message"]
    raw.frame(b'{"jsonrpc": "2.0", "id": 5, "method": ')
    assert (await raw.response(None))["error"]["code"] == PARSE_ERROR
    for body in (b"[]", b"42", b'{"id": 7, "method": "memfs/status"}',
                 b'[{"jsonrpc": "2.0", "id": 8, "method": "shutdown"}]'):
        raw.frame(body)
        answer = await raw.response(7 if b'"id": 7' in body else None)
        assert answer["error"]["code"] == INVALID_REQUEST, (body, answer)
    await raw.ping()


async def test_an_oversized_content_length_is_refused_without_reading_it(
    raw: RawServer, workspace: Path
) -> None:
    await raw.initialize(workspace.as_uri())
    raw.write(b"Content-Length: 1000000000000\r\n\r\n{}")
    refused = await raw.response(None)
    assert refused["error"]["code"] == PARSE_ERROR
    assert "1000000000000" in refused["error"]["message"]
    await raw.ping()
    raw.write(b"Content-Length: 99999999999999999999999\r\nContent-Type: x\r\n\r\n"
              + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x"}).encode())
    assert (await raw.response(None))["error"]["code"] == PARSE_ERROR
    await raw.ping()


async def test_bad_params_of_protocol_methods_and_commands_are_invalid_params(
    raw: RawServer, workspace: Path
) -> None:
    await raw.initialize(workspace.as_uri())
    for arguments in ({"name": "x"}, "name", 3, True, {}):
        answer = await raw.request("workspace/executeCommand",
                                   {"command": "memfs.createAgent", "arguments": arguments})
        assert answer["error"]["code"] == INVALID_PARAMS, (arguments, answer)
        assert "arguments" in answer["error"]["message"], answer
    hover = await raw.request("textDocument/hover", {"position": "top"})
    assert hover["error"]["code"] == INVALID_PARAMS, hover
    for method, params, field in (
        ("workspace/executeCommand",
         {"command": "memfs.createAgent", "arguments": [{"name": "a\x00b"}]}, "name"),
        ("memfs/read", {"path": "system/\x00persona.md"}, "path"),
        ("memfs/chat", {"text": "hi", "conversationId": "c\x00"}, "conversationId"),
    ):
        answer = await raw.request(method, params)
        assert answer["error"]["code"] == INVALID_PARAMS, (method, answer)
        assert field in answer["error"]["message"], answer
    agents = await raw.request("workspace/executeCommand", {"command": "memfs.listAgents"})
    assert [a["name"] for a in agents["result"]["agents"]] == ["Memory Agent"]


async def test_shutdown_with_requests_in_flight_answers_each_of_them(
    model: ScriptedModel, raw: RawServer, workspace: Path
) -> None:  # model first: the server starts with its environment
    runtime = Runtime(workspace=workspace)
    agent = runtime.agent()
    runtime.memory(agent)
    # Two conversations, each named: turns of one conversation queue, and a turn makes its
    # conversation the workspace's current one, so "the current one" depends on which
    # request started first.
    main = runtime.conversations.default(agent.id).id
    other = runtime.conversations.new(agent.id).id
    await raw.initialize(workspace.as_uri())
    model.script(Reply(text="slow " * 400, chunk_chars=5, hold_after=3),
                 Reply(text="slow " * 400, chunk_chars=5, hold_after=3))
    chat = raw.send("memfs/chat", {"text": "talk", "conversationId": main})
    remember = raw.send("workspace/executeCommand", {"command": "memfs.remember",
                                                     "arguments": [{"text": "tabs",
                                                                    "conversationId": other}]})
    await asyncio.to_thread(model.wait_for_requests, 2)  # both turns stream from the model
    shutdown = await raw.request("shutdown")
    assert shutdown == {"jsonrpc": "2.0", "id": shutdown["id"], "result": None}, shutdown
    for msg_id in (chat, remember):
        answer = await raw.response(msg_id)
        assert answer.get("error", {}).get("code") == REQUEST_CANCELLED, answer
    raw.send("exit", request=False)
    assert await raw.process.wait() == 0
