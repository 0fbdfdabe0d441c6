"""conversation_search through the turn loop: real SQLite, litellm over HTTP to the scripted
model, which calls the tool; the assertions read what the model was given back."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.conversations import Conversation, message_text
from agent.db import MIGRATIONS, Database, db_path
from agent.events import ToolCallFinished
from agent.runtime import Runtime
from memfs.home import DEFAULT_AGENT_ID
from memfs.tokens import estimate_text_tokens
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect


def say(runtime: Runtime, conversation: Conversation, role: str, text: str,
        when: str | None = None) -> int:
    """Store one message (dated ``when``, YYYY-MM-DD, when given); returns its id."""
    stored = runtime.conversations.add_message(conversation, {"role": role, "content": text})
    if when is not None:
        stamp = datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp()
        with runtime.db.write() as conn:
            conn.execute("UPDATE messages SET created = ? WHERE id = ?", (stamp, stored.id))
    return stored.id


def bulk(db: Database, conversation: Conversation, texts: list[str]) -> None:
    """Many messages in one transaction, written as add_message writes them."""
    now = time.time()
    with db.write() as conn:
        conn.executemany(
            "INSERT INTO messages (conversation_id, agent_id, role, body, text, tokens, status, "
            "created) VALUES (?, ?, ?, ?, ?, ?, 'complete', ?)",
            [(conversation.id, conversation.agent_id, "assistant",
              json.dumps({"role": "assistant", "content": t}),
              message_text({"role": "assistant", "content": t}), estimate_text_tokens(t),
              now + i) for i, t in enumerate(texts)])


async def search(runtime: Runtime, model: ScriptedModel, conversation_id: str | None = None,
                 agent_id: str | None = None, **args: Any) -> ToolCallFinished:
    """One turn whose model calls conversation_search with ``args``; the tool's result."""
    model.script(Reply(tool_calls=[ToolCall("conversation_search", args)]), "ok")
    events = await collect(runtime.chat("look it up", conversation_id=conversation_id,
                                        agent_id=agent_id, new=conversation_id is None))
    return next(e for e in events if isinstance(e, ToolCallFinished))


def hits(output: str) -> list[str]:
    """The hit lines ('>') of a result."""
    return [line for line in output.splitlines() if line.startswith(" > ")]


async def test_natural_question_finds_a_message_holding_only_some_of_its_words(
    runtime: Runtime, model: ScriptedModel
) -> None:
    agent = runtime.agent()
    old = runtime.conversations.new(agent.id, "Upload service design")
    say(runtime, old, "user", "Let's retry failed uploads three times with exponential "
                              "backoff, then give up.")
    say(runtime, old, "assistant", "Agreed: three attempts with backoff.")
    say(runtime, old, "user", "The weather is nice today.")
    result = await search(runtime, model,
                          query="What did we decide about retrying failed uploads?")
    assert result.ok
    assert len(hits(result.output)) >= 1
    assert "**retry** **failed** **uploads**" in hits(result.output)[0]
    assert "weather" not in "\n".join(hits(result.output))
    again = await search(runtime, model, query="retrying failed uploads")
    assert "conversation_search" not in again.output  # past searches are not hits


async def test_inflections_match_through_stemming(runtime: Runtime,
                                                   model: ScriptedModel) -> None:
    agent = runtime.agent()
    old = runtime.conversations.new(agent.id, "Groups")
    say(runtime, old, "user", "The importer supports nested groups of settings.")
    say(runtime, old, "user", "We retried the uploads twice yesterday.")
    result = await search(runtime, model, query="support group")
    assert "**supports** nested **groups**" in result.output
    result = await search(runtime, model, query="retrying upload")
    assert "**retried** the **uploads**" in result.output


async def test_operators_and_punctuation_never_break_or_change_a_query(
    runtime: Runtime, model: ScriptedModel
) -> None:
    agent = runtime.agent()
    old = runtime.conversations.new(agent.id, "Code talk")
    texts = {
        "cpp": "The engine is built with C++20 and clang.",
        "csharp": "The admin tool is written in C#.",
        "c": "Plain C for the firmware, option c in the menu.",
        "node": "Pin node.js to 18 in CI.",
        "snake": "The foo_bar helper paginates results.",
        "path": "The flaky test lives in src/agent/loop.py near the retry code.",
        "code": "Error E1234 means the token expired; ERR_UPLOAD_DENIED is a quota problem.",
        "issue": "Fixed in #482 last week.",
        "and": "We support one group per user.",
        "only": "We support many users.",
    }
    for text in texts.values():
        say(runtime, old, "user", text)

    async def found(query: str) -> str:
        result = await search(runtime, model, query=query)
        assert result.ok, result.output
        return "\n".join(hits(result.output))

    assert "C++20" in await found("C++*")
    cpp = await found("C++")
    assert "C#" not in cpp and "firmware" not in cpp
    assert "**C#**" in await found("C#")
    assert "node.js" in await found("node.js")
    assert "foo_bar" in await found("foo_bar")
    assert "loop.py" in await found("src/agent/loop.py")
    assert "E1234" in await found("E1234")
    assert "quota" in await found("ERR_UPLOAD_DENIED")
    assert "#482" in await found("issue 482")
    both = await found("support AND group")
    assert "per user" in both and "many users" not in both
    assert "many users" in await found("support NOT group")
    for odd in ('"unbalanced quote', "(parens) OR", "a:b col:umn", "NEAR(x y)", "*", "^start",
                "retry -- --", "'; DROP TABLE messages; --", "what? why!"):
        result = await search(runtime, model, query=odd)
        assert result.ok or "empty search query" in result.output, (odd, result.output)
    assert "per user" in await found('"one group"')
    assert "many users" not in await found('"one group" quota')


