"""Conversation titles after the first exchange (agent/titles.py), through real turns."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from agent import titles
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel
from tests.agent.conftest import collect

ASK = "Please help me move the authentication module over to signed JWT tokens this week"


def test_first_words_are_cut_at_a_word_boundary() -> None:
    assert titles.from_words("  Fix   the\nbuild  ") == "Fix the build"
    title = titles.from_words(ASK)
    assert title == "Please help me move the authentication module over…"
    assert len(title) <= titles.WORDS_LIMIT + 1
    assert titles.from_words("x" * 80) == "x" * 50 + "…"


def test_a_model_answer_is_cleaned() -> None:
    assert titles.clean('Title: "JWT tokens for auth."\nBecause...') == "JWT tokens for auth"
    assert titles.clean("**Moving auth to JWT**") == "Moving auth to JWT"
    assert titles.clean("\n\n") == ""


def _host(runtime: Runtime) -> tuple[list[asyncio.Task[Any]], list[tuple[str, str, str]]]:
    """Run the runtime as the server does: background tasks, and title notifications."""
    tasks: list[asyncio.Task[Any]] = []
    made: list[tuple[str, str, str]] = []

    def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        tasks.append(asyncio.ensure_future(coro))
        return tasks[-1]

    runtime.spawn = spawn
    runtime.on_title = lambda *title: made.append(title)
    return tasks, made


async def test_the_server_titles_a_new_conversation_with_the_model(
    runtime: Runtime, model: ScriptedModel
) -> None:
    tasks, made = _host(runtime)
    model.title = '"Auth moves to JWT."'
    model.script("Sure, let us start with the token issuer.", "Next step.")
    await collect(runtime.chat(ASK, new=True))
    await asyncio.gather(*tasks)
    conversation = runtime.conversation(runtime.agent())
    assert conversation.title == "Auth moves to JWT"
    assert made == [(runtime.agent().id, conversation.id, "Auth moves to JWT")]
    [request] = model.title_requests
    assert request["messages"][1]["content"].startswith(f"User: {ASK}")
    assert "token issuer" in request["messages"][1]["content"]
    await collect(runtime.chat("and then?"))
    await asyncio.gather(*tasks)
    assert len(model.title_requests) == 1 and len(made) == 1, "titled once"


async def test_a_failing_title_model_leaves_the_first_words(
    runtime: Runtime, model: ScriptedModel, caplog: pytest.LogCaptureFixture
) -> None:
    tasks, made = _host(runtime)
    model.title = Reply(status=500, error="overloaded")
    model.script("Sure.")
    await collect(runtime.chat(ASK, new=True))
    await asyncio.gather(*tasks)
    assert runtime.conversation(runtime.agent()).title == titles.from_words(ASK)
    assert "could not title conversation" in caplog.text


async def test_the_command_line_titles_from_the_first_words_without_a_model_call(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script("Sure.")
    await collect(runtime.chat(ASK, new=True))
    assert runtime.conversation(runtime.agent()).title == titles.from_words(ASK)
    assert model.title_requests == []


async def test_a_failed_first_turn_is_titled_from_the_words(
    runtime: Runtime, model: ScriptedModel
) -> None:
    tasks, _ = _host(runtime)
    model.script(Reply(status=401, error="bad key"))
    await collect(runtime.chat("deploy checklist", new=True))
    await asyncio.gather(*tasks)
    assert runtime.conversation(runtime.agent()).title == "deploy checklist"
    assert model.title_requests == []


async def test_user_titles_and_the_main_conversation_are_kept(
    runtime: Runtime, model: ScriptedModel
) -> None:
    tasks, made = _host(runtime)
    agent = runtime.agent()
    mine = runtime.conversations.new(agent.id, "  My   refactor ")
    assert mine.title == "My refactor"
    model.script("one", "two", "three")
    await collect(runtime.chat("hello", conversation_id=mine.id))
    main = runtime.conversations.default(agent.id)
    await collect(runtime.chat("hello", conversation_id=main.id))
    other = runtime.conversations.new(agent.id)
    renamed = runtime.conversations.rename(other.id, "Picked by me")
    await collect(runtime.chat("hello", conversation_id=other.id))
    await asyncio.gather(*tasks)
    assert runtime.conversations.get(mine.id).title == "My refactor"
    assert runtime.conversations.get(main.id).title == "Main conversation"
    assert runtime.conversations.get(other.id).title == renamed.title == "Picked by me"
    assert made == [] and model.title_requests == []
