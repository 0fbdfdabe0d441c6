"""Printing for the CLI: JSON or text on stdout, one-line reasons on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def emit(text: str) -> None:
    """Print text, adding a final newline when it lacks one."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def fail(message: str, code: int = 1) -> int:
    """Report a refusal on stderr as one line and return the exit code."""
    sys.stderr.write("memfs: " + " ".join(message.split()) + "\n")
    return code
