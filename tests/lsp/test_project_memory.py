"""Issue 14 over real LSP with the scripted model: project memory beside the agent's own (two
tiers in one prompt, edits that land uncommitted in the workspace and nowhere else), memory
that follows the file (scoped by the active document, a CodeLens), memory that knows it is
stale (a deleted file's citation, an expired file, age and author), and approval the user
controls (ask accepted through the standard message request, rejected with a reason through
``memfs/approve``, always, off) with secrets refused in both tiers."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

from lsp_server.jsonish import plain
from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import CLIENTS, Recorder, command, request, start
from tests.security.keys import TOKENS

Session = tuple[LanguageClient, Recorder]
PROJECT_FILE = "project/system/project.md"
ANTHROPIC = TOKENS["anthropic"]
SEED_LINE = "Nothing recorded yet."


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
                           *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(workspace: Path) -> Path:
    """The workspace as a git repository with one commit (the user's code)."""
    git(workspace, "init", "-q", "-b", "main")
    (workspace / "src" / "api").mkdir(parents=True)
    (workspace / "src" / "api" / "handler.py").write_text("def handle(): ...\n")
    (workspace / "src" / "app.py").write_text("print('app')\n")
    (workspace / "docs").mkdir()
    (workspace / "docs" / "guide.md").write_text("# Guide\n")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "code")
    return workspace


async def _session(workspace: Path, settings: dict[str, Any] | None = None,
                   capabilities: str = "visual-studio-code") -> Session:
    client, recorder = await start(capabilities, workspace,
                                   {"maxRetries": 1, **(settings or {})})
    client.feature("memfs/approvalsChanged")(
        lambda params: recorder.add("memfs/approvalsChanged", params))
    return client, recorder


@pytest_asyncio.fixture
async def auto(model: ScriptedModel, repo: Path) -> AsyncIterator[Session]:
    """A session whose project memory edits land without asking."""
    client, recorder = await _session(repo, {"approval": {"project": "auto"}})
    yield client, recorder
    await client.shutdown_session()
    await client.stop()


async def _project(client: LanguageClient) -> dict[str, Any]:
    return dict(await command(client, "memfs.initProjectMemory", {}))


def _tool_messages(request_body: dict[str, Any]) -> list[str]:
    return [str(m["content"]) for m in request_body["messages"] if m.get("role") == "tool"]


def _edit(path: str, old: str, new: str, why: str = "record a convention") -> Reply:
    return Reply(tool_calls=[ToolCall("memory", {"command": "str_replace", "path": path,
                                                 "old_text": old, "new_text": new,
                                                 "reason": why})])


def _waiter(client: LanguageClient, method: str, predicate: Callable[[Any], bool]
            ) -> asyncio.Future[Any]:
    """A future for the first ``method`` message from the server matching ``predicate``,
    set up before the action that causes it."""
    found: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    previous = client.protocol.fm.features[method]

    def handler(params: Any) -> Any:
        result = previous(params)
        if not found.done() and predicate(params):
            found.set_result(params)
        return result

    client.protocol.fm.features[method] = handler
    return found


def _for_uri(uri: str) -> Callable[[Any], bool]:
    return lambda params: bool(params.uri == uri)


def _cleared(uri: str) -> Callable[[Any], bool]:
    return lambda params: bool(params.uri == uri and not params.diagnostics)


def _open(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri=uri, language_id="markdown" if path.suffix == ".md" else "python", version=1,
            text=path.read_text() if text is None else text)))
    return uri


# ----- 1. project memory ----------------------------------------------------------------------
async def test_two_tiers_in_one_prompt_and_a_project_edit_lands_uncommitted_in_the_workspace(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    client, recorder = auto
    created = await _project(client)
    assert created["created"] and created["files"] == [PROJECT_FILE]
    git(repo, "add", ".memfs")
    git(repo, "commit", "-qm", "add project memory")
    commits_before = git(repo, "rev-list", "--count", "HEAD")
    personal_before = await command(client, "memfs.memoryLog", {})
    model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs in this project."), "Recorded.",
                 "Hello again.")
    result = await request(client, "memfs/chat", {"text": "We use tabs here."})
    assert result["toolCalls"][0]["ok"], result["toolCalls"]
    prompt = model.system_prompt(0)
    assert "<memory head=" in prompt and "system/human.md" in prompt
    assert '<project_memory root=".memfs/memory/"' in prompt
    assert "shared with everyone who works on it" in prompt
    assert f'path="{PROJECT_FILE}"' in prompt and SEED_LINE in prompt
    wrote = await recorder.wait_for("memfs/chatDelta", lambda d: d["kind"] == "memoryWrite")
    assert wrote["paths"] == [PROJECT_FILE] and result["memoryCommits"] == []
    # an uncommitted change of the workspace, and nowhere else
    assert git(repo, "status", "--porcelain") == " M .memfs/memory/system/project.md\n"
    assert git(repo, "rev-list", "--count", "HEAD") == commits_before
    assert await command(client, "memfs.memoryLog", {}) == personal_before
    # the next turn reads the file as it is on disk
    await request(client, "memfs/chat", {"text": "hi"})
    assert "Use tabs in this project." in model.system_prompt(-1)


