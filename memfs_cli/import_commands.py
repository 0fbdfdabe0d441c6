"""``memfs import claude-code|codex``: what /init would import from another agent's sessions."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from agent.importers import SOURCES, SourceSummary, summarize
from memfs_cli.output import emit, emit_json
from memfs_cli.workspace import workspace_of


def _day(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "-"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _render(summary: SourceSummary) -> str:
    if not summary.sessions:
        return (f"no {summary.source} sessions for {summary.workspace} "
                f"(looked in {summary.root})")
    lines: list[str] = []
    for s in summary.sessions:
        kinds = ", ".join(f"{s.steps[k]} {k.replace('_', ' ')}"
                          for k in ("user", "assistant", "tool_call") if s.steps.get(k))
        notes = ("  [subagent]" if s.session.sidechain else "") + (
            "  [history only: transcript gone]" if not s.session.transcript else "")
        lines.append(f"{_day(s.started)}  {s.session.session_id or '(no session id)'}  "
                     f"{_plural(s.messages, 'message')}" + (f" ({kinds})" if kinds else "")
                     + notes)
    skipped = ", ".join(f"{reason} {n}" for reason, n in summary.skipped.items()) or "none"
    lines.append(f"{summary.source}: {_plural(len(summary.sessions), 'session')}, "
                 f"{_plural(summary.messages, 'message')}, {_day(summary.first)} .. "
                 f"{_day(summary.last)}; skipped lines: {skipped}")
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace) -> int:
    workspace = workspace_of(args) or Path.cwd()
    summary = summarize(args.source, workspace)
    emit_json(summary.to_dict()) if args.json else emit(_render(summary))
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``import`` command."""
    p = groups.add_parser(
        "import", help="list what /init would import from Claude Code or Codex sessions",
        description="Sessions of this workspace found in Claude Code's ($CLAUDE_CONFIG_DIR or "
        "~/.claude) or Codex's ($CODEX_HOME or ~/.codex) transcripts, matched by the working "
        "directory recorded in them: one line per session, then totals. Nothing is written.")
    p.add_argument("source", choices=SOURCES)
    p.add_argument("--workspace", help="project folder (default: the git top level of the "
                   "current folder, else the current folder)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)
