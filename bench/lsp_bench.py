"""The language server over stdio, driven by pytest-lsp's client: ``initialize`` against a
bare pygls server, ``memfs/tree`` latency at rest and under three streaming chats, and chat
deltas per second against the same scripted reply streamed straight into httpx and litellm."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCResponseMessage
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from bench.agent_env import MODEL, agent_vars
from bench.corpus import corpus, git_env, write_files
from bench.one_shot import stream_same
from bench.report import Row, ms
from bench.timing import median
from memfs.home import DEFAULT_AGENT_ID, memory_dir
from testkit.model_server import Reply, ScriptedModel

OURS = [sys.executable, "-m", "lsp_server"]
BARE_SCRIPT = ('from pygls.lsp.server import LanguageServer\n'
               'server = LanguageServer("bare", "v1")\n'
               'server.start_io()\n')
INIT_TARGET = 1.5
TREE_P99_TARGET_S = 0.050
COLD_DELTA_TARGET = 4.0
MEMORY_FILES = 1_000
LOAD_CHATS = 3
LOAD_CHARS = 1500  # 300 deltas of 5 characters
LOAD_CHUNK_DELAY = 0.006
STREAM_CHARS = 2000  # 2,000 deltas of one character
NOTIFICATIONS = ("memfs/chatDelta", "memfs/status", "memfs/memoryChanged", "memfs/reflection")
PROMPT = {"role": "user", "content": "Stream a long answer."}
_CLEARED = ("OPENAI_API_KEY", "MEMFS_CONTEXT_WINDOW", "MEMFS_AGENT")
_ROUTINE_LOG = re.compile(rb"^\d{4}-\d\d-\d\d [\d:,]+ (INFO|WARNING) ")


@dataclass
class Session:
    """A started, initialized client and the text deltas it received (chat id, arrival)."""

    client: LanguageClient
    deltas: list[tuple[str, float]] = field(default_factory=list)
    first_delta: asyncio.Event = field(default_factory=asyncio.Event)

    def on_delta(self, params: Any) -> None:
        if _get(params, "kind") == "text":
            self.deltas.append((str(_get(params, "chatId")), time.perf_counter()))
            self.first_delta.set()


def _get(params: Any, key: str) -> Any:
    """A field of notification params (a dict, or the namedtuple pygls may build)."""
    return params.get(key) if isinstance(params, dict) else getattr(params, key, None)


@contextmanager
def server_env(root: Path, api_base: str) -> Iterator[None]:
    """Point the server (which inherits os.environ) at ``root`` and the model; restored after."""
    saved = dict(os.environ)
    os.environ.update(agent_vars(root, api_base))
    os.environ["MEMFS_NO_WORKER"] = "1"
    for key in _CLEARED:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def percentile(samples: list[float], pct: int) -> float:
    """The ``pct``-th percentile (inclusive method)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def prose(chars: int) -> str:
    """``chars`` characters of filler prose."""
    sentence = "The server streams each delta to the editor as soon as it arrives. "
    return (sentence * (chars // len(sentence) + 1))[:chars]


def is_reflection(request: dict[str, Any]) -> bool:
    """Whether a model request comes from the reflection subagent."""
    messages = request.get("messages") or [{}]
    return str(messages[0].get("content") or "").startswith("You are the reflection")


@dataclass
class Responder:
    """The scripted model's answers: ``chat`` to turns, a short text to reflections."""

    chat: Reply

    def __call__(self, request: dict[str, Any]) -> Reply:
        return Reply(text="Nothing new.") if is_reflection(request) else self.chat


class _Sieve:
    """Stands in for sys.stderr: pytest-lsp copies the server's stderr into ``.buffer``; its
    routine INFO/WARNING log lines are dropped, anything else (tracebacks) goes through."""

    def __init__(self, real: Any) -> None:
        self.real = real

    @property
    def buffer(self) -> _Sieve:
        return self

    def write(self, data: str | bytes) -> int:
        if isinstance(data, str):
            return int(self.real.write(data))
        if not _ROUTINE_LOG.match(data):
            self.real.buffer.write(data)
        return len(data)

    def flush(self) -> None:
        self.real.flush()


@contextmanager
def quiet_server_logs() -> Iterator[None]:
    """Drop the servers' routine log lines for the block."""
    real = sys.stderr
    sys.stderr = _Sieve(real)
    try:
        yield
    finally:
        sys.stderr = real


# ----- sessions ---------------------------------------------------------------------------------
async def start(command: list[str], workspace: Path) -> Session:
    """Start ``command`` and finish the initialize handshake."""
    client = await ClientServerConfig(server_command=command).start()
    if not isinstance(client, LanguageClient):
        raise TypeError(f"pytest-lsp started a {type(client).__name__}, not a LanguageClient")
    # Keep results as plain JSON objects, as an editor does: pygls's default turns every
    # object of a custom method's result into a namedtuple of a new type, which made a
    # 1,000-file memfs/tree cost the client ~0.7 s.
    client.protocol._converter.register_structure_hook(
        JsonRPCResponseMessage, lambda obj, cls: cls(**obj))
    session = Session(client)
    client.feature("memfs/chatDelta")(lambda params: session.on_delta(params))
    for method in NOTIFICATIONS[1:]:
        client.feature(method)(lambda params: None)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="project")]))
    return session


