"""Saving a memory file in the editor commits it, at the pace the user means.

A manual save (``textDocument/willSave`` reason Manual, or a client that does not say) commits
at once as ``chore(manual): edit PATH``. Saves after a delay or on focus change (auto-save) are
gathered: the file is committed once, when it is closed, saved manually, or left alone for
``idle_seconds()`` (60 s; ``MEMFS_AUTOSAVE_IDLE`` changes it). While auto-saving, a state that
cannot be committed (invalid frontmatter, a secret) shows only as diagnostics; a manual save
or closing the file says why it was not committed. A refused save never rewrites the file.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features import scoped
from lsp_server.features.documents import memory_document, memory_file, publish
from memfs.errors import MemfsError, NoOpEdit

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

AUTOSAVE_IDLE = 60.0
MANUAL = types.TextDocumentSaveReason.Manual


def idle_seconds() -> float:
    """How long gathered auto-saves wait for another save before they are committed."""
    try:
        value = float(os.environ.get("MEMFS_AUTOSAVE_IDLE", AUTOSAVE_IDLE))
    except ValueError:
        return AUTOSAVE_IDLE
    return value if value > 0 else AUTOSAVE_IDLE


@dataclass
class _Document:
    """Save state of one open memory file."""

    reason: types.TextDocumentSaveReason | None = None  # of the save under way
    gathered: bool = False  # auto-saved since the last commit
    timer: asyncio.TimerHandle | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # saves of a file in order

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


_documents: dict[str, _Document] = {}


def will_save(ls: MemfsServer, params: types.WillSaveTextDocumentParams) -> None:
    """Remember why the editor is about to save."""
    _documents.setdefault(params.text_document.uri, _Document()).reason = params.reason


async def did_save(ls: MemfsServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    document = _documents.setdefault(uri, _Document())
    reason, document.reason = document.reason or MANUAL, None
    async with document.lock:  # taken before any await: saves are handled in order
        if await asyncio.to_thread(memory_file, uri) is None:
            return
        if reason == MANUAL:
            document.stop_timer()
            document.gathered = False
            await _commit(ls, uri, announce=True)
        else:
            document.gathered = True
            document.stop_timer()
            document.timer = asyncio.get_running_loop().call_later(
                idle_seconds(), lambda: ls.background(_flush(ls, uri, document)))
    await publish(ls, uri)


async def did_close(ls: MemfsServer, params: types.DidCloseTextDocumentParams) -> None:
    """Commit what auto-save gathered; clear the file's diagnostics (either tier); a closed
    active document no longer brings in scoped memory."""
    uri = params.text_document.uri
    if scoped.STATE.active == uri:
        scoped.STATE.active = None
    document = _documents.pop(uri, None)
    if document is not None:
        async with document.lock:
            document.stop_timer()
            if document.gathered:
                document.gathered = False
                await _commit(ls, uri, announce=True)
    if await asyncio.to_thread(memory_document, ls, uri) is not None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri,
                                                                            diagnostics=[]))


async def _flush(ls: MemfsServer, uri: str, document: _Document) -> None:
    """The idle delay passed: commit the gathered auto-saves (a state that cannot be
    committed waits, quietly, for the next save or the close)."""
    async with document.lock:
        document.timer = None
        if document.gathered and await _commit(ls, uri, announce=False):
            document.gathered = False


async def _commit(ls: MemfsServer, uri: str, *, announce: bool) -> bool:
    """Commit the file as it stands on disk; False when it was refused (and, with
    ``announce``, the user is told why)."""

    def commit() -> tuple[str | None, str]:
        found = memory_file(uri)
        if found is None:
            return None, ""
        store, rel = found
        try:
            return store.commit_file(rel, f"chore(manual): edit {rel}").commit, ""
        except NoOpEdit:
            return None, ""
        except MemfsError as exc:
            return None, str(exc)

    sha, problem = await asyncio.to_thread(commit)
    if sha:
        ls.own_commits[sha] = "manual"
    if problem and announce:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=f"memfs: not committed: {problem}"))
    return not problem
