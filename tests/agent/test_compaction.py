"""Compaction at a tiny context window, automatic and on demand."""

from __future__ import annotations

from pathlib import Path

from agent.events import Compaction, Done
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel
from tests.agent.conftest import collect

LONG = "lorem ipsum dolor sit amet " * 45  # about 1,200 characters, 300+ tokens a message


async def test_compaction_summarises_old_messages_when_the_window_fills(
    model: ScriptedModel, workspace: Path
) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"contextWindow": 4000})
    model.summary = "SUMMARY: the user sent long lorem ipsum messages."
    model.responder = lambda request: Reply(text=LONG)
    compactions: list[Compaction] = []
    for turn in range(6):
        events = await collect(runtime.chat(f"message {turn}: {LONG}"))
        assert isinstance(events[-1], Done) and events[-1].stop_reason == "end_turn"
        compactions += [e for e in events if isinstance(e, Compaction)]
    assert compactions, "the conversation outgrew 80% of the window"
    first = compactions[0]
    assert first.tokens_before > 0.8 * 4000 and first.tokens_after <= 0.7 * 4000
    assert len(model.summary_requests) == len(compactions)
    summary_prompt = model.summary_requests[0]["messages"][1]["content"]
    assert "message 0" in summary_prompt
    conversation = runtime.conversation(runtime.agent())
    assert conversation.summary.startswith("SUMMARY:") and conversation.summary_until > 0
    sent = model.requests[-1]["messages"]
    assert sent[1]["role"] == "system" and "SUMMARY:" in sent[1]["content"]
    assert not any("message 0:" in str(m.get("content")) for m in sent[2:])
    assert sum(len(str(m.get("content") or "")) for m in sent) / 4 < 0.8 * 4000
    stored = runtime.conversations.messages(conversation.id)
    assert stored[0].body["content"].startswith("message 0"), "messages stay in the store"


async def test_compaction_on_demand(runtime: Runtime, model: ScriptedModel) -> None:
    model.summary = "SUMMARY: short chat."
    model.script("one", "two")
    await collect(runtime.chat("first"))
    await collect(runtime.chat("second"))
    event = await runtime.compact()
    assert event is not None and event.summarized_messages == 2
    conversation = runtime.conversation(runtime.agent())
    assert conversation.summary == "SUMMARY: short chat."
    model.script("three")
    await collect(runtime.chat("third"))
    sent = [(m["role"], m.get("content")) for m in model.requests[-1]["messages"][1:]]
    assert sent[0][0] == "system" and "SUMMARY: short chat." in str(sent[0][1])
    assert [s for s in sent[1:]] == [("user", "second"), ("assistant", "two"),
                                     ("user", "third")]


async def test_summary_failure_falls_back_to_a_digest(
    model: ScriptedModel, workspace: Path
) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"maxRetries": 0})
    model.script("one", "two")
    await collect(runtime.chat("first"))
    await collect(runtime.chat("second"))
    model.summary = ""
    event = await runtime.compact()
    assert event is not None
    summary = runtime.conversation(runtime.agent()).summary
    assert "model summary unavailable" in summary and "user: first" in summary
