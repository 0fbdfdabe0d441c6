"""Fixtures for the security tests: the default agent's memory, and one real language server
(one client is enough here; the editors' capability sets are covered in tests/lsp)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pytest_lsp import LanguageClient

from memfs.store import MemoryStore
from testkit.model_server import ScriptedModel
from tests.lsp.conftest import Recorder, start


@pytest.fixture
def store() -> MemoryStore:
    """The default agent's freshly created memory."""
    return MemoryStore.open(create=True)


@pytest_asyncio.fixture
async def lsp(model: ScriptedModel, workspace: Path) -> AsyncIterator[tuple[LanguageClient,
                                                                          Recorder]]:
    client, recorder = await start("visual-studio-code", workspace, {"maxRetries": 1})
    yield client, recorder
    await client.shutdown_session()
    await client.stop()