async def test_a_workspace_without_project_memory_works_as_before(
    model: ScriptedModel, repo: Path
) -> None:
    client, _ = await _session(repo)
    try:
        model.script(_edit(PROJECT_FILE, SEED_LINE, "x"), "ok")
        result = await request(client, "memfs/chat", {"text": "hi"})
        assert "<project_memory" not in model.system_prompt(0)
        assert "no project memory" in result["toolCalls"][0]["error"]
        tree = await request(client, "memfs/tree", {})
        assert tree["project"] is None and {f["tier"] for f in tree["files"]} == {"personal"}
        assert not (repo / ".memfs").exists() and git(repo, "status", "--porcelain") == ""
    finally:
        await client.shutdown_session()
        await client.stop()


# ----- 2. memory that follows the file ---------------------------------------------------------
async def test_scoped_memory_loads_only_with_a_matching_active_file_and_shows_a_code_lens(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    client, _ = auto
    await _project(client)
    (repo / ".memfs" / "memory" / "api.md").write_text(
        "---\ndescription: API rules\npaths: [\"src/api/**\"]\n---\nAlways paginate lists.\n")
    handler = repo / "src" / "api" / "handler.py"
    guide = repo / "docs" / "guide.md"
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=handler.as_uri())))
    assert lenses is not None and len(lenses) == 1
    assert lenses[0].range.start.line == 0 and lenses[0].command is not None
    assert lenses[0].command.title == "memfs: 1 memory applies here"
    assert lenses[0].command.command == "memfs.openScopedMemories"
    none = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=guide.as_uri())))
    assert not none
    scoped = await request(client, "memfs/scopedMemories", {"uri": handler.as_uri()})
    assert [(m["path"], m["tier"], m["globs"]) for m in scoped["memories"]] == [
        ("project/api.md", "project", ["src/api/**"])]
    opened = await command(client, "memfs.openScopedMemories", *plain(lenses[0].command.arguments))
    assert [m["path"] for m in opened["memories"]] == ["project/api.md"]
    assert client.shown_documents[-1].uri == (repo / ".memfs" / "memory" / "api.md").as_uri()
    model.script("one", "two")
    await request(client, "memfs/chat", {"text": "hi", "activeUri": guide.as_uri()})
    assert "Always paginate lists." not in model.system_prompt(0)
    client.protocol.notify("memfs/activeDocument", {"uri": handler.as_uri()})
    await request(client, "memfs/chat", {"text": "and now?"})
    prompt = model.system_prompt(1)
    assert "Always paginate lists." in prompt
    assert 'loaded="scoped: the active file src/api/handler.py matches src/api/**"' in prompt
    tree = await request(client, "memfs/tree", {})
    api = next(f for f in tree["files"] if f["path"] == "project/api.md")
    assert api["globs"] == ["src/api/**"] and not api["inContext"] and api["tier"] == "project"


