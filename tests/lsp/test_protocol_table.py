"""The README's protocol table is the clients' contract: every custom method, notification and
command the server handles or sends has its row there."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from lsp_server.server import COMMANDS, FEATURES

ROOT = Path(__file__).resolve().parents[2]


def protocol_table() -> str:
    """The rows of the README's protocol table (its header, up to the first line after it
    that is no row)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = text.split("| kind | method or command", 1)[1].splitlines()
    return "\n".join(itertools.takewhile(lambda line: line.startswith("|"), rows[1:]))


def sent_by_the_server() -> set[str]:
    """Every ``memfs/...`` method named in the server's code (what it sends and handles)."""
    names: set[str] = set()
    for path in (ROOT / "lsp_server").rglob("*.py"):
        names |= set(re.findall(r"[\"'](memfs/[A-Za-z]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def test_every_method_and_command_has_a_row() -> None:
    table = protocol_table()
    handled = {method for method, _, _ in FEATURES if method.startswith("memfs/")}
    missing = sorted(name for name in handled | sent_by_the_server() | set(COMMANDS)
                     if f"`{name}" not in table)
    assert missing == [], f"not in the README's protocol table: {missing}"
