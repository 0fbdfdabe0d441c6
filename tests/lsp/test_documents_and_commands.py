"""Memory files in the editor, commands, bad params and a fuzz of every method."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from agent.runtime import Runtime
from lsp_server.server import COMMANDS
from memfs.store import MemoryStore
from testkit.model_server import ScriptedModel
from tests.lsp.conftest import Recorder, command, request, start

Session = tuple[LanguageClient, Recorder]
MEMFS = str(Path(sys.executable).parent / "memfs")


async def _memory_root(client: LanguageClient) -> Path:
    return Path((await request(client, "memfs/tree", {}))["root"])


def _open(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="markdown", version=version,
                                             text=text)))
    return uri


async def _diagnostics(client: LanguageClient, uri: str, predicate: Any) -> list[Any]:
    """The diagnostics of ``uri`` once they match (published by the server in the background;
    the bound only stops a hung test)."""
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        found = client.diagnostics.get(uri)
        if found is not None and predicate(found):
            return list(found)
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics never matched: {client.diagnostics.get(uri)}")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


async def test_diagnostics_on_open_and_change(lsp: Session) -> None:
    client, _ = lsp
    root = await _memory_root(client)
    uri = _open(client, root / "notes.md", "---\ndescription: d\ncolour: red\n---\nbody\n")
    found = await _diagnostics(client, uri, lambda d: len(d) > 0)
    assert found[0].code == "unknown-key" and found[0].severity == types.DiagnosticSeverity.Error
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text="---\ndescription: d\n---\nsee [[nowhere]]\n")]))
    found = await _diagnostics(client, uri, lambda d: any(x.code == "broken-link" for x in d))
    assert found[0].range.start.line == 3


async def test_each_frontmatter_problem_is_on_its_own_line_with_the_reason(
    lsp: Session
) -> None:
    client, _ = lsp
    root = await _memory_root(client)
    text = ("---\ndescription: ''\ncolour: red\nread_only: true\nsize: 3\n---\nbody\n")
    uri = _open(client, root / "notes" / "many.md", text)
    found = await _diagnostics(client, uri, lambda d: len(d) >= 3)
    lines = {(d.code, d.range.start.line, d.range.end.line) for d in found}
    assert lines == {("missing-description", 1, 1), ("unknown-key", 2, 2),
                     ("unknown-key", 4, 4)}
    assert any("'size'" in d.message and "allowed keys" in d.message for d in found)
    bad_yaml = _open(client, root / "notes" / "yaml.md",
                     "---\ndescription: a\nnote: x: y\n---\nbody\n")
    found = await _diagnostics(client, bad_yaml, lambda d: len(d) > 0)
    assert found[0].range.start.line == 2 and "not allowed" in found[0].message
    unclosed = _open(client, root / "notes" / "open.md", "---\ndescription: half typed\n")
    found = await _diagnostics(client, unclosed, lambda d: len(d) > 0)
    assert "starts with '---' but is never closed" in found[0].message
    assert "no YAML frontmatter" not in found[0].message


async def test_completion_on_an_empty_frontmatter_line_offers_description_first(
    lsp: Session
) -> None:
    client, _ = lsp
    root = await _memory_root(client)
    for text, line in (("---\n\n---\nbody\n", 1), ("---\n", 1), ("---\n\n", 1),
                       ("---\nlimit: 5\n\n---\n", 2)):
        uri = _open(client, root / "notes" / f"new{len(text)}.md", text)
        answer = await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=0)))
        assert answer is not None, text
        items = answer.items if hasattr(answer, "items") else answer
        ordered = sorted(items, key=lambda i: i.sort_text or i.label)
        assert ordered[0].label == "description" and ordered[0].insert_text == "description: "
        assert ("limit" in [i.label for i in items]) is ("limit" not in text)


async def test_completion_and_hover(lsp: Session) -> None:
    client, _ = lsp
    root = await _memory_root(client)
    text = "---\ndescription: d\n\n---\nsee [[sys\nand [[system/human]] here\n"
    uri = _open(client, root / "links.md", text)
    keys = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=2, character=0)))
    assert keys is not None
    labels = {i.label for i in (keys.items if hasattr(keys, "items") else keys)}
    assert labels == {"read_only", "limit", "paths", "expires"}
    links = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=4, character=9)))
    assert links is not None
    labels = {i.label for i in (links.items if hasattr(links, "items") else links)}
    assert {"system/human", "system/persona"} <= labels
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=5, character=8)))
    assert hover is not None
    assert "What I know about the user" in str(hover.contents)


async def test_save_commits_a_valid_file_and_not_an_invalid_one(lsp: Session) -> None:
    client, recorder = lsp
    root = await _memory_root(client)
    human = root / "system" / "human.md"
    text = human.read_text().replace("Nothing recorded about the user yet.", "Name: Ada.")
    human.write_text(text)
    uri = _open(client, human, text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    changed = await recorder.wait_for(
        "memfs/memoryChanged",
        lambda c: "system/human.md" in c["paths"] and c["source"] != "created")
    assert changed["source"] == "manual"
    assert _git(root, "log", "-1", "--format=%s").strip() == "chore(manual): edit system/human.md"
    head = _git(root, "rev-parse", "HEAD")
    bad = root / "system" / "broken.md"
    bad.write_text("no frontmatter\n")
    bad_uri = _open(client, bad, "no frontmatter\n")
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=bad_uri)))
    await _diagnostics(client, bad_uri, lambda d: any(x.code == "invalid-frontmatter"
                                                      for x in d))
    deadline = asyncio.get_running_loop().time() + 60  # stops a hung test only
    while not any("not committed" in m.message for m in client.messages):
        assert asyncio.get_running_loop().time() < deadline, client.messages
        await asyncio.sleep(0.05)
    assert _git(root, "rev-parse", "HEAD") == head


async def test_memory_changed_after_another_process_edits(lsp: Session) -> None:
    client, recorder = lsp
    await _memory_root(client)
    done = subprocess.run([MEMFS, "memory", "write", "notes/outside", "--description",
                           "Outside", "--reason", "cli edit"], input="from the CLI\n",
                          capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 0, done.stderr
    changed = await recorder.wait_for(
        "memfs/memoryChanged",
        lambda c: "notes/outside.md" in c["paths"] and c["source"] != "created")
    assert changed["source"] == "external" and changed["tier"] == "personal"


@pytest.mark.parametrize("existing", [False, True], ids=["fresh-memory", "existing-memory"])
async def test_a_commit_made_right_after_an_answer_is_announced(
    model: ScriptedModel, workspace: Path, existing: bool
) -> None:
    """The watcher's baseline is taken before the first request is answered (not whenever
    the editor gets round to answering workspace/configuration), so a commit made the moment
    after is always seen, as a change of its own."""
    if existing:
        Runtime(workspace=workspace).memory(Runtime(workspace=workspace).agent())
    answer_configuration = asyncio.Event()
    client, recorder = await start("neovim", workspace, hold_configuration=answer_configuration)
    try:
        root = await _memory_root(client)
        edit = MemoryStore.open(root.parent.name).create(
            "notes/quick.md", "Quick", "made at once\n", "quick edit")
        answer_configuration.set()
        changed = await recorder.wait_for("memfs/memoryChanged",
                                          lambda c: c["commit"] == edit.commit)
        assert changed["paths"] == ["notes/quick.md"] and changed["source"] == "external"
    finally:
        answer_configuration.set()
        await client.shutdown_session()
        await client.stop()


async def test_commands_do_what_they_say(lsp: Session, model: ScriptedModel,
                                         workspace: Path) -> None:
    client, _ = lsp
    created = await command(client, "memfs.createAgent", {"name": "Work"})
    switched = await command(client, "memfs.switchAgent", {"agentId": created["id"]})
    assert switched["agent"]["id"] == created["id"]
    agents = await command(client, "memfs.listAgents", {})
    assert agents["current"] == created["id"]
    new = await command(client, "memfs.newConversation", {"title": "spike"})
    listed = await command(client, "memfs.listConversations", {})
    assert listed["current"] == new["id"] and listed["conversations"][0]["title"] == "spike"
    main = [c for c in listed["conversations"] if c["isDefault"]][0]
    assert (await command(client, "memfs.switchConversation",
                          {"conversationId": main["id"]}))["id"] == main["id"]
    status = await command(client, "memfs.memoryStatus", {})
    assert status["agent"]["id"] == created["id"] and status["memory"]["tokenBudget"] > 0
    log = await command(client, "memfs.memoryLog", {"limit": 5})
    assert log["commits"][0]["message"] == "chore: initialize memory"
    assert (await command(client, "memfs.lint", {}))["findings"] == []
    model.script("one", "two")
    await request(client, "memfs/chat", {"text": "first"})
    await request(client, "memfs/chat", {"text": "second"})
    compacted = await command(client, "memfs.compact", {})
    assert compacted["compacted"] is True
    read = await request(client, "memfs/read", {"path": "system/persona"})
    assert read["path"] == "system/persona.md" and "description:" in read["text"]


BAD_PARAMS = {
    "memfs.switchConversation": ({}, "conversationId"),
    "memfs.switchAgent": ({"agentId": 42}, "agentId"),
    "memfs.createAgent": ({"name": ""}, "name"),
    "memfs.memoryLog": ({"limit": "ten"}, "limit"),
    "memfs.revert": ({}, "commit"),
    "memfs.newConversation": ({"title": ["x"]}, "title"),
    "memfs.listConversations": ({"agentId": {"a": 1}}, "agentId"),
    "memfs.renameConversation": ({"conversationId": "conv-1", "title": 3}, "title"),
    "memfs.listAgents": ({"workspaceUri": 7}, "workspaceUri"),
    "memfs.memoryStatus": ({"workspaceUri": False}, "workspaceUri"),
    "memfs.compact": ({"conversationId": 1.5}, "conversationId"),
    "memfs.lint": ({"workspaceUri": []}, "workspaceUri"),
    "memfs.init": ({"depth": "huge"}, "depth"),
    "memfs.remember": ({"text": 5}, "text"),
    "memfs.doctor": ({"fix": "yes"}, "fix"),
    "memfs.sleeptime": ({"stepCount": 0}, "stepCount"),
    "memfs.reflect": ({"conversationId": 3}, "conversationId"),
    "memfs.reviewReflection": ({"accept": "maybe"}, "accept"),
    "memfs.initProjectMemory": ({"workspaceUri": 1}, "workspaceUri"),
    "memfs.openScopedMemories": ({}, "uri"),
    "memfs.approval": ({"reset": "everything"}, "reset"),
    "memfs.resolveApproval": ({"id": "x", "decision": "maybe"}, "decision"),
}


async def test_each_command_names_the_bad_field(lsp: Session) -> None:
    client, _ = lsp
    assert set(BAD_PARAMS) == set(COMMANDS)
    for name, (argument, field) in BAD_PARAMS.items():
        with pytest.raises(JsonRpcException) as caught:
            await command(client, name, argument)
        assert caught.value.code == JsonRpcInvalidParams.CODE, name
        assert field in str(caught.value), (name, str(caught.value))
    with pytest.raises(JsonRpcException) as caught:
        await command(client, "memfs.noSuchThing", {})
    assert caught.value.code == JsonRpcInvalidParams.CODE
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "memfs/noSuchMethod", {})
    assert caught.value.code == -32601
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "memfs/chat", {"text": "x" * 100_001})
    assert "text" in str(caught.value)
    with pytest.raises(JsonRpcException) as caught:
        await request(client, "memfs/read", {"path": "../../etc/passwd"})
    assert caught.value.code == JsonRpcInvalidParams.CODE


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["text", "path", "rev", "agentId", "conversationId",
                                       "name", "limit", "commit", "title", "workspaceUri",
                                       "x"]), children, max_size=4),
    max_leaves=8,
)
METHODS = ["memfs/tree", "memfs/read", "memfs/status"] + [
    f"command:{c}" for c in COMMANDS if c not in ("memfs.compact", "memfs.init")]


async def test_fuzzed_params_never_take_the_server_down(lsp: Session) -> None:
    client, _ = lsp

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(method=st.sampled_from(METHODS), params=_JSON)
    def fuzz(method: str, params: Any) -> None:
        future = (client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=method.split(":", 1)[1], arguments=[params]))
            if method.startswith("command:")
            else client.protocol.send_request_async(method, params))
        calls.append(future)

    calls: list[Any] = []
    fuzz()
    for call in calls:
        try:
            await asyncio.wait_for(call, 30)
        except JsonRpcException as exc:
            assert exc.code in (JsonRpcInvalidParams.CODE, -32803), exc
    status = await request(client, "memfs/status", {})
    assert status["agent"]["id"]
