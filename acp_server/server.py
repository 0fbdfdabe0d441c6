"""The ACP agent: sessions are conversations, prompts are turns.

``session/new {cwd}`` starts a conversation of the workspace's agent (``cwd`` is the
workspace, bound in the data home as the language server and the CLI do, so the
conversation continues there); ``session/load`` resumes any conversation and replays it
(``agent.transcript``) as ``session/update`` notifications; ``session/list`` lists the
conversations of the workspace's agent. ``session/prompt`` runs one turn, streaming it;
``session/cancel`` stops it (the partial reply is kept, marked interrupted) and the prompt
answers ``stopReason: cancelled``. When the client offers ``fs/read_text_file``, the
agent's workspace reads go through it (so unsaved edits are seen). A prompt starting with
a slash command (``acp_server.commands``, advertised with ``available_commands_update``)
runs it (``/new [title]`` keeps the session id and moves its turns to a fresh conversation,
the workspace's current one; the move is kept in the data home, so a later
``session/load`` of that id resumes there); a reflection started in the background reports
its outcome in its session. Settings and folder trust are re-read at each request, as
``memfs trust`` may have changed them.
Refusals are JSON-RPC errors: our words first, the hint (and a provider's detail) after,
the memfs ``code`` in ``data``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from acp import PROTOCOL_VERSION, RequestError, update_agent_message_text
from acp.helpers import update_available_commands
from acp.interfaces import Client
from acp.schema import (
    AgentCapabilities,
    AudioContentBlock,
    ClientCapabilities,
    EmbeddedResourceContentBlock,
    HttpMcpServer,
    ImageContentBlock,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpServerStdio,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    ResourceContentBlock,
    SessionCapabilities,
    SessionInfo,
    SessionListCapabilities,
    SseMcpServer,
    TextContentBlock,
    TextResourceContents,
    ToolCallProgress,
)

from acp_server import commands, permissions, updates
from agent import transcript
from agent.approval import ApprovalRequest, Decision
from agent.commands.doctor import doctor
from agent.commands.init import init
from agent.commands.remember import remember
from agent.conversations import Conversation
from agent.events import (
    Compaction,
    Done,
    ErrorEvent,
    Event,
    MemoryCommit,
    MemoryWrite,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from agent.reflection import Outcome
from agent.runtime import Runtime
from agent.transcript import Item
from memfs import history
from memfs.errors import InvalidArgument, InvalidPath, MemfsError, NotFound

log = logging.getLogger("memfs.acp")
T = TypeVar("T")
INVALID_PARAMS = -32602
REQUEST_FAILED = -32803  # as the language server's refusals
Block = (TextContentBlock | ImageContentBlock | AudioContentBlock | ResourceContentBlock
         | EmbeddedResourceContentBlock)
McpServer = HttpMcpServer | SseMcpServer | McpServerStdio


def refusal(exc: MemfsError) -> RequestError:
    """A memfs refusal as a JSON-RPC error (bad input: InvalidParams)."""
    bad_input = isinstance(exc, InvalidArgument | InvalidPath | NotFound)
    return RequestError(INVALID_PARAMS if bad_input else REQUEST_FAILED, str(exc), exc.to_dict())


def invalid(field_name: str, message: str) -> RequestError:
    return RequestError(INVALID_PARAMS, f"{field_name}: {message}", {"field": field_name})


@dataclass
class Session:
    """One ACP session: a conversation of one agent, in one workspace. Its id is the id of
    the conversation it started with; ``/new`` moves it to a fresh conversation."""

    id: str
    conversation_id: str  # where its turns go now
    agent_id: str
    runtime: Runtime
    turn: asyncio.Task[PromptResponse] | None = None
    call_id: str | None = None  # the tool call running now (permission requests name it)
    last: tuple[str, str] = ("", "")  # the last finished call: its id and output
    reflecting: bool = False  # /reflect runs: its outcome is the reply, not a notice


class MemfsAcpAgent:
    """The ``acp.interfaces.Agent`` of memfs."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.client: Client | None = None
        self.client_capabilities: ClientCapabilities | None = None
        self.sessions: dict[str, Session] = {}
        self._runtimes: dict[Path, Runtime] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    def on_connect(self, conn: Client) -> None:
        self.client = conn

    # ----- lifecycle -----------------------------------------------------------------------
    async def initialize(self, protocol_version: int,
                         client_capabilities: ClientCapabilities | None = None,
                         client_info: Implementation | None = None,
                         **kwargs: Any) -> InitializeResponse:
        self.client_capabilities = client_capabilities
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(embedded_context=True),
                session_capabilities=SessionCapabilities(list=SessionListCapabilities())),
            agent_info=Implementation(name="memfs", title="memfs", version=self.version),
            auth_methods=[])

    async def authenticate(self, method_id: str, **kwargs: Any) -> None:
        raise invalid("methodId", "memfs needs no authentication (model keys come from the "
                      "environment)")

    # ----- sessions ------------------------------------------------------------------------
    async def new_session(self, cwd: str, additional_directories: list[str] | None = None,
                          mcp_servers: list[McpServer] | None = None,
                          **kwargs: Any) -> NewSessionResponse:
        runtime = await self._runtime(cwd)

        def start() -> Session:
            conversation = runtime.new_conversation(runtime.agent())
            return Session(conversation.id, conversation.id, conversation.agent_id, runtime)

        session = await self._guard(asyncio.to_thread(start))
        self.sessions[session.id] = session
        self._spawn(self._advertise(session.id))  # once the client knows the session
        return NewSessionResponse(session_id=session.id)

    async def load_session(self, cwd: str, session_id: str,
                           mcp_servers: list[McpServer] | None = None,
                           additional_directories: list[str] | None = None,
                           **kwargs: Any) -> LoadSessionResponse:
        loaded = self.sessions.get(session_id)
        if loaded is not None and loaded.turn is not None and not loaded.turn.done():
            raise RequestError(REQUEST_FAILED, "a turn is running in this session",
                               {"hint": "wait for it, or send session/cancel, then load it"})
        runtime = await self._runtime(cwd)

        def load() -> tuple[Session, list[Item]]:
            # a session moved by /new (in this process or an earlier one) resumes where it went
            conversation = runtime.conversations.get(
                runtime.conversations.session_conversation(session_id))
            runtime.bind(runtime.agents.get(conversation.agent_id), conversation)
            page = transcript.page(runtime.db, conversation, limit=transcript.MAX_LIMIT)
            items = page.items
            while page.has_more:
                page = transcript.page(runtime.db, conversation, page.before,
                                       transcript.MAX_LIMIT)
                items = page.items + items
            return Session(session_id, conversation.id, conversation.agent_id, runtime), items

        session, items = await self._guard(asyncio.to_thread(load))
        for item in items:
            if item.kind == "memoryCommit" and item.commit is not None and session.last[0]:
                await self._update(session.id, await self._committed(
                    session, *session.last, item.commit.sha, item.commit.message))
                continue
            if item.tool_call is not None:
                session.last = (item.tool_call.call_id, item.tool_call.output or "")
            for update in updates.replay(item):
                await self._update(session.id, update)
        session.last = ("", "")
        self.sessions[session.id] = session
        await self._advertise(session.id)
        return LoadSessionResponse()

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None,
                            **kwargs: Any) -> ListSessionsResponse:
        if cwd is None:
            raise invalid("cwd", "memfs lists the sessions of one workspace: pass its cwd")
        runtime = await self._runtime(cwd)

        def listing() -> list[SessionInfo]:
            agent = runtime.agent()
            return [SessionInfo(session_id=c.id, cwd=str(runtime.workspace),
                                title=c.title or None, updated_at=transcript.iso(c.updated))
                    for c in runtime.conversations.for_agent(agent.id)]

        return ListSessionsResponse(sessions=await self._guard(asyncio.to_thread(listing)))

    # ----- turns ---------------------------------------------------------------------------
    async def prompt(self, prompt: list[Block], session_id: str,
                     **kwargs: Any) -> PromptResponse:
        session = self._session(session_id)
        running = session.turn
        if running is not None and not running.done():
            if not running.cancelling():
                raise RequestError(REQUEST_FAILED, "a turn is already running in this session",
                                   {"hint": "wait for it, or send session/cancel"})
            await asyncio.wait({running})  # cancelled just before: let it put things away
        text = prompt_text(prompt)
        task = asyncio.ensure_future(self._turn(session, text))
        session.turn = task
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.cancelled():
            return PromptResponse(stop_reason="cancelled")
        return task.result()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        session = self.sessions.get(session_id)
        if session is not None and session.turn is not None:
            session.turn.cancel()

    async def _turn(self, session: Session, text: str) -> PromptResponse:
        """A turn, or the slash command the text starts with."""
        runtime = session.runtime
        await asyncio.to_thread(runtime.reload_settings)
        command = commands.parse(text)
        try:
            if command is None:
                return await self._stream(session, runtime.chat(text, session.conversation_id,
                                                                session.agent_id))
            name, rest = command
            if name == "remember":
                return await self._stream(session, remember(
                    runtime, rest or None, session.conversation_id, session.agent_id))
            reply = await self._command(session, name, rest)
        except MemfsError as exc:
            raise refusal(exc) from None
        await self._update(session.id, update_agent_message_text(reply))
        return PromptResponse(stop_reason="end_turn")

    async def _command(self, session: Session, name: str, rest: str) -> str:
        runtime = session.runtime
        if name == "new":
            previous = session.conversation_id

            def move() -> Conversation:
                conversation = runtime.new_conversation(runtime.agents.get(session.agent_id),
                                                        rest)
                runtime.conversations.move_session(session.id, conversation.id)
                return conversation

            moving = asyncio.ensure_future(asyncio.to_thread(move))
            try:
                conversation = await asyncio.shield(moving)
            except asyncio.CancelledError:
                # the move goes on in its thread: the session follows it before the turn ends
                session.conversation_id = (await moving).id
                raise
            session.conversation_id = conversation.id
            return commands.started(conversation, bool(rest), previous)
        if name == "reflect":
            session.reflecting = True
            try:
                return commands.reflected(await runtime.reflect(session.conversation_id,
                                                                session.agent_id))
            finally:
                session.reflecting = False
        if name == "doctor":
            if rest not in ("", "fix"):
                raise invalid("prompt", f"/doctor takes 'fix' or nothing, not {rest!r}")
            return commands.doctored(await doctor(runtime, rest == "fix", session.agent_id))
        if name == "sleeptime":
            if rest:
                changes = commands.sleeptime_changes(rest)
                return commands.slept(await asyncio.to_thread(
                    runtime.set_sleeptime, session.agent_id, changes))
            return commands.slept(await asyncio.to_thread(runtime.sleeptime, session.agent_id))
        if name == "agents":
            chosen = rest or None
            if chosen is not None:
                await asyncio.to_thread(runtime.switch_agent, chosen)
            return commands.listed(await asyncio.to_thread(runtime.agents.all),
                                   session.agent_id, chosen)
        return commands.initialized(await init(runtime))

    async def _stream(self, session: Session, events: AsyncIterator[Event]) -> PromptResponse:
        """Stream a turn's events as session updates; its stop reason (or error)."""
        done: Done | None = None
        error: ErrorEvent | None = None
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    await self._update(session.id, update_agent_message_text(event.text))
                elif isinstance(event, ToolCallStarted):
                    session.call_id = event.call_id
                    await self._update(session.id, updates.started(event))
                elif isinstance(event, ToolCallFinished):
                    session.call_id = None
                    session.last = (event.call_id, event.output)
                    await self._update(session.id, updates.finished(event))
                elif isinstance(event, MemoryCommit):
                    await self._update(session.id, await self._committed(
                        session, *session.last, event.commit, event.message))
                elif isinstance(event, MemoryWrite):
                    await self._update(session.id, updates.written(*session.last, event.paths))
                elif isinstance(event, Compaction):
                    await self._update(session.id, updates.summarized(
                        event.summarized_messages))
                elif isinstance(event, ErrorEvent):
                    error = event
                elif isinstance(event, Done):
                    done = event
        finally:
            session.call_id = None
            session.last = ("", "")
        assert done is not None
        if done.stop_reason == "error" and error is not None:
            hint = f" ({error.hint})" if error.hint else ""
            raise RequestError(REQUEST_FAILED, f"{error.message}{hint}",
                               {"code": error.code, "message": error.message,
                                "hint": error.hint})
        return PromptResponse(stop_reason=updates.STOP_REASONS.get(done.stop_reason,
                                                                   "end_turn"))

    # ----- permissions ---------------------------------------------------------------------
    async def approve(self, request: ApprovalRequest) -> Decision:
        """Ask the client about a memory edit of the session's turn."""
        session = self._of(request.conversation_id)
        if session is None or self.client is None:
            return Decision("reject", "no ACP session to ask about it")
        root = await asyncio.to_thread(self._root, session, request.tier)
        answer = await self.client.request_permission(
            session_id=session.id, options=permissions.options(request),
            tool_call=permissions.tool_call(request, session.call_id or request.id, root))
        return permissions.decision(answer.outcome)

    # ----- the client's view of files -------------------------------------------------------
    async def read(self, path: Path, conversation_id: str | None) -> str | None:
        """A workspace file as the client has it (unsaved edits included), for a client that
        offers ``fs/read_text_file``; None (read the disk) when it cannot answer."""
        session = self._of(conversation_id)
        if session is None or self.client is None:
            return None
        try:
            answer = await self.client.read_text_file(session_id=session.id, path=str(path))
        except (RequestError, ConnectionError) as exc:
            log.warning("the client could not read %s (%s); reading it from disk", path, exc)
            return None
        return answer.content

    @staticmethod
    def _root(session: Session, tier: str) -> Path:
        runtime = session.runtime
        if tier == "project":
            project = runtime.project_memory()
            return project.root if project is not None else Path(runtime.workspace or ".")
        return runtime.memory(runtime.agents.get(session.agent_id)).repo.root

    # ----- helpers -------------------------------------------------------------------------
    async def _runtime(self, cwd: str) -> Runtime:
        """The runtime of workspace ``cwd`` (settings and trust re-read)."""
        folder = Path(cwd)
        if not folder.is_absolute():
            raise invalid("cwd", f"must be an absolute path, got {cwd!r}")
        if not folder.is_dir():
            raise invalid("cwd", f"{cwd} is not a folder")
        folder = folder.resolve()
        async with self._lock:
            runtime = self._runtimes.get(folder)
            if runtime is None:
                runtime = await self._guard(asyncio.to_thread(Runtime, workspace=folder))
                runtime.spawn = self._spawn
                runtime.approver = self.approve
                runtime.on_reflection = self._reflected
                fs = self.client_capabilities.fs if self.client_capabilities else None
                if fs is not None and fs.read_text_file:
                    runtime.reader = self.read
                self._runtimes[folder] = runtime
            else:
                await asyncio.to_thread(runtime.reload_settings)
        for problem in runtime.report.problems:
            log.warning("%s", problem)
        return runtime

    def _session(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise invalid("sessionId", f"no session {session_id!r} here: start one with "
                          "session/new or resume it with session/load")
        return session

    def _of(self, conversation_id: str | None) -> Session | None:
        """The session whose turns go to ``conversation_id`` (the one running a turn first:
        after /new, a loaded session may share it)."""
        found = [s for s in self.sessions.values() if s.conversation_id == conversation_id]
        found.sort(key=lambda s: s.turn is None or s.turn.done())
        return found[0] if found else None

    async def _committed(self, session: Session, call_id: str, output: str, sha: str,
                         message: str) -> ToolCallProgress:
        runtime = session.runtime

        def changes() -> tuple[Path, list[history.FileChange]]:
            repo = runtime.memory(runtime.agents.get(session.agent_id)).repo
            return repo.root, history.file_changes(repo, sha)

        try:
            root, found = await asyncio.to_thread(changes)
        except MemfsError as exc:  # the commit is gone (history rewritten): say so, no diff
            log.warning("no diff for memory commit %s: %s", sha, exc)
            root, found = Path("."), []
        return updates.committed(call_id, output, sha, message, root, found)

    def _reflected(self, outcome: Outcome) -> None:
        """A background reflection ended: say how in its conversation's session."""
        session = self._of(outcome.conversation_id)
        if session is not None and not session.reflecting:
            self._spawn(self._update(session.id, updates.notice(commands.reflected(outcome))))

    async def _advertise(self, session_id: str) -> None:
        await self._update(session_id, update_available_commands(commands.available()))

    async def _update(self, session_id: str, update: Any) -> None:
        if self.client is not None:
            await self.client.session_update(session_id=session_id, update=update)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, T]) -> T:
        try:
            return await work
        except MemfsError as exc:
            raise refusal(exc) from None

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Background work of the runtime (titles, reflections), kept until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background work failed: %s", task.exception())


def prompt_text(blocks: list[Block]) -> str:
    """The user's message: text blocks, embedded text resources quoted with their URI,
    links to resources named (images and audio are not read)."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, TextContentBlock):
            parts.append(block.text)
        elif isinstance(block, EmbeddedResourceContentBlock) and isinstance(
                block.resource, TextResourceContents):
            parts.append(f"\n{block.resource.uri}:\n```\n{block.resource.text}\n```")
        elif isinstance(block, ResourceContentBlock):
            parts.append(f"[{block.name}]({block.uri})")
    text = "".join(parts)
    if not text.strip():
        raise invalid("prompt", "the message has no text: type something to send")
    return text
