"""``acplint`` (the ACP conformance linter) against the real ``memfs-acp``, with the scripted
model. acplint 0.1.0 has two defects of its own, so the checks that rest on them fail for
any agent that follows the ACP schema: they are listed here with the reason, and every
other check must pass."""

from __future__ import annotations

import os
from pathlib import Path

from acplint.report import TestStatus as Status
from acplint.runner import ConformanceRunner

from testkit.model_server import ScriptedModel
from tests.acp.conftest import AGENT

STRING_VERSION = ("acplint sends and expects protocolVersion as the string '1'; the ACP "
                  "schema and the official SDK make it an integer (1)")
CONTENT_FIELD = ("acplint sends session/prompt with 'content' where the ACP schema has "
                 "'prompt', so the agent rightly answers InvalidParams and streams nothing")
ACPLINT_DEFECTS = {
    "initialize_v1": STRING_VERSION,
    "protocol_version_returned": STRING_VERSION,
    "schema_initialize": STRING_VERSION,
    "session_update_received": CONTENT_FIELD,
    "agent_message_chunk_received": CONTENT_FIELD,
    "prompt_stop_reason": CONTENT_FIELD,
}


def test_acplint_finds_nothing_but_its_own_defects(model: ScriptedModel,
                                                   workspace: Path) -> None:
    report = ConformanceRunner([AGENT], cwd=str(workspace), env=dict(os.environ),
                               timeout=60).run_all()
    failed = {r.name: r.message for r in report.results
              if r.status in (Status.FAIL, Status.ERROR)}
    assert {name: message for name, message in failed.items()
            if name not in ACPLINT_DEFECTS} == {}
    passed = {r.name for r in report.results if r.status == Status.PASS}
    assert len(passed) >= 40  # the categories really ran
