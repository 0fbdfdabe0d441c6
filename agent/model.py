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
    "llama.cpp/vLLM server; or set 'model' in .memfs/settings.json, the editor's memfs settings "
    "or 'memfs agent model'"
)


class NoModelConfigured(MemfsError):
    code = "no-model"

    def __init__(self) -> None:
        super().__init__("no model is configured", NO_MODEL_HINT)


class ProviderError(MemfsError):
    """A model call failed in a way retrying will not fix."""

    code = "provider-error"

    def __init__(self, message: str, hint: str = "", code: str = "provider-error") -> None:
        super().__init__(message, hint)
        self.code = code


@dataclass(frozen=True)
class ModelConfig:
    """What a turn sends to litellm."""

    model: str
    api_base: str | None
    context_window: int | None

