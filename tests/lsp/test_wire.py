"""The wire convention: dataclass and model fields become camelCase; dict keys are data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lsp_server.wire import camel, to_wire


@dataclass
class _Inner:
    agent_id: str
    is_default: bool


@dataclass
class _Outer:
    conversation_id: str
    inner: _Inner
    tool_arguments: dict[str, Any] = field(default_factory=dict)
    where: Path = Path("/tmp/x")


class _Model(BaseModel):
    step_count: int = 2


def test_fields_become_camel_case_and_dict_keys_stay() -> None:
    value = _Outer("c1", _Inner("a", True), {"old_text": "x", "notes/foo_bar.md": 1})
    assert to_wire([value, _Model()]) == [
        {"conversationId": "c1", "inner": {"agentId": "a", "isDefault": True},
         "toolArguments": {"old_text": "x", "notes/foo_bar.md": 1}, "where": "/tmp/x"},
        {"stepCount": 2},
    ]
    assert camel("system_tokens_2") == "systemTokens2" and camel("plain") == "plain"