# ----- 3. memory that knows it is stale --------------------------------------------------------
async def test_a_deleted_source_file_makes_a_stale_citation_diagnostic(
    auto: Session, repo: Path
) -> None:
    client, _ = auto
    await _project(client)
    shared = repo / ".memfs" / "memory" / "app.md"
    shared.write_text("---\ndescription: How the app starts\n---\nIntro.\n"
                      "The entry point is `src/app.py`.\n")
    root = Path((await request(client, "memfs/tree", {}))["root"])
    personal = root / "notes" / "app.md"
    text = "---\ndescription: My notes on the app\n---\nI edited [it](src/app.py) often.\n"
    git(repo, "rm", "-q", "src/app.py")
    git(repo, "commit", "-qm", "remove the app")
    for path, body, line in ((shared, None, 5), (personal, text, 4)):
        diagnostics = _waiter(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                              _for_uri(path.as_uri()))
        _open(client, path, body)
        found = [d for d in (await diagnostics).diagnostics if d.code == "stale-citation"]
        assert len(found) == 1, (path, found)
        assert found[0].range.start.line == line - 1
        assert "src/app.py" in found[0].message and "no longer exists" in found[0].message
        cleared = _waiter(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                          _cleared(path.as_uri()))
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
        await cleared  # closing a memory file of either tier clears its diagnostics
    report = await command(client, "memfs.doctor", {})
    assert any(f["code"] == "stale-citation" and f["path"] == "project/app.md"
               for f in report["findings"])


async def test_an_expired_file_leaves_the_in_context_tier(
    model: ScriptedModel, repo: Path
) -> None:
    client, _ = await _session(repo)
    try:
        root = Path((await request(client, "memfs/tree", {}))["root"])
        store = MemoryStore.open(root.parent.name)
        store.create("system/sprint.md", "This sprint's focus", "Freeze the API.\n",
                     "record the sprint", expires=date(2001, 1, 31))
        store.create("system/style.md", "Coding style", "Prefer tabs.\n", "record style")
        model.script("ok")
        await request(client, "memfs/chat", {"text": "what matters now?"})
        prompt = model.system_prompt(0)
        assert "Prefer tabs." in prompt and "Freeze the API." not in prompt
        assert "sprint.md: This sprint's focus [expired 2001-01-31: review it]" in prompt
        tree = await request(client, "memfs/tree", {})
        sprint = next(f for f in tree["files"] if f["path"] == "system/sprint.md")
        assert sprint["expired"] and not sprint["inContext"] and sprint["expires"] == "2001-01-31"
        diagnostics = _waiter(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                              lambda p: p.uri.endswith("sprint.md"))
        _open(client, root / "system" / "sprint.md")
        assert [d.code for d in (await diagnostics).diagnostics] == ["expired"]
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_tree_and_hover_show_each_files_age_and_last_author(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    client, _ = auto
    await _project(client)
    git(repo, "add", ".memfs")
    git(repo, "commit", "-qm", "share the project memory")
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/style.md", "description": "Style",
        "content": "Tabs.\n", "reason": "learn style"})]), "done")
    await request(client, "memfs/chat", {"text": "I like tabs"})
    tree = await request(client, "memfs/tree", {})
    changes = {f["path"]: f["lastChange"] for f in tree["files"]}
    assert changes["notes/style.md"]["source"] == "agent"
    assert changes["system/human.md"]["source"] == "created"
    assert changes[PROJECT_FILE]["author"] == "Dev" and changes[PROJECT_FILE]["source"] == "git"
    assert changes[PROJECT_FILE]["message"] == "share the project memory"
    uri = _open(client, repo / ".memfs" / "memory" / "system" / "project.md")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=2)))
    assert hover is not None
    text = str(hover.contents)
    assert "project memory" in text and "Last changed today by Dev" in text
    assert "share the project memory" in text
    read = await request(client, "memfs/read", {"path": PROJECT_FILE})
    assert read["path"] == PROJECT_FILE and SEED_LINE in read["text"] and read["uri"] == uri


