"""Approval the user controls: which memory edits land at once, which are shown first, and
which the agent may not make.

The ``approval`` setting gives a policy per tier (``personal`` default ``auto``, ``project``
default ``ask``). Under ``ask`` an edit proposed during a turn is previewed (nothing written),
handed to the host's ``Approver`` with its diff, and lands only when accepted; the decision,
a rejection's reason included, goes back to the model as the tool result. "Always" is kept
in the data home per workspace and tier (``Grants``) and turns that tier's ``ask`` into
``auto`` there until ``memfs approval reset``; an explicit ``off`` is never loosened.

Hosts implement ``Approver`` (an async callable): the language server asks the editor, the
command line asks on the terminal, the ACP front door will use ``session/request_permission``.
Tools run in a worker thread, so ``ToolContext.ask`` bridges to the host's event loop.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.db import Database
from agent.settings import Approval

Tier = Literal["personal", "project"]
TIERS: tuple[Tier, ...] = ("personal", "project")
Outcome = Literal["accept", "reject", "always"]


@dataclass(frozen=True)
class ApprovalRequest:
    """A memory edit waiting for the user: ``path`` as the agent addresses it
    (``project/...`` for the project tier), ``before``/``after`` the text of the file it
    changes (None: absent), ``diff`` a unified diff of every file it changes."""

    tier: Tier
    path: str
    operation: str  # create | str_replace | insert | delete | rename | update_description ...
    reason: str
    diff: str
    before: str | None
    after: str | None
    agent_id: str = ""
    conversation_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass(frozen=True)
class Decision:
    """The user's answer: ``always`` accepts and stops asking for that tier here."""

    outcome: Outcome
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome != "reject"


Approver = Callable[[ApprovalRequest], Coroutine[Any, Any, Decision]]


class Grants:
    """The "always" answers, per workspace (real path; '' without one) and tier."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def key(workspace: Path | None) -> str:
        return str(Path(workspace).resolve()) if workspace is not None else ""

    def tiers(self, workspace: Path | None) -> list[Tier]:
        rows = self.db.query("SELECT tier FROM approval_always WHERE workspace = ? "
                             "ORDER BY tier", (self.key(workspace),))
        return [r["tier"] for r in rows if r["tier"] in TIERS]

    def grant(self, workspace: Path | None, tier: Tier) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR IGNORE INTO approval_always (workspace, tier, since) "
                         "VALUES (?, ?, ?)", (self.key(workspace), tier, time.time()))

    def reset(self, workspace: Path | None, tier: Tier | None = None) -> list[Tier]:
        """Forget "always" for ``tier`` (every tier when None); returns the tiers reset."""
        found = [t for t in self.tiers(workspace) if tier is None or t == tier]
        with self.db.write() as conn:
            conn.executemany("DELETE FROM approval_always WHERE workspace = ? AND tier = ?",
                             [(self.key(workspace), t) for t in found])
        return found


@dataclass
class ApprovalState:
    """The policies in force for one turn (or command), and how to remember "always"."""

    personal: str = "auto"
    project: str = "ask"
    always: list[Tier] = field(default_factory=list)  # tiers turned to auto by "always"
    remember: Callable[[Tier], None] | None = None

    @classmethod
    def resolve(cls, setting: Approval, always: list[Tier],
                remember: Callable[[Tier], None] | None = None) -> ApprovalState:
        """The setting, with "always" turning ``ask`` into ``auto`` (never ``off``)."""
        state = cls(setting.personal, setting.project, [], remember)
        for tier in always:
            if state.policy(tier) == "ask":
                setattr(state, tier, "auto")
                state.always.append(tier)
        return state

    def policy(self, tier: Tier) -> str:
        return str(getattr(self, tier))

    def granted(self, tier: Tier) -> None:
        """The user answered "always": no more questions for ``tier`` here."""
        if self.policy(tier) == "ask":
            setattr(self, tier, "auto")
            self.always.append(tier)
        if self.remember is not None:
            self.remember(tier)

    def for_command(self) -> ApprovalState:
        """For a command the user ran explicitly (init, doctor --fix): running it is the
        consent, so ``ask`` becomes ``auto``; ``off`` stays off."""
        personal, project = (("auto" if self.policy(t) == "ask" else self.policy(t))
                             for t in TIERS)
        return ApprovalState(personal, project, list(self.always), self.remember)


def refusal(tier: Tier) -> str:
    """Why an edit under ``ask`` cannot land when nobody can be asked."""
    return (f"{tier} memory edits need approval: run interactively or set approval.{tier} "
            "to auto")
