"""/init: learn the project (and, if asked, the user's past Claude Code and Codex sessions) and
write memory. With a model the agent writes it; without one, honest reference files. With the
user's consent (``project_memory``) the project's essentials go into the workspace's project
memory, shared with the team; the user's own preferences and past sessions never do."""

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
from memfs import project as project_memory
from memfs.errors import InvalidArgument, NoOpEdit
from memfs.project import PREFIX as TIER
from memfs.project import ProjectStore
from memfs.projection import project
from memfs.secrets import redact
from memfs.store import FileStore, MemoryStore

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
{shared}
# Current memory
{memory}
"""

SHARED = """
This workspace has PROJECT MEMORY (paths project/...), shared with everyone on this
repository through git. Put the project essentials there instead of in your own memory: its
purpose, stack, how to build, test and run it, conventions and architecture, in about 3-6
files under project/system/ (one topic each) and detail in reference files under project/.
Keep the user's identity, preferences and working style in your own memory (system/), and
never put anything from their past sessions into project memory.
"""


@dataclass
class InitReport:
    """What /init did."""

    used_model: bool
    files: list[str] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0
    message: str = ""
    project_created: bool = False  # init created the workspace's project memory

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
    progress: Callable[[str], None] | None = None, project_memory: bool | None = None,
) -> InitReport:
    """Gather, then write memory (with the model when there is one). ``project_memory``:
    True puts the project essentials into project memory, creating it when missing (the
    user's consent); False keeps everything personal; None uses project memory when the
    workspace already has one."""
    report = progress or (lambda message: None)
    if runtime.workspace is None:
        raise InvalidArgument("/init needs a workspace (a project folder)",
                              "open the project's folder in the editor, then run init again")
    workspace = runtime.workspace
    agent = await asyncio.to_thread(runtime.agent)
    store = await asyncio.to_thread(runtime.memory, agent)
    shared, created = await asyncio.to_thread(_project_store, runtime, project_memory)
    report("reading the project")
    ctx = await asyncio.to_thread(gather, workspace, depth, runtime.report.trusted)
    digest, sessions = "", 0
    if history:
        report("reading past Claude Code and Codex sessions")
        digest, sessions = await asyncio.to_thread(history_digest, workspace, depth)
    try:
        config = runtime.model_config(agent)
    except NoModelConfigured:
        report("writing reference files")
        written = await asyncio.to_thread(write_reference_files, store, ctx, digest, sessions,
                                          shared)
        written.message = ("wrote what could be gathered without a model; configure a model "
                           "(MEMFS_MODEL) and run init again to have the agent write the rest")
        written.project_created = created
        return written
    report("writing memory")
    block = (await asyncio.to_thread(project, store.repo)).text
    if shared is not None:
        block += "\n" + (await asyncio.to_thread(shared.projection)).text
    tools = MEMORY_TOOLS + (("read_file", "list_files", "search_files") if depth != "quick"
                            else ())
    approval = (await asyncio.to_thread(runtime.approval)).for_command()
    tool_ctx = ToolContext(store, Conversations(runtime.db), agent.id, workspace,
                           runtime.settings.tool_output_limit, commit_prefix=PREFIX,
                           tools=tools, project=shared, approval=approval)
    task = redact(render(ctx))[0] + (f"\n\n# Past sessions ({sessions})\n{digest}"
                                     if digest else "")
    result = await run_subagent(
        config, runtime.settings, INSTRUCTIONS.format(
            agent_name=agent.name, folder=personal_folder(ctx.name), memory=block,
            shared=SHARED if shared is not None else ""),
        task, tool_ctx, max_steps=STEPS[depth], on_step=report)
    files = sorted({p for c in result.commits for p in c.paths} | set(result.written))
    return InitReport(True, files, [c.to_dict() for c in result.commits], sessions,
                      result.text, created)


def _project_store(runtime: Runtime, wanted: bool | None) -> tuple[ProjectStore | None, bool]:
    """The project memory init writes to (created when ``wanted`` and missing), and whether
    it was created."""
    if wanted is False or runtime.workspace is None:
        return None, False
    existing = runtime.project_memory(strict=True)
    if existing is not None or not wanted:
        return existing, False
    store, _ = project_memory.create(runtime.workspace, runtime.home)
    return store, True


def personal_folder(name: str) -> str:
    """The folder of a project's reference files in the agent's own memory (never
    ``project/``, which names the project memory tier)."""
    folder = slug(name)
    return f"{folder}-notes" if f"{folder}/" == TIER else folder


def write_reference_files(store: MemoryStore, ctx: ProjectContext, digest: str,
                          sessions: int, shared: ProjectStore | None = None) -> InitReport:
    """The no-model path: facts only, each in a reference file under ``<project>/`` (the
    overview and commands in project memory when ``shared`` is given; contributors and past
    sessions always in the agent's own)."""
    folder = personal_folder(ctx.name)
    team = TIER if shared is not None else f"{folder}/"
    # What the team shares says nothing about this machine (no absolute path).
    shown = ctx if shared is None else replace(ctx, root=Path(ctx.name))
    files: dict[str, tuple[str, str]] = {
        f"{team}overview.md": (
            f"Overview of the {ctx.name} project gathered by /init (no model)",
            render(replace(shown, status=[], commits=[], contributors=[], commands=[]))
            + "\n"),
    }
    if ctx.commands:
        files[f"{team}commands.md"] = (
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
        target: FileStore = store
        if path.startswith(TIER) and shared is not None:
            target = shared
        try:
            edit = target.write(path.removeprefix(TIER) if target is shared else path,
                                description, redact(body)[0], f"{PREFIX} record {path}")
        except NoOpEdit:
            continue
        result.files.append(path)
        if edit.commit:
            result.commits.append(edit.to_dict())
    return result
