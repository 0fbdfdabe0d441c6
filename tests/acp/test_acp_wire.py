"""Raw JSON-RPC against ``memfs-acp``: what a client cannot get wrong without an answer.
Malformed and out-of-order messages get JSON-RPC errors, and the agent keeps serving."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acp.conftest import AGENT


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with (tmp_path / "acp.log").open("wb") as log:
        process = subprocess.Popen([AGENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=log)
        yield process
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=60) == 0


def ask(process: subprocess.Popen[bytes], line: str) -> dict[str, Any]:
    """Send one line; the agent's next message."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line.encode() + b"\n")
    process.stdin.flush()
    answer: dict[str, Any] = json.loads(process.stdout.readline())
    return answer


def request(method: str, params: Any, request_id: int = 1) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def test_malformed_and_out_of_order_messages_get_errors(agent: subprocess.Popen[bytes],
                                                        workspace: Path) -> None:
    assert ask(agent, "this is not json")["error"]["code"] == -32700
    not_object = ask(agent, "[1, 2]")
    assert not_object["id"] is None and not_object["error"]["code"] == -32600
    assert ask(agent, json.dumps({"jsonrpc": "2.0", "id": 7, "method": 42}))["error"] == {
        "code": -32600, "message": "Invalid request: 'method' must be a string"}
    # A prompt for a session nobody started, before anything else: InvalidParams naming it.
    early = ask(agent, request("session/prompt", {"sessionId": "s1", "prompt": [
        {"type": "text", "text": "hi"}]}, 2))
    assert early["id"] == 2 and early["error"]["code"] == -32602
    assert early["error"]["message"].startswith("sessionId: no session 's1'")
    missing = ask(agent, request("session/new", {}, 3))
    assert missing["error"]["code"] == -32602 and "cwd" in json.dumps(missing["error"])
    assert ask(agent, request("session/set_mode", {"sessionId": "s", "modeId": "m"}, 4)
               )["error"]["code"] == -32601
    # ...and it still serves.
    hello = ask(agent, request("initialize", {"protocolVersion": 1}, 5))
    assert hello["result"]["protocolVersion"] == 1
    created = ask(agent, request("session/new", {"cwd": str(workspace), "mcpServers": []}, 6))
    assert created["id"] == 6 and created["result"]["sessionId"]


def test_the_acp_front_door_never_loads_the_language_server() -> None:
    script = ("import sys, acp_server.cli, acp_server.server; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('lsp_server', 'pygls', 'lsprotocol')))")
    loaded = subprocess.run([str(Path(AGENT).with_name("python")), "-c", script],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
