"""/doctor: the lint report of both tiers (the agent's memory and the workspace's project
memory), and with a model and ``fix``, a conservative restructure: stale memory (citing files
that are gone, or expired) is updated or archived."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from agent.conversations import Conversations
from agent.runtime import Runtime
from agent.subagent import MEMORY_TOOLS, run_subagent
from agent.tools import ToolContext
from memfs.lint import Finding, lint
from memfs.project import PREFIX as TIER
from memfs.project import ProjectStore
from memfs.projection import project
from memfs.store import MemoryStore

PREFIX = "fix(doctor):"

INSTRUCTIONS = """\
You are the memory doctor of {agent_name}. Repair the memory below conservatively, guided by
the lint findings and the token budget of system/ ({budget} tokens; now {tokens}).
- Merge duplicate or overlapping files into one; sharpen vague descriptions (a description
  says what the file is for); fix broken [[links]]; move detail out of system/ into reference
  files outside it when system/ is over budget.
- Stale memory: a file citing workspace paths that no longer exist (stale-citation) is
  updated when you can find where the code went (search the workspace), else archived; an
  expired file is refreshed (and its expires moved on) when still true, else archived.
- Project memory (project/...) is shared with the team: repair it the same way, and keep
  the user's personal notes out of it.
- Never lose content: text you retire goes to archive/<topic>.md, not away.
- Never touch read_only files. Make no edit that is not needed. Give each edit a reason.
Finish with a short summary of what you changed.

# Memory
{memory}
"""


@dataclass
class DoctorReport:
    """Findings, and what a fix changed."""

    findings: list[Finding]
    system_tokens_before: int
    system_tokens_after: int
    commits: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    written: list[str] = field(default_factory=list)  # project memory files the fix wrote

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def doctor(runtime: Runtime, fix: bool = False, agent_id: str | None = None
                 ) -> DoctorReport:
    """Audit memory; with ``fix`` (needs a model), repair it with ``fix(doctor):`` commits."""
    agent = await asyncio.to_thread(runtime.agent, agent_id)
    store = await asyncio.to_thread(runtime.memory, agent)
    shared = await asyncio.to_thread(runtime.project_memory)
    budget = runtime.settings.token_budget
    findings = await asyncio.to_thread(lint_tiers, runtime, store, shared)
    before = (await asyncio.to_thread(project, store.repo)).system_tokens
    report = DoctorReport(findings, before, before)
    if not fix:
        return report
    config = runtime.model_config(agent)
    block = (await asyncio.to_thread(project, store.repo)).text
    if shared is not None:
        block += "\n" + (await asyncio.to_thread(shared.projection)).text
    listing = "\n".join(str(f) for f in findings) or "(no findings)"
    approval = (await asyncio.to_thread(runtime.approval)).for_command()
    tools = MEMORY_TOOLS + (("list_files", "search_files") if runtime.workspace else ())
    ctx = ToolContext(store, Conversations(runtime.db), agent.id, runtime.workspace,
                      runtime.settings.tool_output_limit, commit_prefix=PREFIX,
                      tools=tools, archive_deletes=True, project=shared, approval=approval)
    result = await run_subagent(
        config, runtime.settings,
        INSTRUCTIONS.format(agent_name=agent.name, budget=budget, tokens=before, memory=block),
        f"Lint findings:\n{listing}", ctx)
    report.commits = [c.to_dict() for c in result.commits]
    report.summary = result.text
    report.written = result.written
    report.system_tokens_after = (await asyncio.to_thread(project, store.repo)).system_tokens
    report.findings = await asyncio.to_thread(lint_tiers, runtime, store, shared)
    return report


def lint_tiers(runtime: Runtime, store: MemoryStore, shared: ProjectStore | None
               ) -> list[Finding]:
    """Lint findings of the agent's memory and of the project memory (its paths prefixed
    ``project/``), with the workspace's citations, globs and expiry checked."""
    budget = runtime.settings.token_budget
    shared_paths = set(shared.list_files()) if shared is not None else set()
    findings = lint(store.root, budget, workspace=runtime.workspace,
                    other_tier={TIER + p for p in shared_paths})
    if shared is not None:
        findings += [replace(f, path=TIER + f.path)
                     for f in lint(shared.root, budget, workspace=runtime.workspace,
                                   project=True)]
    return findings
