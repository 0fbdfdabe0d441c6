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
