"""Saving memory files from the editor: manual saves commit at once, auto-saves are gathered
into one commit, a refused save leaves the file as the editor wrote it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from agent.runtime import Runtime
from testkit.model_server import ScriptedModel
from tests.lsp.conftest import CLIENTS, Recorder, start

Session = tuple[LanguageClient, Recorder]
AFTER_DELAY = types.TextDocumentSaveReason.AfterDelay
FOCUS_OUT = types.TextDocumentSaveReason.FocusOut
MANUAL = types.TextDocumentSaveReason.Manual


@pytest_asyncio.fixture(params=CLIENTS)
async def editor(request: pytest.FixtureRequest, model: ScriptedModel, workspace: Path
                 ) -> AsyncIterator[tuple[LanguageClient, Recorder, Path]]:
    """A server whose memory exists, and the memory's root."""
    runtime = Runtime(workspace=workspace)
    root = runtime.memory(runtime.agent()).root
    client, recorder = await start(request.param, workspace)
    yield client, recorder, root
    await client.shutdown_session()
    await client.stop()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True).stdout


def _subjects(root: Path) -> list[str]:
    return _git(root, "log", "--format=%s").splitlines()


class Editor:
    """One open memory file, edited and saved the way an editor does it; ``save`` returns
    once the server has handled the save (it publishes the file's diagnostics, unversioned,
    after each save), so every saved state is the one on disk when the server looks."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.version = 1
        self.written = os.stat(path)
        self.saves = 0
        self.handled = 0
        self.event = asyncio.Event()
        features = client.protocol.fm.features
        record = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            if params.uri == self.uri and params.version is None:
                self.handled += 1
                self.event.set()
            record(params)

        features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = diagnostics
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="markdown",
                                                 version=1, text=path.read_text())))

    def type(self, text: str) -> None:
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri,
                                                                version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def save(self, text: str, reason: types.TextDocumentSaveReason) -> None:
        self.type(text)
        document = types.TextDocumentIdentifier(uri=self.uri)
        self.client.text_document_will_save(types.WillSaveTextDocumentParams(
            text_document=document, reason=reason))
        self.path.write_text(text)
        self.written = os.stat(self.path)
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=document))
        self.saves += 1
        while self.handled < self.saves:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), 30)

    def close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri)))


def _human(fact: str) -> str:
    return f"---\ndescription: What I know about the user\n---\n{fact}\n"


async def _committed(recorder: Recorder, path: str) -> dict[str, Any]:
    """The next commit of ``path`` from a save (its memfs/memoryChanged)."""
    return await recorder.wait_for(
        "memfs/memoryChanged",
        lambda c: c["source"] == "manual" and path in c["paths"])


def _popups(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if "not committed" in m.message]


async def test_a_refused_save_leaves_the_file_exactly_as_the_editor_wrote_it(
    editor: tuple[LanguageClient, Recorder, Path]
) -> None:
    client, _, root = editor
    human = root / "system" / "human.md"
    file = Editor(client, human)
    head = _git(root, "rev-parse", "HEAD")
    invalid = "---\ndescription: The user\ncolour: red\n---\nName: Ada.\n"
    await file.save(invalid, MANUAL)
    assert "colour" in _popups(client)[0]
    after = os.stat(human)
    assert (after.st_ino, after.st_mtime_ns) == (file.written.st_ino, file.written.st_mtime_ns)
    assert human.read_text() == invalid
    assert _git(root, "rev-parse", "HEAD") == head


async def test_auto_saves_are_one_commit_when_the_file_is_closed(
    editor: tuple[LanguageClient, Recorder, Path]
) -> None:
    client, recorder, root = editor
    before = _subjects(root)
    file = Editor(client, root / "system" / "human.md")
    await file.save(_human("Name: Ad"), AFTER_DELAY)
    await file.save("---\ndescription: What I know\ncolour: \n---\nName: Ada", AFTER_DELAY)
    shown = client.diagnostics[file.uri]  # the invalid state is a diagnostic on its line
    assert [d.range.start.line for d in shown] == [2], shown
    await file.save(_human("Name: Ada Lovelace."), FOCUS_OUT)
    assert list(client.diagnostics[file.uri]) == []
    file.close()
    changed = await _committed(recorder, "system/human.md")
    assert _subjects(root) == ["chore(manual): edit system/human.md", *before]
    assert changed["commit"] == _git(root, "rev-parse", "HEAD").strip()
    assert "Ada Lovelace" in _git(root, "show", "HEAD:system/human.md")
    assert _popups(client) == []


async def test_a_manual_save_commits_at_once_with_what_auto_save_gathered(
    editor: tuple[LanguageClient, Recorder, Path]
) -> None:
    client, recorder, root = editor
    before = _subjects(root)
    file = Editor(client, root / "system" / "human.md")
    await file.save(_human("Name: Ada."), AFTER_DELAY)
    await file.save(_human("Name: Ada. Tabs."), MANUAL)
    await _committed(recorder, "system/human.md")
    assert _subjects(root) == ["chore(manual): edit system/human.md", *before]
    assert "Tabs." in _git(root, "show", "HEAD:system/human.md")


async def test_auto_saves_are_committed_after_the_idle_delay(
    monkeypatch: pytest.MonkeyPatch, model: ScriptedModel, workspace: Path
) -> None:
    monkeypatch.setenv("MEMFS_AUTOSAVE_IDLE", "0.2")
    runtime = Runtime(workspace=workspace)
    root = runtime.memory(runtime.agent()).root
    client, recorder = await start("visual-studio-code", workspace)
    try:
        file = Editor(client, root / "system" / "human.md")
        await file.save(_human("Name: Grace."), AFTER_DELAY)
        await _committed(recorder, "system/human.md")
        assert "Grace" in _git(root, "show", "HEAD:system/human.md")
        assert _subjects(root)[0] == "chore(manual): edit system/human.md"
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_will_save_is_asked_for(model: ScriptedModel, workspace: Path) -> None:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server"])
    client = await config.start()
    assert isinstance(client, LanguageClient)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="p")]))
    sync = result.capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.will_save is True and sync.open_close is True
    await client.shutdown_session()
    await client.stop()