async def stop(session: Session) -> None:
    """Shut the server down cleanly."""
    await session.client.shutdown_session()
    await session.client.stop()


async def request(session: Session, method: str, params: Any) -> Any:
    """A custom request's result."""
    protocol = session.client.protocol
    return await protocol.send_request_async(method, params)


async def chat(session: Session, params: dict[str, Any]) -> Any:
    """A ``memfs/chat`` result; a turn that ended in an error invalidates the measurement."""
    result = await request(session, "memfs/chat", params)
    if _get(result, "error") is not None:
        raise RuntimeError(f"memfs/chat failed: {_get(result, 'error')}")
    return result


async def new_conversation(session: Session) -> str:
    """A fresh conversation's id (``memfs.newConversation``)."""
    result = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="memfs.newConversation", arguments=[{}]))
    return str(_get(result, "id"))


# ----- 1. initialize ----------------------------------------------------------------------------
async def time_initialize(command: list[str], workspace: Path) -> float:
    """Seconds from spawning the server to its initialize response."""
    started = time.perf_counter()
    session = await start(command, workspace)
    elapsed = time.perf_counter() - started
    await stop(session)
    return elapsed


async def bench_initialize(bare: list[str], workspace: Path, runs: int
                           ) -> tuple[list[float], list[float]]:
    """(ours, bare) samples, alternating which goes first, after one untimed warm-up each."""
    await time_initialize(OURS, workspace)
    await time_initialize(bare, workspace)
    ours: list[float] = []
    base: list[float] = []
    for i in range(runs):
        pair = [(OURS, ours), (bare, base)]
        for command, samples in pair if i % 2 == 0 else pair[::-1]:
            samples.append(await time_initialize(command, workspace))
    return ours, base


async def time_first_delta(workspace: Path) -> float:
    """Seconds from spawning our server to the first text delta of a chat sent at once."""
    started = time.perf_counter()
    session = await start(OURS, workspace)
    reply = asyncio.ensure_future(chat(session, {"text": "Hello."}))
    await session.first_delta.wait()
    elapsed = time.perf_counter() - started
    await reply
    await stop(session)
    return elapsed


async def bench_cold_delta(workspace: Path, model: ScriptedModel, runs: int
                           ) -> tuple[list[float], list[float]]:
    """(ours, baseline) wall seconds, interleaved: a cold server's first delta against a
    fresh python streaming the same request with httpx."""
    await time_first_delta(workspace)  # creates the memory and the database (untimed)
    body = workspace.parent / "first-request.json"
    body.write_text(json.dumps(next(r for r in reversed(model.requests)
                                    if not is_reflection(r))))
    ours: list[float] = []
    base: list[float] = []
    for i in range(runs):
        if i % 2:
            base.append(stream_same(body, model.url, dict(os.environ)).wall)
            ours.append(await time_first_delta(workspace))
        else:
            ours.append(await time_first_delta(workspace))
            base.append(stream_same(body, model.url, dict(os.environ)).wall)
    return ours, base


def cold_delta_row(ours: list[float], base: list[float]) -> Row:
    ratio = median(ours) / median(base)
    return Row("lsp: cold spawn -> first chat delta", ms(median(ours)), ms(median(base)), ratio,
               f"<= {COLD_DELTA_TARGET:g}x", ratio <= COLD_DELTA_TARGET,
               f"wall; baseline: a fresh python streaming the same request with httpx; "
               f"median of {len(ours)} each, alternating")