async def test_the_tree_follows_memory_changed_by_other_processes(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    """The tree answer is reused while nothing changed: an edit on disk, a teammate's commit
    of the same bytes and a commit to the agent's memory by another process each show."""
    client, _ = auto
    await _project(client)
    tree = await request(client, "memfs/tree", {})
    assert await request(client, "memfs/tree", {}) == tree
    shared = next(f for f in tree["files"] if f["path"] == PROJECT_FILE)
    assert shared["lastChange"]["source"] == "uncommitted"
    (repo / ".memfs" / "memory" / "system" / "project.md").write_text(
        "---\ndescription: Conventions of this project\n---\nTabs.\n")
    tree = await request(client, "memfs/tree", {})
    shared = next(f for f in tree["files"] if f["path"] == PROJECT_FILE)
    assert shared["description"] == "Conventions of this project"
    git(repo, "add", ".memfs")
    git(repo, "commit", "-qm", "share the conventions")  # nothing changes on disk
    tree = await request(client, "memfs/tree", {})
    shared = next(f for f in tree["files"] if f["path"] == PROJECT_FILE)
    assert shared["lastChange"]["source"] == "git"
    assert shared["lastChange"]["message"] == "share the conventions"
    store = MemoryStore.open(Path(tree["root"]).parent.name)
    edit = store.create("notes/late.md", "Written by the CLI", "Hi.\n", "record it")
    tree = await request(client, "memfs/tree", {})
    late = next(f for f in tree["files"] if f["path"] == "notes/late.md")
    assert late["lastChange"]["sha"] == edit.commit and tree["head"] == edit.commit


# ----- 4. approval the user controls -----------------------------------------------------------
@pytest.mark.parametrize("capabilities", CLIENTS)
async def test_ask_accepted_through_a_message_request_with_the_diff_beside(
    model: ScriptedModel, repo: Path, capabilities: str
) -> None:
    # approval.project defaults to ask; VS Code and Neovim both answer these standard requests
    client, recorder = await _session(repo, capabilities=capabilities)
    try:
        await _project(client)
        diffs: list[str] = []

        def show(params: types.ShowDocumentParams) -> types.ShowDocumentResult:
            path = Path(to_fs_path(params.uri) or "")
            diffs.append(path.read_text())
            assert not path.stat().st_mode & 0o222, "the diff is shown read-only"
            return types.ShowDocumentResult(success=True)

        client.protocol.fm.features[types.WINDOW_SHOW_DOCUMENT] = show
        asked = _waiter(client, types.WINDOW_SHOW_MESSAGE_REQUEST, lambda p: True)
        client.answers.append("Accept")  # type: ignore[attr-defined]
        model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs."), "Done.")
        result = await request(client, "memfs/chat", {"text": "We use tabs."})
        assert result["toolCalls"][0]["ok"], result["toolCalls"]
        question = (await asked).message
        assert f"str_replace {PROJECT_FILE}" in question and "+1 -1 lines" in question
        assert f"+++ b/{PROJECT_FILE}" in diffs[0] and "+Use tabs." in diffs[0]
        assert "Use tabs." in (repo / ".memfs/memory/system/project.md").read_text()
        pending = await recorder.wait_for(
            "memfs/approvalsChanged", lambda n: [a["path"] for a in n["approvals"]]
            == [PROJECT_FILE])
        assert pending["approvals"][0]["operation"] == "str_replace"
        assert (await request(client, "memfs/pendingApprovals", {}))["approvals"] == []
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_ask_rejected_through_memfs_approve_and_the_model_sees_the_reason(
    model: ScriptedModel, repo: Path
) -> None:
    client, _ = await _session(repo, {"approvalUi": True})
    try:
        await _project(client)
        seen: list[dict[str, Any]] = []

        async def approve(params: Any) -> dict[str, Any]:
            seen.append(plain(params))
            listed = await request(client, "memfs/pendingApprovals", {})
            assert [a["id"] for a in listed["approvals"]] == [seen[-1]["id"]]
            return {"decision": "reject", "reason": "we use spaces in this repository"}

        client.feature("memfs/approve")(approve)
        before = (repo / ".memfs/memory/system/project.md").read_text()
        model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs."), "Understood.")
        result = await request(client, "memfs/chat", {"text": "We use tabs."})
        assert seen[0]["tier"] == "project" and seen[0]["path"] == PROJECT_FILE
        assert seen[0]["operation"] == "str_replace" and "+Use tabs." in seen[0]["diff"]
        assert seen[0]["reason"] == "record a convention"
        assert not result["toolCalls"][0]["ok"]
        told = _tool_messages(model.requests[1])
        assert len(told) == 1 and "the user rejected this edit of project/system/project.md: " \
            "we use spaces in this repository" in told[0]
        assert (repo / ".memfs/memory/system/project.md").read_text() == before
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_always_stops_asking_in_this_workspace_until_reset(
    model: ScriptedModel, repo: Path
) -> None:
    client, _ = await _session(repo, {"approvalUi": True})
    try:
        await _project(client)
        asked: list[str] = []

        async def approve(params: Any) -> dict[str, Any]:
            asked.append(plain(params)["path"])
            return {"decision": "always"}

        client.feature("memfs/approve")(approve)
        model.script(_edit(PROJECT_FILE, SEED_LINE, "One."), "ok",
                     _edit(PROJECT_FILE, "One.", "Two."), "ok")
        await request(client, "memfs/chat", {"text": "first"})
        await request(client, "memfs/chat", {"text": "second"})
        assert asked == [PROJECT_FILE]
        assert "Two." in (repo / ".memfs/memory/system/project.md").read_text()
        state = await command(client, "memfs.approval", {})
        assert state == {"personal": "auto", "project": "auto", "always": ["project"]}
        state = await command(client, "memfs.approval", {"reset": "project"})
        assert state == {"personal": "auto", "project": "ask", "always": []}
        status = await request(client, "memfs/status", {})
        assert status["approval"]["project"] == "ask"
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_off_forbids_the_tier_and_the_model_is_told(
    model: ScriptedModel, repo: Path
) -> None:
    client, _ = await _session(repo, {"approval": {"personal": "off"}})
    try:
        before = await command(client, "memfs.memoryLog", {})
        model.script(Reply(tool_calls=[ToolCall("memory", {
            "command": "create", "path": "notes/x.md", "description": "X", "content": "x\n",
            "reason": "note"})]), "I could not.")
        result = await request(client, "memfs/chat", {"text": "remember x"})
        assert not result["toolCalls"][0]["ok"]
        assert "approval.personal is off" in _tool_messages(model.requests[1])[0]
        assert await command(client, "memfs.memoryLog", {}) == before
        with pytest.raises(JsonRpcException) as refused:  # said at once, not after "started"
            await command(client, "memfs.reflect", {})
        assert "reflection may not write memory: approval.personal is off" in str(refused.value)
        assert "set approval.personal to ask or auto" in str(refused.value)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_secrets_are_refused_in_both_tiers(
    model: ScriptedModel, repo: Path
) -> None:
    # project: ask; a secret is refused before anyone is asked
    client, recorder = await _session(repo)
    try:
        await _project(client)
        before = await command(client, "memfs.memoryLog", {})
        model.script(Reply(tool_calls=[
            ToolCall("memory", {"command": "create", "path": "notes/keys.md",
                                "description": "Keys", "content": f"key {ANTHROPIC}\n",
                                "reason": "keep the key"}),
            ToolCall("memory", {"command": "create", "path": "project/keys.md",
                                "description": "Keys", "content": f"key {ANTHROPIC}\n",
                                "reason": "share the key"})]), "ok")
        result = await request(client, "memfs/chat", {"text": "store my key"})
        assert [c["ok"] for c in result["toolCalls"]] == [False, False]
        assert all("credential" in c["error"] for c in result["toolCalls"])
        assert "memfs/approvalsChanged" not in recorder.items, "nobody was asked"
        assert not (repo / ".memfs" / "memory" / "keys.md").exists()
        assert await command(client, "memfs.memoryLog", {}) == before
        assert ANTHROPIC not in git(repo, "status", "--porcelain", "--untracked-files=all")
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_a_turn_waiting_for_approval_can_be_cancelled_and_withdraws_its_question(
    model: ScriptedModel, repo: Path
) -> None:
    client, recorder = await _session(repo, {"approvalUi": True})
    try:
        await _project(client)
        asked = asyncio.Event()
        withdrawn = asyncio.Event()

        async def approve(params: Any) -> dict[str, Any]:
            asked.set()
            try:
                await asyncio.Event().wait()  # the user never answers
            except asyncio.CancelledError:
                withdrawn.set()
                raise
            return {"decision": "accept"}

        client.feature("memfs/approve")(approve)
        before = (repo / ".memfs/memory/system/project.md").read_text()
        model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs."), "never sent")
        future = client.protocol.send_request("memfs/chat", {"text": "tabs"}, msg_id="chat-9")
        await asked.wait()
        client.protocol.notify("$/cancelRequest", types.CancelParams(id="chat-9"))
        with pytest.raises(JsonRpcException) as caught:
            await asyncio.wrap_future(future)
        assert caught.value.code == -32800
        await withdrawn.wait()  # the server sent $/cancelRequest for its memfs/approve
        assert (await request(client, "memfs/pendingApprovals", {}))["approvals"] == []
        assert (repo / ".memfs/memory/system/project.md").read_text() == before
        assert len(model.requests) == 1
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_a_question_answered_from_the_pending_list_lands_the_edit(
    model: ScriptedModel, repo: Path
) -> None:
    client, recorder = await _session(repo, {"approvalUi": True})
    try:
        await _project(client)
        asked: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        withdrawn = asyncio.Event()

        async def approve(params: Any) -> dict[str, Any]:
            await asked.put(plain(params))
            try:
                await asyncio.Event().wait()  # this window's prompt is left unanswered
            except asyncio.CancelledError:
                withdrawn.set()
                raise
            return {"decision": "reject"}

        client.feature("memfs/approve")(approve)
        model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs."), "Recorded.")
        turn = asyncio.ensure_future(request(client, "memfs/chat", {"text": "We use tabs."}))
        question = await asked.get()
        listed = await request(client, "memfs/pendingApprovals", {})
        assert [a["id"] for a in listed["approvals"]] == [question["id"]]
        await command(client, "memfs.resolveApproval",
                      {"id": question["id"], "decision": "accept"})
        result = await turn
        assert result["toolCalls"][0]["ok"] and result["text"] == "Recorded."
        await withdrawn.wait()  # the prompt still open in the editor is taken down
        assert "Use tabs." in (repo / ".memfs/memory/system/project.md").read_text()
        assert (await request(client, "memfs/pendingApprovals", {}))["approvals"] == []
    finally:
        await client.shutdown_session()
        await client.stop()


# ----- init, doctor and reflection across the tiers --------------------------------------------
async def test_init_offers_to_put_the_project_essentials_into_project_memory(repo: Path) -> None:
    client, _ = await _session(repo)  # no model: init writes what it gathers
    try:
        (repo / "README.md").write_text("# Gadget\nGadgets for everyone.\n")
        questions: list[str] = []
        answer = client.protocol.fm.features[types.WINDOW_SHOW_MESSAGE_REQUEST]

        def ask(params: types.ShowMessageRequestParams) -> Any:
            questions.append(params.message)
            return answer(params)

        client.protocol.fm.features[types.WINDOW_SHOW_MESSAGE_REQUEST] = ask
        client.answers += ["Quick", "No", "Yes, shared"]  # type: ignore[attr-defined]
        result = await command(client, "memfs.init", {})
        assert "project memory" in questions[2] and "shared with everyone" in questions[2]
        assert result["projectCreated"] and not result["usedModel"]
        assert "project/overview.md" in result["files"]
        overview = (repo / ".memfs" / "memory" / "overview.md").read_text()
        assert "Gadgets for everyone." in overview and str(repo) not in overview
        personal = {f["path"] for f in (await request(client, "memfs/tree", {}))["files"]
                    if f["tier"] == "personal"}
        assert not any(p.endswith("overview.md") for p in personal)
        assert "?? .memfs/" in git(repo, "status", "--porcelain")
        client.answers += ["Quick", "No"]  # type: ignore[attr-defined]
        await command(client, "memfs.init", {})
        assert len(questions) == 5, "with project memory in place, init does not ask again"
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_doctor_fix_archives_stale_project_memory(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    client, recorder = auto
    await _project(client)
    shared = repo / ".memfs" / "memory"
    (shared / "app.md").write_text("---\ndescription: How the app starts\n---\n"
                                   "The entry point is `src/app.py`.\n")
    git(repo, "rm", "-q", "src/app.py")
    git(repo, "commit", "-qm", "remove the app")
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "delete", "path": "project/app.md", "reason": "src/app.py is gone"})]),
        "Archived project/app.md.")
    report = await command(client, "memfs.doctor", {"fix": True})
    assert "project/app.md" in model.requests[0]["messages"][1]["content"]
    assert not (shared / "app.md").exists()
    assert "`src/app.py`" in (shared / "archive" / "app.md").read_text()
    assert not [f for f in report["findings"] if f["code"] == "stale-citation"], \
        "archived memory is no longer reported as stale"
    assert report["summary"] == "Archived project/app.md."
    assert "project/archive/app.md" in report["written"]
    changed = await recorder.wait_for("memfs/memoryChanged", lambda c: c.get("tier") == "project"
                                      and "project/archive/app.md" in c["paths"])
    assert changed["source"] == "doctor"


