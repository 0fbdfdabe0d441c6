"""Printing for the CLI: JSON or text on stdout, one-line reasons on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import PurePath
from typing import Any


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (dataclasses and models with their snake_case field
    names: the CLI's JSON is its own surface, not the LSP wire)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    pydantic = sys.modules.get("pydantic")  # a model exists only once pydantic is loaded
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def emit(text: str) -> None:
    """Print text, adding a final newline when it lacks one."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def fail(message: str, code: int = 1) -> int:
    """Report a refusal on stderr as one line and return the exit code."""
    sys.stderr.write("memfs: " + " ".join(message.split()) + "\n")
    return code
