"""memfs.doctor: lint findings as a report (and as diagnostics); ``fix`` repairs with a model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.commands.doctor import DoctorReport, doctor
from lsp_server.errors import guarded
from lsp_server.features.documents import publish
from lsp_server.params import DoctorParams
from lsp_server.sessions import resolve
from lsp_server.watcher import label_writes

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def run(ls: MemfsServer, *args: Any) -> DoctorReport:
    params, runtime = await resolve(ls, DoctorParams, args)
    report = await doctor(runtime, params.fix)
    for commit in report.commits:
        ls.own_commits[str(commit["commit"])] = "doctor"
    label_writes(ls, runtime.workspace, report.written, "doctor")
    for uri in list(ls.workspace.text_documents):
        await publish(ls, uri)
    return report