async def test_reflection_under_ask_lands_as_a_review(model: ScriptedModel, repo: Path) -> None:
    client, recorder = await _session(repo, {"approval": {"personal": "ask"}})
    try:
        before = await command(client, "memfs.memoryLog", {})
        model.script("hi", Reply(tool_calls=[ToolCall("memory", {
            "command": "create", "path": "system/learned.md", "description": "Learned",
            "content": "User says hi.\n", "reason": "greeting habit"})]), "Done.")
        await request(client, "memfs/chat", {"text": "hello"})
        await command(client, "memfs.reflect", {})
        outcome = await recorder.wait_for("memfs/reflection")
        assert outcome["status"] == "review", outcome
        assert await command(client, "memfs.memoryLog", {}) == before, "nothing merged"
        review = await command(client, "memfs.reviewReflection", {})
        assert review["pending"] and "+User says hi." in review["diff"]
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_the_agent_creates_scoped_memory_that_follows_the_open_files(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    client, _ = auto
    refreshed = asyncio.Event()  # the editor is asked to fetch its code lenses again
    client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(lambda params: refreshed.set())
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/migrations.md",
        "description": "Rules for migrations", "content": "Always write the down step.\n",
        "paths": ["src/api/**"], "reason": "scoped rule"})]), "Noted.", "one", "two", "three",
        "four")
    await request(client, "memfs/chat", {"text": "when editing the API, write down steps"})
    await refreshed.wait()
    tree = await request(client, "memfs/tree", {})
    created = next(f for f in tree["files"] if f["path"] == "notes/migrations.md")
    assert created["globs"] == ["src/api/**"] and created["tier"] == "personal"
    handler = repo / "src" / "api" / "handler.py"
    uri = _open(client, handler)  # the client never says which document is active
    await request(client, "memfs/chat", {"text": "hi"})
    prompt = model.system_prompt(-1)
    assert "Always write the down step." in prompt
    assert "an open file src/api/handler.py matches src/api/**" in prompt
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await request(client, "memfs/chat", {"text": "and now?"})
    assert "Always write the down step." not in model.system_prompt(-1)
    _open(client, handler)  # now the client says it is the active one, then closes it
    client.protocol.notify("memfs/activeDocument", {"uri": uri})
    await request(client, "memfs/chat", {"text": "active?"})
    assert "the active file src/api/handler.py matches src/api/**" in model.system_prompt(-1)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await request(client, "memfs/chat", {"text": "closed?"})
    assert "Always write the down step." not in model.system_prompt(-1)


