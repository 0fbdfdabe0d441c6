"""Fixtures for agent tests: the scripted model server reached through litellm over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.events import Event
from agent.runtime import Runtime
from testkit.model_server import ScriptedModel


@pytest.fixture
def runtime(model: ScriptedModel, workspace: Path) -> Runtime:
    return Runtime(workspace=workspace, editor_settings={"maxRetries": 1})


async def collect(events: AsyncIterator[Event]) -> list[Event]:
    """Every event of a turn."""
    return [event async for event in events]


def kinds(events: list[Event]) -> list[str]:
    return [event.kind for event in events]


@pytest.fixture(params=["httpx", "litellm"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both routes to an OpenAI-compatible server: straight over httpx (the default for
    ``openai/`` models) and through litellm (``MEMFS_DIRECT_HTTP=0``)."""
    monkeypatch.setenv("MEMFS_DIRECT_HTTP", "1" if request.param == "httpx" else "0")
    return str(request.param)
