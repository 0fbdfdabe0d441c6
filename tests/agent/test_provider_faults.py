"""A misbehaving model server never looks like success, and every provider error leads with
words a person can act on, then the provider's own detail."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest
from filelock import FileLock

from agent.events import Done, ErrorEvent, TextDelta
from agent.runtime import Runtime
from testkit.model_server import Fault, Reply, ScriptedModel, ToolCall, refused_port
from tests.agent.conftest import collect

pytestmark = pytest.mark.usefixtures("route")  # every case on both routes


def _error(events: Sequence[object]) -> ErrorEvent:
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1, events
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "error", events
    return errors[0]


def _last_stored(runtime: Runtime) -> tuple[str, str, object]:
    conversation = runtime.conversations.default(runtime.agent().id)
    last = runtime.conversations.messages(conversation.id)[-1]
    return last.role, last.status, last.body.get("content")


@pytest.mark.parametrize("fault", [Fault.KILLED, Fault.NO_FINISH])
async def test_a_reply_that_ends_without_its_finish_is_an_error_and_kept_marked(
    runtime: Runtime, model: ScriptedModel, fault: Fault
) -> None:
    """A model server killed mid-stream, or a connection closed before the final event."""
    model.script(Reply(text="The answer is forty", fault=fault))
    events = await collect(runtime.chat("what is the answer?"))
    error = _error(events)
    assert error.code == "stream-interrupted"
    assert error.message.startswith("the reply from openai/scripted broke off")
    arrived = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert arrived == "The answer is forty"
    assert _last_stored(runtime) == ("assistant", "error", arrived)


@pytest.mark.parametrize(("fault", "named"), [(Fault.EMPTY_BODY, "an empty body"),
                                              (Fault.HTML_BODY, "an HTML page (text/html")])
async def test_a_200_that_is_not_a_model_reply_is_an_error_naming_what_came_back(
    runtime: Runtime, model: ScriptedModel, fault: Fault, named: str
) -> None:
    model.script(Reply(fault=fault))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "bad-response"
    assert error.message.startswith(f"the server at {model.url} answered HTTP 200 with {named}")
    assert "/v1" in error.hint
    assert _last_stored(runtime)[0] == "user", "nothing is stored as the agent's reply"


async def test_headers_then_silence_fail_after_one_read_timeout(
    model: ScriptedModel, workspace: Path
) -> None:
    """A silent server costs one requestTimeout, not one per retry."""
    runtime = Runtime(workspace=workspace,
                      editor_settings={"requestTimeout": 0.3, "maxRetries": 3})
    model.script(Reply(fault=Fault.SILENCE))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "timeout"
    assert error.message.startswith("openai/scripted sent nothing for 0.3 s (requestTimeout)")
    assert len(model.requests) == 1


async def test_keep_alive_comments_cannot_outlive_the_turn_deadline(
    model: ScriptedModel, workspace: Path
) -> None:
    """Comments reset the read timeout forever; the whole-turn deadline still ends the turn."""
    runtime = Runtime(workspace=workspace,
                      editor_settings={"turnTimeout": 0.5, "requestTimeout": 60})
    model.script(Reply(fault=Fault.KEEPALIVE))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "turn-timeout"
    assert "0.5 s limit" in error.message and "turnTimeout" in error.hint


async def test_the_deadline_also_bounds_a_tool_and_the_call_keeps_a_result(
    model: ScriptedModel, workspace: Path
) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"turnTimeout": 0.5})
    memory = runtime.memory(runtime.agent())
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/x.md", "description": "x", "content": "x\n",
        "reason": "learn: x"})]))
    held = FileLock(str(memory.repo.git_dir / "memfs-write.flock"))
    with held:
        error = _error(await collect(runtime.chat("note x")))
        assert error.code == "turn-timeout"
        role, status, content = _last_stored(runtime)
        assert (role, status) == ("tool", "interrupted")
        assert "stopped at its time limit" in str(content)


async def test_a_refused_connection_says_nothing_listens_without_retrying(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MEMFS_MODEL", "openai/scripted")
    with refused_port() as url:
        monkeypatch.setenv("MEMFS_API_BASE", url)
        with caplog.at_level(logging.WARNING, logger="memfs.llm"):
            error = _error(await collect(Runtime(workspace=workspace).chat("hi")))
    assert error.code == "connection-refused"
    assert error.message.startswith(f"nothing is listening at {url}")
    assert "start the model server" in error.hint and "apiBase" in error.hint
    assert not [r for r in caplog.records if "retry" in r.getMessage()]


@pytest.mark.parametrize(("status", "ours"), [
    (401, "the model provider refused the API key for openai/scripted"),
    (404, "the model provider does not know the model openai/scripted"),
    (400, "the model provider rejected the request to openai/scripted with HTTP 400"),
    (503, "the model provider failed with HTTP 503 (after 1 retries)"),
])
async def test_provider_errors_lead_with_our_words_then_the_detail(
    runtime: Runtime, model: ScriptedModel, status: int, ours: str
) -> None:
    said = "upstream says no (request req_42)"
    model.script(Reply(status=status, error=said), Reply(status=status, error=said))
    error = _error(await collect(runtime.chat("hi")))
    assert error.message == f"{ours}: {said}"
    assert error.hint


async def test_a_model_name_without_its_provider_says_how_to_write_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMFS_MODEL", "gpt-something")
    monkeypatch.delenv("MEMFS_API_BASE", raising=False)
    error = _error(await collect(Runtime(workspace=workspace).chat("hi")))
    assert error.code == "unknown-model"
    assert error.message.startswith("memfs cannot tell which provider serves the model "
                                    "gpt-something: ")
    assert "provider/name" in error.hint
