"""Token estimates: bytes / 4, rounded up (the rule Letta uses; no tokenizer needed)."""

from __future__ import annotations

DEFAULT_SYSTEM_BUDGET = 20_000  # tokens of system/ (lint warns past it)


def estimate_tokens(size_bytes: int) -> int:
    """Estimated tokens for ``size_bytes`` bytes of text."""
    return (size_bytes + 3) // 4


def estimate_text_tokens(text: str) -> int:
    """Estimated tokens of a string."""
    return estimate_tokens(len(text.encode("utf-8")))
