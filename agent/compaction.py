"""Compaction: when the prompt would pass 80% of the context window, the oldest messages are
summarised (<= 400 words) until at most 70% remains. The summary is persisted with the
conversation; the messages stay in the store (and in conversation_search)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass

from agent import llm
from agent.conversations import Conversation, Conversations, StoredMessage, message_text
from agent.events import Compaction
from agent.model import ModelConfig, ProviderError, TurnTimeout
from agent.settings import Settings
from memfs.tokens import estimate_text_tokens

log = logging.getLogger("memfs.compaction")

SUMMARY_RESERVE = 700  # tokens kept free for the summary itself
SUMMARY_INSTRUCTIONS = (
    "You are compacting a conversation between a user and their coding agent. Write a summary "
    "of the transcript below for the agent itself to continue from, in at most 400 words: the "
    "user's goals, decisions made, facts and preferences learned, files and commands involved, "
    "and what is still open. Include the earlier summary's still-relevant points. Plain text, "
    "no preamble."
)


@dataclass(frozen=True)
class Budget:
    """Token sizes that decide whether and how far to compact."""

    window: int
    fixed: int  # system prompt + tool schemas

    def over(self, settings: Settings, history: int) -> bool:
        return self.fixed + history > settings.compaction_threshold * self.window

    def target(self, settings: Settings) -> int:
        return int(settings.compaction_target * self.window) - self.fixed - SUMMARY_RESERVE


def history_tokens(conversation: Conversation, messages: list[StoredMessage]) -> int:
    """Estimated tokens of the summary plus the recent messages."""
    return estimate_text_tokens(conversation.summary) + sum(m.tokens for m in messages)


def choose_cut(messages: list[StoredMessage], keep_budget: int) -> int:
    """How many of the oldest messages to summarise so the rest fit ``keep_budget``; the kept
    part starts at a user message and always includes the newest one."""
    user_starts = [i for i, m in enumerate(messages) if m.role == "user"]
    if len(user_starts) < 2:
        return 0
    kept = sum(m.tokens for m in messages)
    cut = 0
    for start in user_starts[1:]:
        kept -= sum(m.tokens for m in messages[cut:start])
        cut = start
        if kept <= keep_budget:
            break
    return cut


def transcript(messages: list[StoredMessage], per_message: int = 2000) -> str:
    """Plain-text rendering of messages for the summariser."""
    lines = []
    for m in messages:
        text = message_text(m.body) or json.dumps(m.body.get("content", ""))[:200]
        if len(text) > per_message:
            text = text[:per_message] + " ...(cut)"
        lines.append(f"{m.role}: {text}")
    return "\n".join(lines)


def fallback_summary(previous: str, messages: list[StoredMessage]) -> str:
    """A deterministic digest used when the model cannot summarise."""
    firsts = [f"- {m.role}: {message_text(m.body).splitlines()[0][:160]}"
              for m in messages if m.role in ("user", "assistant") and message_text(m.body)]
    head = previous + "\n" if previous else ""
    return head + "Earlier messages (model summary unavailable):\n" + "\n".join(firsts[-40:])


async def compact(
    conversations: Conversations, conversation: Conversation, messages: list[StoredMessage],
    budget: Budget, settings: Settings, config: ModelConfig, *, force: bool = False,
    deadline: llm.Deadline | None = None,
) -> Compaction | None:
    """Summarise the oldest messages; None when nothing needs (or can be) compacted.
    A summary the model cannot give falls back to a plain digest, except at the turn's
    deadline (TurnTimeout propagates)."""
    before = budget.fixed + history_tokens(conversation, messages)
    keep = max(budget.target(settings), 0)
    cut = choose_cut(messages, keep) if not force else choose_cut(messages, 0)
    if cut == 0:
        return None
    dropped = messages[:cut]
    prompt = transcript(dropped)
    if conversation.summary:
        prompt = f"Earlier summary:\n{conversation.summary}\n\nTranscript:\n{prompt}"
    try:
        summary = await llm.complete_text(
            config, [{"role": "system", "content": SUMMARY_INSTRUCTIONS},
                     {"role": "user", "content": prompt}],
            timeout=settings.request_timeout, max_retries=settings.max_retries,
            deadline=deadline)
    except TurnTimeout:
        raise
    except ProviderError as exc:
        log.warning("summary failed (%s); using a plain digest", exc)
        summary = ""
    if not summary.strip():
        summary = fallback_summary(conversation.summary, dropped)
    await asyncio.to_thread(conversations.set_summary, conversation.id, summary.strip(),
                            dropped[-1].id)
    after = budget.fixed + estimate_text_tokens(summary) + sum(m.tokens for m in messages[cut:])
    event = Compaction(summarized_messages=len(dropped), tokens_before=before, tokens_after=after)
    await asyncio.to_thread(conversations.add_event, conversation.id, "compaction",
                            {**asdict(event), "until": dropped[-1].id})
    return event
