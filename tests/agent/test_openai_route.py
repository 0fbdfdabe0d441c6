"""``openai/`` models reach their OpenAI-compatible server straight over httpx: a turn never
waits for litellm, and what the server sees and what the user is told match the litellm route."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent import llm
from agent.events import Done, ErrorEvent
from agent.model import ModelConfig
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel
from tests.agent.conftest import collect

TURN_THEN_REPORT = """
import asyncio, sys
from agent.runtime import Runtime
async def main():
    async for event in Runtime(workspace=sys.argv[1]).chat("hi"):
        print(event.kind, getattr(event, "text", ""))
asyncio.run(main())
print("litellm imported:", "litellm" in sys.modules)
"""

FIRST_DELTA_THEN_REPORT = """
import asyncio, sys
from agent import openai_http
from agent.runtime import Runtime
async def main():
    async for event in Runtime(workspace=sys.argv[1]).chat("hi"):
        if event.kind == "text":
            heavy = ("detect_secrets", "requests", "click", "rich", "pygments", "litellm")
            print("loaded:", [m for m in heavy if m in sys.modules])
            print("table parsed:", openai_http._model_table.cache_info().currsize)
            return
asyncio.run(main())
"""


def _error(events: Sequence[object]) -> ErrorEvent:
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1, events
    return errors[0]


def test_a_turn_with_an_openai_model_never_imports_litellm(
    model: ScriptedModel, workspace: Path
) -> None:
    model.script("hello from the server")
    done = subprocess.run([sys.executable, "-c", TURN_THEN_REPORT, str(workspace)],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "done hello from the server" in done.stdout
    assert "litellm imported: False" in done.stdout
    assert len(model.requests) == 1 and model.requests[0]["model"] == "scripted"


def test_a_cold_turn_of_a_local_model_streams_before_loading_what_it_does_not_use(
    model: ScriptedModel, workspace: Path
) -> None:
    """Up to its first delta a cold process loads no secret detector (only an error's detail
    is redacted), no httpx command line (click, rich, pygments), and does not parse litellm's
    model table for a model the table does not name."""
    runtime = Runtime(workspace=workspace)  # the memory exists (made by an earlier start)
    runtime.memory(runtime.agent())
    model.script("hello from the server")
    done = subprocess.run([sys.executable, "-c", FIRST_DELTA_THEN_REPORT, str(workspace)],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["loaded: []", "table parsed: 0"]


@pytest.mark.usefixtures("route")
@pytest.mark.parametrize("key", [None, "sk-test-0123456789"])
async def test_the_environment_key_is_sent_else_a_local_placeholder(
    runtime: Runtime, model: ScriptedModel, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key:
        monkeypatch.setenv("OPENAI_API_KEY", key)
    model.script("ok")
    events = await collect(runtime.chat("hi"))
    assert isinstance(events[-1], Done) and events[-1].text == "ok"
    headers = {name.lower(): value for name, value in model.headers[-1].items()}
    assert headers["authorization"] == f"Bearer {key or llm.LOCAL_KEY}"
    request = model.requests[-1]
    assert request["stream"] is True and request["stream_options"] == {"include_usage": True}
    assert request["tools"] and request["messages"][-1] == {"role": "user", "content": "hi"}


@pytest.mark.usefixtures("route")
async def test_a_conversation_too_long_for_the_model_says_to_compact(
    runtime: Runtime, model: ScriptedModel
) -> None:
    said = "This model's maximum context length is 8192 tokens. However, you requested 9000."
    model.script(Reply(status=400, error=said))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "context-overflow" and "memfs.compact" in error.hint
    assert said in error.message and len(model.requests) == 1


@pytest.mark.usefixtures("route")
async def test_an_openai_model_without_a_key_or_server_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    monkeypatch.setenv("MEMFS_MODEL", "openai/gpt-4o")
    monkeypatch.delenv("MEMFS_API_BASE", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    error = _error(await collect(Runtime(workspace=workspace).chat("hi")))
    assert error.code == "missing-key" and "OPENAI_API_KEY" in error.message


@pytest.mark.parametrize("name", ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/local-llama"])
def test_context_windows_match_what_litellm_reports(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    config = ModelConfig(name, None, None)
    monkeypatch.setenv("MEMFS_DIRECT_HTTP", "0")
    through_litellm = llm.context_window(config)
    monkeypatch.setenv("MEMFS_DIRECT_HTTP", "1")
    assert llm.context_window(config) == through_litellm
