"""/remember: one directed memory edit in the current conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator

from agent.events import Event
from agent.runtime import Runtime

PREFIX = "remember:"

WITH_TEXT = """\
/remember {text}

The user is directing you to remember this. Make exactly one memory edit for it: decide
whether it is a correction, a preference, a fact or a rule; pick the file it belongs in (or
create one with a clear description if none fits), avoid duplicating what memory already
says, and match that file's existing style. Then tell the user in one sentence where it went."""

INFERRED = """\
/remember

The user wants you to remember something from the recent conversation without saying what.
Infer the most important correction, preference, fact or rule from the last few messages and
make exactly one memory edit for it: pick the right file (or create one with a clear
description), avoid duplicates, match the file's style. Then tell the user in one sentence
what you remembered and where."""


def prompt(text: str | None) -> str:
    """The directed message sent for /remember."""
    return WITH_TEXT.format(text=text.strip()) if text and text.strip() else INFERRED


def remember(runtime: Runtime, text: str | None, conversation_id: str | None = None
             ) -> AsyncIterator[Event]:
    """Run /remember as a turn whose memory commits all start with ``remember:``."""
    return runtime.chat(prompt(text), conversation_id=conversation_id, commit_prefix=PREFIX)