async def test_hits_show_date_title_role_marked_excerpt_and_context_grouped(
    runtime: Runtime, model: ScriptedModel
) -> None:
    agent = runtime.agent()
    old = runtime.conversations.new(agent.id, "Staging setup")
    say(runtime, old, "user", "What should we call the staging database?", "2025-03-14")
    say(runtime, old, "assistant", "How about heliotrope for the staging database?",
        "2025-03-14")
    say(runtime, old, "user", "Yes, heliotrope it is, the staging database.", "2025-03-14")
    say(runtime, old, "assistant", "Done, heliotrope is created.", "2025-03-14")
    say(runtime, old, "user", "Now something else entirely.", "2025-03-14")
    result = await search(runtime, model, query="staging database heliotrope")
    out = result.output
    assert out.count("conversation \"Staging setup\"") == 1  # one exchange, not four hits
    assert "1. 2025-03-14, conversation \"Staging setup\"" in out
    lines = out.splitlines()
    assert any(line.startswith(" > [") and "] user: " in line and "**heliotrope**" in line
               for line in lines)
    assert any(line.startswith(" > [") and "] assistant: " in line for line in lines)
    assert lines[-1].startswith("   [") and "Now something else entirely." in lines[-1]


async def test_date_role_and_conversation_filters(runtime: Runtime,
                                                  model: ScriptedModel) -> None:
    agent = runtime.agent()
    march = runtime.conversations.new(agent.id, "March")
    june = runtime.conversations.new(agent.id, "June")
    say(runtime, march, "user", "Deploy the billing worker on Mondays.", "2025-03-03")
    say(runtime, june, "user", "Deploy the billing worker on Fridays now.", "2025-06-06")
    say(runtime, june, "assistant", "Noted, billing worker deploys move to Friday.",
        "2025-06-06")
    later = await search(runtime, model, query="billing worker deploy",
                         start_date="2025-06-01")
    assert "Fridays" in later.output and "Mondays" not in later.output
    earlier = await search(runtime, model, query="billing worker deploy",
                           end_date="2025-03-03")
    assert "Mondays" in earlier.output and "Fridays" not in earlier.output
    user_only = await search(runtime, model, query="billing worker deploy", role="assistant")
    assert [line for line in hits(user_only.output) if "] user: " in line] == []
    assert hits(user_only.output)
    only_march = await search(runtime, model, query="billing worker deploy",
                              conversation=march.id)
    assert "Mondays" in only_march.output and "Fridays" not in only_march.output
    bad = await search(runtime, model, query="billing", start_date="last week")
    assert not bad.ok and "start_date" in bad.output
    unknown = await search(runtime, model, query="billing", conversation="conv-nope")
    assert not unknown.ok and "conversation" in unknown.output
    schema = next(t for t in model.requests[0]["tools"]
                  if t["function"]["name"] == "conversation_search")["function"]["parameters"]
    assert {"start_date", "end_date", "role", "conversation"} <= set(schema["properties"])


async def test_another_agents_many_newer_matches_never_crowd_out_this_agents_hit(
    runtime: Runtime, model: ScriptedModel
) -> None:
    mine = runtime.agent()
    other = runtime.agents.create("Other")
    old = runtime.conversations.new(mine.id, "Names")
    say(runtime, old, "user", "The staging database is called heliotrope.")
    bulk(runtime.db, runtime.conversations.default(other.id),
         [f"heliotrope heliotrope note {i}" for i in range(2100)])
    result = await search(runtime, model, query="heliotrope")
    assert "staging database is called **heliotrope**" in result.output
    assert "note" not in result.output
    theirs = await search(runtime, model, agent_id=other.id, query="staging database")
    assert "no past messages match" in theirs.output


async def test_the_conversation_window_in_context_is_not_searched(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script("Noted: the cache lives in Redis.")
    await collect(runtime.chat("Remember that the session cache lives in Redis."))
    conversation = runtime.conversations.default(runtime.agent().id)
    same = await search(runtime, model, conversation_id=conversation.id,
                        query="session cache Redis")
    assert "no past messages match" in same.output
    assert "not searched" in same.output
    other = await search(runtime, model, query="session cache Redis")
    assert "**session** **cache** lives in **Redis**" in other.output
    newest = runtime.conversations.messages(conversation.id)[-1].id
    runtime.conversations.set_summary(conversation.id, "Earlier: cache talk.", newest)
    after = await search(runtime, model, conversation_id=conversation.id,
                         query="session cache Redis")
    assert "**session** **cache** lives in **Redis**" in after.output


async def test_a_database_of_the_previous_schema_is_migrated_and_searchable(
    model: ScriptedModel, workspace: Path
) -> None:
    path = db_path()
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    now = time.time()
    conn.execute("INSERT INTO agents (id, name, created, last_used) VALUES "
                 "(?, 'Memory Agent', ?, ?)", (DEFAULT_AGENT_ID, now, now))
    conn.execute("INSERT INTO conversations (id, agent_id, title, is_default, created, updated)"
                 " VALUES ('conv-old', ?, 'Old talk', 0, ?, ?)", (DEFAULT_AGENT_ID, now, now))
    body = {"role": "user", "content": "We always deployed on Tuesdays."}
    conn.execute("INSERT INTO messages (conversation_id, agent_id, role, body, text, created) "
                 "VALUES ('conv-old', ?, 'user', ?, ?, ?)",
                 (DEFAULT_AGENT_ID, json.dumps(body), body["content"], now))
    conn.commit()
    conn.close()
    runtime = Runtime(workspace=workspace, editor_settings={"maxRetries": 1})
    assert runtime.agent().id == DEFAULT_AGENT_ID
    result = await search(runtime, model, query="when do we deploy")
    assert "We always **deployed** on Tuesdays." in result.output
    assert "Old talk" in result.output
