"""Typed parameters of every custom method and command, and the one parser that turns a bad
shape into InvalidParams naming the field."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams

from lsp_server.jsonish import plain

MAX_TEXT = 100_000
P = TypeVar("P", bound="Params")


class Params(BaseModel):
    """Base: camelCase on the wire, unknown fields ignored, values validated strictly; no
    text field may hold a NUL character (no name, path or message has one). Each model's
    validator is built when first used (a cold server's first chat builds one, not 21)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore",
                              strict=True, frozen=True, defer_build=True)
    workspace_uri: str | None = Field(None, max_length=4096)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


class ChatParams(Params):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    conversation_id: str | None = Field(None, max_length=200)
    work_done_token: str | int | None = None
    active_uri: str | None = Field(None, max_length=4096)  # the document the user works in
    # the client's own id for this turn, carried by its deltas (so a late delta of a turn the
    # client cancelled is never taken for the next one's); the server makes one when absent
    chat_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._:-]{1,64}$")


class ReadParams(Params):
    path: str = Field(min_length=1, max_length=1024)
    rev: str | None = Field(None, max_length=200)


class ConversationParams(Params):
    conversation_id: str = Field(min_length=1, max_length=200)


class OptionalConversationParams(Params):
    conversation_id: str | None = Field(None, max_length=200)


class NewConversationParams(Params):
    title: str | None = Field(None, max_length=500)


class AgentParams(Params):
    agent_id: str = Field(min_length=1, max_length=200)


class OptionalAgentParams(Params):
    agent_id: str | None = Field(None, max_length=200)


class CreateAgentParams(Params):
    name: str = Field(min_length=1, max_length=200)
    model: str | None = Field(None, max_length=500)


class LogParams(Params):
    path: str | None = Field(None, max_length=1024)
    limit: int = Field(50, ge=1, le=1000)


class RevertParams(Params):
    commit: str = Field(min_length=4, max_length=200)


def parse(model: type[P], raw: Any) -> P:
    """Validate ``raw`` (a request's params, or a command's argument list) as ``model``."""
    value = plain(raw)
    if isinstance(value, list):
        if len(value) > 1:
            raise JsonRpcInvalidParams(message="expected one object argument, got "
                                       f"{len(value)} arguments")
        value = value[0] if value else {}
    if value is None or value == []:  # Lua clients cannot tell an empty object from a list
        value = {}
    if not isinstance(value, dict):
        raise JsonRpcInvalidParams(message=f"expected an object, got {type(value).__name__}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "params"
        raise JsonRpcInvalidParams(message=f"invalid '{field}': {error['msg']}") from None


class InitParams(Params):
    depth: Literal["quick", "standard", "deep"] | None = None
    history: bool | None = None
    project_memory: bool | None = None


class UriParams(Params):
    uri: str = Field(min_length=1, max_length=4096)


class ResolveApprovalParams(Params):
    id: str = Field(min_length=1, max_length=200)
    decision: Literal["accept", "reject", "always"]
    reason: str | None = Field(None, max_length=MAX_TEXT)


class ApprovalParams(Params):
    reset: Literal["personal", "project", "all"] | None = None


class RememberParams(Params):
    text: str | None = Field(None, max_length=MAX_TEXT)
    conversation_id: str | None = Field(None, max_length=200)


class DoctorParams(Params):
    fix: bool = False


class SleeptimeParams(Params):
    trigger: Literal["off", "step_count", "compaction"] | None = None
    step_count: int | None = Field(None, ge=1, le=10_000)
    merge: Literal["auto", "review"] | None = None


class ReviewParams(Params):
    accept: bool | None = None


class MessagesParams(Params):
    conversation_id: str | None = Field(None, max_length=200)
    before: str | None = Field(None, min_length=1, max_length=64)
    limit: int = Field(50, ge=1, le=500)


class RenameConversationParams(Params):
    conversation_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200, pattern=r"\S")


class CommitParams(Params):
    sha: str = Field(pattern=r"^[0-9a-fA-F]{4,64}$")
    agent_id: str | None = Field(None, max_length=200)
