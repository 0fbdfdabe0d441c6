"""What a turn sends to litellm, and the errors of a model that is missing or failing (which
model is chosen, and why, is ``agent.effective``)."""

from __future__ import annotations

from dataclasses import dataclass

from memfs.errors import MemfsError

DEFAULT_CONTEXT_WINDOW = 32_768

NO_MODEL_HINT = (
    "set MEMFS_MODEL to a litellm model string and export its API key, e.g. "
    "MEMFS_MODEL=anthropic/claude-sonnet-4-5 with ANTHROPIC_API_KEY, or "
    "MEMFS_MODEL=openai/<name> with MEMFS_API_BASE=http://127.0.0.1:8080/v1 for a local "
    "llama.cpp/vLLM server; or set 'model' in the editor's memfs settings, in "
    "$XDG_CONFIG_HOME/memfs/settings.json or with 'memfs agent model'"
)


class NoModelConfigured(MemfsError):
    code = "no-model"

    def __init__(self) -> None:
        super().__init__("no model is configured", NO_MODEL_HINT)


class ProviderError(MemfsError):
    """A model call failed in a way retrying will not fix. ``message`` leads with our words
    (``summary``), then the provider's own ``detail`` (trimmed of litellm's class names)."""

    code = "provider-error"

    def __init__(self, message: str, hint: str = "", code: str = "provider-error",
                 detail: str = "") -> None:
        super().__init__(f"{message}: {detail}" if detail else message, hint)
        self.summary = message
        self.detail = detail
        self.code = code


class TurnTimeout(ProviderError):
    """The whole turn ran past its deadline (the ``turnTimeout`` setting)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the turn took longer than its {seconds:g} s limit and was stopped",
                         "raise 'turnTimeout' in settings, or ask for a smaller step; what "
                         "arrived so far is kept", code="turn-timeout")


@dataclass(frozen=True)
class ModelConfig:
    """What a turn sends to litellm."""

    model: str
    api_base: str | None
    context_window: int | None

