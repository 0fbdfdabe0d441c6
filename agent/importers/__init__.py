"""Importers for other coding agents' transcripts (Claude Code, Codex) into one shape.

``load_history`` gives /init the workspace's past sessions within a token budget;
``summarize`` tells the CLI what would be imported. Sessions are found by the working
directory recorded inside them; files are streamed line by line; every text is redacted with
``memfs.secrets.redact`` before it leaves the package. Tool results, reasoning, compaction
summaries and client-injected messages are not imported.
"""

from agent.importers.load import (
    SessionSummary,
    SourceSummary,
    claude_root,
    codex_root,
    discover,
    load_history,
    read,
    root_of,
    summarize,
    trajectory_tokens,
)
from agent.importers.model import SOURCES, Session, Source, Step, StepKind, Trajectory

__all__ = [
    "SOURCES", "Session", "SessionSummary", "Source", "SourceSummary", "Step", "StepKind",
    "Trajectory", "claude_root", "codex_root", "discover", "load_history", "read", "root_of",
    "summarize", "trajectory_tokens",
]