def initialize_rows(ours: list[float], base: list[float]) -> list[Row]:
    ratio = median(ours) / median(base)
    return [Row("lsp: initialize (spawn -> response)", ms(median(ours)), ms(median(base)),
                ratio, f"<= {INIT_TARGET:g}x", ratio <= INIT_TARGET,
                note=f"baseline: a bare pygls LanguageServer started the same way; "
                     f"median of {len(ours)} each, alternating")]


# ----- 2. memfs/tree latency --------------------------------------------------------------------
async def grow_memory(session: Session, root: Path, count: int) -> int:
    """Commit ``count`` corpus files into the agent's memory (as another process would) and
    wait until ``memfs/tree`` lists them; returns how many files the tree shows."""
    memory = memory_dir(DEFAULT_AGENT_ID, root / "home")
    write_files(memory, corpus(count))
    for args in (["add", "-A"], ["commit", "-q", "-m", "bench: a grown memory"]):
        subprocess.run(["git", *args], cwd=memory, env=git_env(), check=True,
                       capture_output=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the server sees the commit through its watcher
        files = len(_get(await request(session, "memfs/tree", {}), "files"))
        if files >= count:
            return files
        await asyncio.sleep(0.1)
    raise RuntimeError(f"memfs/tree never listed the {count} files committed to {memory}")


async def tree_once(session: Session) -> float:
    """Seconds one ``memfs/tree`` round trip takes."""
    started = time.perf_counter()
    await request(session, "memfs/tree", {})
    return time.perf_counter() - started


async def tree_at_rest(session: Session, count: int) -> list[float]:
    """``count`` sequential tree requests on an idle server."""
    return [await tree_once(session) for _ in range(count)]


async def tree_under_load(session: Session) -> tuple[list[float], float]:
    """Back-to-back tree requests while ``LOAD_CHATS`` chats stream; (samples, chat seconds)."""
    ids = [await new_conversation(session) for _ in range(LOAD_CHATS)]
    started = time.perf_counter()
    chats = asyncio.gather(*(chat(session, {"text": "Go on.", "conversationId": cid})
                             for cid in ids))
    samples: list[float] = []
    while not chats.done():
        samples.append(await tree_once(session))
    await chats
    return samples, time.perf_counter() - started


def tree_row(label: str, samples: list[float], note: str = "") -> Row:
    """p50 / p99 of tree round trips against the p99 target."""
    p99 = percentile(samples, 99)
    return Row(f"lsp: memfs/tree p50/p99, {label}",
               f"{ms(percentile(samples, 50))} / {ms(p99)}", "-", None,
               f"p99 < {TREE_P99_TARGET_S * 1000:g} ms", p99 < TREE_P99_TARGET_S, note)


def tree_rows(rest: list[float], load: list[float], chat_seconds: float, files: int,
              cpu: float, client_cpu: float) -> list[Row]:
    note = (f"a {files}-file memory; {len(rest)} requests at rest, {len(load)} back to back "
            f"while the chats streamed {LOAD_CHARS // 5} deltas each for {chat_seconds:.1f} s; "
            f"at rest the server spent {ms(cpu)} of CPU per request and the bench client "
            f"{ms(client_cpu)} (parsing the answer) (wall latency on this shared machine "
            "follows its load)")
    return [tree_row("at rest", rest), tree_row(f"+{LOAD_CHATS} chats", load, note)]


@contextmanager
def frozen_client_heap() -> Iterator[None]:
    """Keep this process's own heap (pytest-lsp, the scripted model server, every module
    imported) out of its collector's full passes while tree round trips are timed. Each
    ~0.5 MB answer the client parses promotes thousands of objects, and the full collections
    that followed every ~30 requests walked that whole heap: 60-110 ms pauses of the bench
    client, not the server, that made the tree's p99. Objects made while timing are still
    collected."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def server_cpu(session: Session) -> float:
    """CPU seconds the server process has used so far (user + system, from /proc)."""
    pid = session.client._server.pid  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----- 3. delta throughput ----------------------------------------------------------------------
def delta_span(deltas: list[tuple[str, float]]) -> tuple[int, float]:
    """(text deltas of the newest chat, seconds from its first to its last)."""
    chat_id = deltas[-1][0]
    times = [t for c, t in deltas if c == chat_id]
    return len(times), times[-1] - times[0]


async def delivered(session: Session) -> tuple[int, float]:
    """One long chat through the server: (text deltas received, first-to-last seconds)."""
    session.deltas.clear()
    await chat(session, {"text": PROMPT["content"]})
    return delta_span(session.deltas)


async def produced(url: str) -> tuple[int, float]:
    """The same reply streamed straight into httpx: (content deltas, first-to-last seconds)."""
    import httpx

    body = {"model": MODEL.split("/", 1)[1], "stream": True, "messages": [PROMPT]}
    times: list[float] = []
    async with httpx.AsyncClient(timeout=60) as http, http.stream(
            "POST", f"{url}/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            if choices[0].get("delta", {}).get("content"):
                times.append(time.perf_counter())
    return len(times), times[-1] - times[0]


async def via_litellm(url: str) -> tuple[int, float]:
    """The same reply through a bare ``litellm.acompletion`` stream (what the agent calls)."""
    from agent import llm

    response = await llm.litellm().acompletion(model=MODEL, api_base=url, api_key="sk-x",
                                               stream=True, messages=[PROMPT])
    times: list[float] = []
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            times.append(time.perf_counter())
    return len(times), times[-1] - times[0]


Span = tuple[int, float]


async def bench_throughput(session: Session, url: str, runs: int
                           ) -> tuple[list[Span], list[Span], list[Span]]:
    """(ours, httpx, litellm) samples, rotating the order; the baselines get one untimed run
    each first (the server is already warm from the earlier chats)."""
    samples: list[list[Span]] = [[], [], []]
    steps: tuple[Callable[[], Awaitable[Span]], ...] = (
        lambda: delivered(session), lambda: produced(url), lambda: via_litellm(url))
    for step in steps[1:]:
        await step()
    for i in range(runs):
        for k in range(3):
            j = (i + k) % 3
            samples[j].append(await steps[j]())
    return samples[0], samples[1], samples[2]


def throughput_rows(ours: list[Span], raw: list[Span], lite: list[Span]) -> list[Row]:
    mine = median([n / s for n, s in ours])
    rows = []
    for label, reader, base in (("raw SSE", "httpx", raw), ("litellm", "litellm", lite)):
        direct = median([n / s for n, s in base])
        rows.append(Row(f"lsp: chat deltas/s vs {label}", f"{mine:,.0f}/s", f"{direct:,.0f}/s",
                        mine / direct, note=f"ours: {ours[0][0]} memfs/chatDelta text "
                        f"notifications, first to last; baseline: {base[0][0]} deltas of the "
                        f"same reply streamed into {reader}; median of {len(ours)}"))
    return rows


# ----- driver -----------------------------------------------------------------------------------
async def _measure(root: Path, model: ScriptedModel, quick: bool) -> list[Row]:
    workspace = root / "workspace"
    workspace.mkdir()
    bare_path = root / "bare_server.py"
    bare_path.write_text(BARE_SCRIPT)
    ours, base = await bench_initialize([sys.executable, str(bare_path)], workspace,
                                        3 if quick else 7)
    rows = initialize_rows(ours, base)
    responder = Responder(Reply(text="Warm."))
    model.responder = responder
    rows.append(cold_delta_row(*await bench_cold_delta(workspace, model, 3 if quick else 7)))
    session = await start(OURS, workspace)
    try:
        await chat(session, {"text": "Hello."})  # creates the memory repo and database
        files = await grow_memory(session, root, MEMORY_FILES)
        await tree_at_rest(session, 20)
        responder.chat = Reply(text=prose(LOAD_CHARS), chunk_chars=5,
                               chunk_delay=LOAD_CHUNK_DELAY)
        with frozen_client_heap():
            cpu, client_cpu = server_cpu(session), time.process_time()
            rest = await tree_at_rest(session, 50 if quick else 200)
            cpu = (server_cpu(session) - cpu) / len(rest)
            client_cpu = (time.process_time() - client_cpu) / len(rest)
            load, chat_seconds = await tree_under_load(session)
        rows += tree_rows(rest, load, chat_seconds, files, cpu, client_cpu)
        responder.chat = Reply(text=prose(STREAM_CHARS), chunk_chars=1)
        rows += throughput_rows(*await bench_throughput(session, model.url, 1 if quick else 3))
    finally:
        await stop(session)
    return rows


def run(quick: bool) -> list[Row]:
    """Every LSP row; data lives in a temporary folder removed at the end."""
    with tempfile.TemporaryDirectory(prefix="memfs-lsp-bench-") as tmp, \
            ScriptedModel() as model, server_env(Path(tmp), model.url), quiet_server_logs():
        return asyncio.run(_measure(Path(tmp), model, quick))