# ----- project memory changes are announced ----------------------------------------------------
async def test_project_memory_changes_are_announced_whoever_makes_them(
    auto: Session, model: ScriptedModel, repo: Path
) -> None:
    """memfs/memoryChanged with tier project: the server's own writes by their source, a write
    from outside the editor and git changing the files (a pull) as external."""
    client, recorder = auto

    async def changed(path: str, *, new_after: list[dict[str, Any]]) -> dict[str, Any]:
        return await recorder.wait_for("memfs/memoryChanged", lambda c: c not in new_after
                                       and c.get("tier") == "project" and path in c["paths"])

    def seen() -> list[dict[str, Any]]:
        return list(recorder.items.get("memfs/memoryChanged", []))

    before = seen()
    await _project(client)
    created = await changed(PROJECT_FILE, new_after=before)
    assert created["source"] == "created" and created["commit"] is None
    assert created["workspaceUri"] == repo.as_uri()
    git(repo, "add", ".memfs")
    git(repo, "commit", "-qm", "add project memory")

    before = seen()
    outside = repo / ".memfs" / "memory" / "notes" / "outside.md"
    outside.parent.mkdir()
    outside.write_text("---\ndescription: Written outside the editor\n---\nHello.\n")
    external = await changed("project/notes/outside.md", new_after=before)
    assert external["source"] == "external" and external["paths"] == ["project/notes/outside.md"]

    before = seen()
    model.script(_edit(PROJECT_FILE, SEED_LINE, "Use tabs in this project."), "Recorded.")
    await request(client, "memfs/chat", {"text": "We use tabs here."})
    by_chat = await changed(PROJECT_FILE, new_after=before)
    assert by_chat["source"] == "chat" and by_chat["paths"] == [PROJECT_FILE]
    assert by_chat["commit"] is None and by_chat["agentId"]

    before = seen()
    git(repo, "checkout", "--", ".memfs/memory/system/project.md")  # as a pull would
    pulled = await changed(PROJECT_FILE, new_after=before)
    assert pulled["source"] == "external" and pulled["tier"] == "project"
