"""Conversation titles: after its first exchange a new conversation gets a short title, made
by the model in one small completion, else from the user's first words. A title the user gave
is never replaced, and the main conversation keeps its name (it spans every topic)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

from agent import llm
from agent.conversations import Conversations
from agent.model import ModelConfig, ProviderError
from memfs.secrets import redact

log = logging.getLogger("memfs.titles")

WORDS_LIMIT = 50  # characters of a title made from the first words
TITLE_LIMIT = 60  # characters of a title made by the model
TIMEOUT = 20.0  # seconds the model may take (nobody waits for it)
PROMPT = ("You are titling a conversation between a user and their coding agent. Reply with "
          "only a title of 2 to 6 words naming its topic: no quotes, no punctuation at the end.")
OnTitle = Callable[[str, str, str], None]  # agent id, conversation id, title
_PENDING: set[str] = set()  # conversations being titled in this process
_DECORATION = re.compile(r"^(?:title\s*:\s*)|[\"'`*#]", re.IGNORECASE)


def from_words(text: str, limit: int = WORDS_LIMIT) -> str:
    """The first words of ``text``, cut at a word boundary within ``limit`` characters."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[:limit + 1].rsplit(" ", 1)[0] if " " in words[:limit + 1] else words[:limit]
    return cut.rstrip(" ,.;:-") + "…"


def clean(answer: str) -> str:
    """A model's answer as a title: its first line, without quotes, markup or a final stop."""
    line = next((ln for ln in answer.splitlines() if ln.strip()), "")
    return from_words(_DECORATION.sub("", line).strip().rstrip(".!"), TITLE_LIMIT)


async def make(conversations: Conversations, conversation_id: str, exchange: tuple[str, str],
               config: ModelConfig | None, timeout: float = TIMEOUT) -> str | None:
    """Title a conversation waiting for one from its first ``exchange`` (user words, reply;
    ``Conversations.first_exchange``); returns the title it got, or None when it got one
    meanwhile. A model that fails or answers nothing leaves the first words (and a log line)."""
    if conversation_id in _PENDING:
        return None
    _PENDING.add(conversation_id)
    try:
        words, reply = (redact(part)[0] for part in exchange)
        title, source = "", "words"
        if config is not None and reply:
            try:
                title = clean(await llm.complete_text(config, [
                    {"role": "system", "content": PROMPT},
                    {"role": "user", "content": f"User: {words[:1500]}\n\nAgent: {reply[:1500]}"},
                ], timeout=timeout, max_retries=0))
                source = "model"
            except ProviderError as exc:
                log.warning("could not title conversation %s with the model: %s",
                            conversation_id, exc)
        if not title:
            title, source = from_words(words) or "Conversation", "words"
        changed = await asyncio.to_thread(conversations.set_made_title, conversation_id,
                                          title, source)
        return title if changed else None
    finally:
        _PENDING.discard(conversation_id)
