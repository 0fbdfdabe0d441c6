"""/init: learn the project (and, if asked, the user's past Claude Code and Codex sessions) and
write memory. With a model the agent writes it; without one, honest reference files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from agent.commands.gather import ProjectContext, gather, render, slug
from agent.conversations import Conversations
from agent.model import NoModelConfigured
from agent.runtime import Runtime
from agent.subagent import MEMORY_TOOLS, run_subagent
from agent.tools import ToolContext
from memfs.errors import InvalidArgument, NoOpEdit
from memfs.projection import project
from memfs.secrets import redact
from memfs.store import MemoryStore

Depth = Literal["quick", "standard", "deep"]
PREFIX = "feat(init):"
HISTORY_TOKENS = {"quick": 8_000, "standard": 24_000, "deep": 60_000}
STEPS = {"quick": 15, "standard": 25, "deep": 40}

INSTRUCTIONS = """\
You are {agent_name}, initialising your own memory for a user and their project. Durable
identity, preferences and project structure matter most. Using the memory tools, write:
- about 6-10 files under system/ (always in your prompt, so small and high-value): who you
  are for this user (system/persona.md), the user (system/human.md: name, role, working
  style, preferences you can infer), and the project essentials (purpose, stack, how to build,
  test and run it, conventions), one topic per file;
- reference files outside system/ for detail, in a folder named after the project
  ({folder}/), e.g. {folder}/architecture.md, {folder}/commands.md;
- descriptions that state each file's purpose.
If memory already has files for this, update them instead of creating duplicates. Never store
secrets. Give every edit a short reason. Finish with a summary of what you wrote.

# Current memory
{memory}
"""


@dataclass
class InitReport:
    """What /init did."""

    used_model: bool
    files: list[str] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def history_digest(workspace: Path, depth: Depth) -> tuple[str, int]:
    """Past Claude Code and Codex sessions of this workspace, newest first, within the
    depth's token budget (secrets already redacted by the importers)."""
    from agent.importers import load_history

    trajectories = load_history(workspace, HISTORY_TOKENS[depth])
    blocks = []
    for t in trajectories:
        span = " - ".join(f"{d:%Y-%m-%d %H:%M}" for d in (t.started, t.ended) if d is not None)
        lines = [f"## {t.source} session {t.session_id} ({span or 'undated'})"
                 + (" [subagent]" if t.sidechain else "")]
        for step in t.steps:
            label = f"tool {step.tool_name}" if step.kind == "tool_call" else step.kind
            lines.append(f"- {label}: {step.text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks), len(trajectories)


async def init(
    runtime: Runtime, depth: Depth = "standard", history: bool = True,
    progress: Callable[[str], None] | None = None,
) -> InitReport:
    """Gather, then write memory (with the model when there is one)."""
    report = progress or (lambda message: None)
    if runtime.workspace is None:
        raise InvalidArgument("/init needs a workspace (a project folder)",
                              "open the project's folder in the editor, then run init again")
    workspace = runtime.workspace
    agent = await asyncio.to_thread(runtime.agent)
    store = await asyncio.to_thread(runtime.memory, agent)
    report("reading the project")
    ctx = await asyncio.to_thread(gather, workspace, depth)
    digest, sessions = "", 0
    if history:
        report("reading past Claude Code and Codex sessions")
        digest, sessions = await asyncio.to_thread(history_digest, workspace, depth)
    try:
        config = runtime.model_config(agent)
    except NoModelConfigured:
        report("writing reference files")
        written = await asyncio.to_thread(write_reference_files, store, ctx, digest, sessions)
        written.message = ("wrote what could be gathered without a model; configure a model "
                           "(MEMFS_MODEL) and run init again to have the agent write the rest")
        return written
    report("writing memory")
    block = (await asyncio.to_thread(project, store.repo)).text
    tools = MEMORY_TOOLS + (("read_file", "list_files", "search_files") if depth != "quick"
                            else ())
    tool_ctx = ToolContext(store, Conversations(runtime.db), agent.id, workspace,
                           runtime.settings.tool_output_limit, commit_prefix=PREFIX,
                           tools=tools)
    task = redact(render(ctx))[0] + (f"\n\n# Past sessions ({sessions})\n{digest}"
                                     if digest else "")
    result = await run_subagent(
        config, runtime.settings, INSTRUCTIONS.format(agent_name=agent.name,
                                                      folder=slug(ctx.name), memory=block),
        task, tool_ctx, max_steps=STEPS[depth], on_step=report)
    files = sorted({p for c in result.commits for p in c.paths})
    return InitReport(True, files, [c.to_dict() for c in result.commits], sessions,
                      result.text)


def write_reference_files(store: MemoryStore, ctx: ProjectContext, digest: str,
                          sessions: int) -> InitReport:
    """The no-model path: facts only, each in a reference file under ``<project>/``."""
    folder = slug(ctx.name)
    files: dict[str, tuple[str, str]] = {
        f"{folder}/overview.md": (
            f"Overview of the {ctx.name} project gathered by /init (no model)",
            render(replace(ctx, status=[], commits=[], contributors=[], commands=[])) + "\n"),
    }
    if ctx.commands:
        files[f"{folder}/commands.md"] = (
            f"Build, test and run commands found in {ctx.name}",
            "\n".join(f"- `{c}`" for c in ctx.commands) + "\n")
    if ctx.contributors:
        files[f"{folder}/contributors.md"] = (
            f"Who works on {ctx.name} (git shortlog)", "\n".join(ctx.contributors) + "\n")
    if digest:
        files[f"{folder}/past-sessions.md"] = (
            f"Digest of {sessions} past Claude Code / Codex sessions in {ctx.name}",
            digest + "\n")
    result = InitReport(used_model=False, sessions=sessions)
    for path, (description, body) in files.items():
        try:
            edit = store.write(path, description, redact(body)[0], f"{PREFIX} record {path}")
        except NoOpEdit:
            continue
        result.files.append(path)
        result.commits.append(edit.to_dict())
    return result
