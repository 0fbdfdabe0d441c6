"""The real server as a subprocess, driven over LSP by pytest-lsp's client, with the VS Code
and the Neovim capability sets; the model is the scripted server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_server.jsonish import plain
from testkit.model_server import ScriptedModel

CLIENTS = ["visual-studio-code", "neovim"]


class Recorder:
    """Custom notifications the server sent, by method."""

    def __init__(self) -> None:
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.event = asyncio.Event()

    def add(self, method: str, params: Any) -> None:
        self.items.setdefault(method, []).append(plain(params))
        self.event.set()

    async def wait_for(self, method: str, predicate: Any = None, timeout: float = 60.0
                       ) -> dict[str, Any]:
        """The first notification of ``method`` (matching ``predicate``) to arrive."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for item in self.items.get(method, []):
                if predicate is None or predicate(item):
                    return item
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {method} notification matching in {timeout}s")
            self.event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), remaining)


async def start(capabilities: str, workspace: Path, settings: dict[str, Any] | None = None,
                answers: list[str] | None = None, *,
                hold_configuration: asyncio.Event | None = None
                ) -> tuple[LanguageClient, Recorder]:
    """A started and initialized server. ``answers`` (also ``client.answers``) answer the
    server's questions in turn (none left: dismissed); with ``hold_configuration`` the client
    answers ``workspace/configuration`` only once that event is set (a slow editor)."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server"])
    client = await config.start()
    assert isinstance(client, LanguageClient)
    if hold_configuration is not None:
        async def slow_configuration(params: types.ConfigurationParams) -> list[Any]:
            await hold_configuration.wait()
            return [client.get_configuration(section=item.section) for item in params.items]

        client.protocol.fm.features[types.WORKSPACE_CONFIGURATION] = slow_configuration
    recorder = Recorder()
    for method in ("memfs/chatDelta", "memfs/memoryChanged", "memfs/status",
                   "memfs/reflection", "memfs/conversationChanged"):
        client.feature(method)(lambda params, m=method: recorder.add(m, params))
    answers = list(answers or [])
    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(
        lambda params: types.MessageActionItem(title=answers.pop(0)) if answers else None)
    client.answers = answers  # type: ignore[attr-defined]
    client.set_configuration(settings or {}, section="memfs")
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(capabilities),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="project")],
        initialization_options={"memfs": settings or {}}))
    return client, recorder


@pytest_asyncio.fixture(params=CLIENTS)
async def lsp(request: pytest.FixtureRequest, model: ScriptedModel, workspace: Path
              ) -> AsyncIterator[tuple[LanguageClient, Recorder]]:
    client, recorder = await start(request.param, workspace, {"maxRetries": 1})
    yield client, recorder
    await client.shutdown_session()
    await client.stop()


async def request(client: LanguageClient, method: str, params: Any = None) -> Any:
    return plain(await client.protocol.send_request_async(method, params))


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))))

