"""/doctor: the lint report, and with a model and ``fix``, a conservative restructure."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.conversations import Conversations
from agent.runtime import Runtime
from agent.subagent import MEMORY_TOOLS, run_subagent
from agent.tools import ToolContext
from memfs.lint import Finding, lint
from memfs.projection import project

PREFIX = "fix(doctor):"

INSTRUCTIONS = """\
You are the memory doctor of {agent_name}. Repair the memory below conservatively, guided by
the lint findings and the token budget of system/ ({budget} tokens; now {tokens}).
- Merge duplicate or overlapping files into one; sharpen vague descriptions (a description
  says what the file is for); fix broken [[links]]; move detail out of system/ into reference
  files outside it when system/ is over budget.
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def doctor(runtime: Runtime, fix: bool = False, agent_id: str | None = None
                 ) -> DoctorReport:
    """Audit memory; with ``fix`` (needs a model), repair it with ``fix(doctor):`` commits."""
    agent = await asyncio.to_thread(runtime.agent, agent_id)
    store = await asyncio.to_thread(runtime.memory, agent)
    budget = runtime.settings.token_budget
    findings = await asyncio.to_thread(lint, store.root, budget)
    before = (await asyncio.to_thread(project, store.repo)).system_tokens
    report = DoctorReport(findings, before, before)
    if not fix:
        return report
    config = runtime.model_config(agent)
    block = (await asyncio.to_thread(project, store.repo)).text
    listing = "\n".join(str(f) for f in findings) or "(no findings)"
    ctx = ToolContext(store, Conversations(runtime.db), agent.id, None,
                      runtime.settings.tool_output_limit, commit_prefix=PREFIX,
                      tools=MEMORY_TOOLS, archive_deletes=True)
    result = await run_subagent(
        config, runtime.settings,
        INSTRUCTIONS.format(agent_name=agent.name, budget=budget, tokens=before, memory=block),
        f"Lint findings:\n{listing}", ctx)
    report.commits = [c.to_dict() for c in result.commits]
    report.summary = result.text
    report.system_tokens_after = (await asyncio.to_thread(project, store.repo)).system_tokens
    report.findings = await asyncio.to_thread(lint, store.root, budget)
    return report
