"""A warm worker for one-shot ``memfs chat``: a background process that has already imported
the agent (and litellm, once a model that needs it has run) and runs turns for later
invocations over a Unix socket.

One worker serves one data home and one environment (its socket name is a hash of both), so
a turn always runs with exactly the settings and API keys of the shell that asked for it;
``memfs worker status|stop`` see every worker of the data home (asking each over its socket). It
exits after ``MEMFS_WORKER_IDLE`` seconds without work (default 600). ``MEMFS_NO_WORKER=1``
turns it off. The socket lives in a private folder (mode 0700) under the runtime directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memfs.errors import MemfsError
from memfs.home import memfs_home

IDLE_SECONDS = 600.0
START_TIMEOUT = 30.0
_VOLATILE = ("PWD", "OLDPWD", "SHLVL", "_", "COLUMNS", "LINES", "TERM", "PS1", "PROMPT_COMMAND")


def enabled() -> bool:
    """False when the user turned the worker off with MEMFS_NO_WORKER."""
    return os.environ.get("MEMFS_NO_WORKER", "") in ("", "0")


def _home_key(home: Path | None = None) -> str:
    return str((home or memfs_home()).resolve())


def socket_folder() -> Path:
    """The private folder of this user's worker sockets."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = Path(base) / f"memfs-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def socket_path(home: Path | None = None) -> Path:
    """The worker socket for this data home and this environment."""
    env = {k: v for k, v in os.environ.items() if k not in _VOLATILE}
    digest = hashlib.sha256(json.dumps([str(home or memfs_home()), sorted(env.items())])
                            .encode()).hexdigest()[:16]
    return socket_folder() / f"worker-{digest}.sock"


@dataclass(frozen=True)
class WorkerInfo:
    """A running worker of this data home."""

    pid: int
    socket: Path
    current: bool  # it serves this environment


def workers(home: Path | None = None) -> list[WorkerInfo]:
    """Every running worker of this data home, whatever environment it serves."""
    current = socket_path(home)
    found: list[WorkerInfo] = []
    for path in sorted(socket_folder().glob("worker-*.sock")):
        conn = _try_connect(path)
        if conn is None:
            continue
        with conn:
            info = next(iter(request(conn, {"op": "info"})), {})
        if info.get("home") == _home_key(home) and isinstance(info.get("pid"), int):
            found.append(WorkerInfo(int(info["pid"]), path, path == current))
    return found


# ----- client -------------------------------------------------------------------------------------
def connect(start: bool = True) -> socket.socket | None:
    """A connection to this environment's worker, starting one when needed; None on failure."""
    path = socket_path()
    conn = _try_connect(path)
    if conn is not None or not start:
        return conn
    log = path.with_suffix(".log")
    with open(log, "ab") as handle:
        subprocess.Popen([sys.executable, "-m", "memfs_cli.worker", str(path)],
                         stdin=subprocess.DEVNULL, stdout=handle, stderr=handle,
                         start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        conn = _try_connect(path)
        if conn is not None:
            return conn
        time.sleep(0.02)
    return None


def _try_connect(path: Path) -> socket.socket | None:
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def request(conn: socket.socket, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Send one chat request and yield the worker's events as dicts."""
    conn.sendall(json.dumps(payload).encode() + b"\n")
    with conn.makefile("rb") as stream:
        for line in stream:
            yield json.loads(line)


def answer(conn: socket.socket, request_id: str, decision: dict[str, Any]) -> None:
    """Send the user's decision on an approval the worker asked for."""
    conn.sendall(json.dumps({"approval": request_id, **decision}).encode() + b"\n")


def stop(home: Path | None = None) -> list[WorkerInfo]:
    """Ask every worker of this data home to exit; returns those asked."""
    stopped = workers(home)
    for worker in stopped:
        conn = _try_connect(worker.socket)
        if conn is not None:
            with conn:
                for _ in request(conn, {"op": "stop"}):
                    pass
    return stopped


# ----- server -------------------------------------------------------------------------------------
class Worker:
    """The worker process: accepts chat requests, streams events back."""

    def __init__(self, path: Path, idle: float) -> None:
        self.path = path
        self.idle = idle
        self.active = 0
        self.last = time.monotonic()
        self.inode = 0
        self.done = asyncio.Event()

    async def serve(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        server = await asyncio.start_unix_server(self.handle, path=str(self.path))
        os.chmod(self.path, 0o600)
        self.inode = self.path.stat().st_ino
        watchdog = asyncio.create_task(self.watch())
        try:
            await self.done.wait()
        finally:
            watchdog.cancel()
            server.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self.idle))
            if not self.active and time.monotonic() - self.last > self.idle:
                self.done.set()
            try:
                replaced = self.path.stat().st_ino != self.inode
            except FileNotFoundError:
                replaced = True
            if replaced:  # another worker took over the socket, or it was removed
                self.done.set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.active += 1
        try:
            line = await reader.readline()
            payload = json.loads(line or b"{}")
            if payload.get("op") == "stop":
                self.done.set()
                return
            if payload.get("op") == "info":
                writer.write(json.dumps({"pid": os.getpid(), "home": _home_key(),
                                         "socket": str(self.path)}).encode() + b"\n")
                await writer.drain()
                return
            answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
            turn = asyncio.create_task(self.chat(payload, writer, answers))
            # the client's answers to approvals; EOF: the client went away (Ctrl-C)
            hangup = asyncio.create_task(self.listen(reader, answers))
            finished, _ = await asyncio.wait({turn, hangup}, return_when=asyncio.FIRST_COMPLETED)
            if turn not in finished:
                turn.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await turn
            hangup.cancel()
        finally:
            self.active -= 1
            self.last = time.monotonic()
            with contextlib.suppress(ConnectionError):
                writer.close()

    @staticmethod
    async def listen(reader: asyncio.StreamReader,
                     answers: dict[str, asyncio.Future[dict[str, Any]]]) -> None:
        """Hand the client's approval answers to the questions waiting for them, until the
        client closes its end."""
        while line := await reader.readline():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            waiting = answers.pop(str(data.get("approval")), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(data)

    async def chat(self, payload: dict[str, Any], writer: asyncio.StreamWriter,
                   answers: dict[str, asyncio.Future[dict[str, Any]]]) -> None:
        from agent.approval import ApprovalRequest, Decision
        from agent.runtime import Runtime
        from memfs_cli.agent_commands import warnings
        from memfs_cli.approval import decision_of, request_dict
        from memfs_cli.background import spawn_reflection

        async def send(data: dict[str, Any]) -> None:
            writer.write(json.dumps(data).encode() + b"\n")
            await writer.drain()

        async def approve(request: ApprovalRequest) -> Decision:
            waiting = answers[request.id] = asyncio.get_running_loop().create_future()
            await send({"kind": "approval", **request_dict(request)})
            return decision_of(await waiting)

        try:
            workspace = payload.get("workspace")
            runtime = Runtime(workspace=Path(workspace) if workspace else None)
            runtime.detach = spawn_reflection
            runtime.approver = approve if payload.get("interactive") else None
            for note in warnings(runtime):
                await send({"kind": "warning", "message": note})
            async for event in runtime.chat(payload["text"], payload.get("conversation"),
                                            payload.get("agent"), bool(payload.get("new"))):
                await send(event.to_dict())
        except MemfsError as exc:
            await send({"kind": "refusal", "message": str(exc)})
        except Exception as exc:  # report, never crash the worker
            await send({"kind": "refusal", "message": f"the worker failed: {exc}"})


def main() -> None:
    """``python -m memfs_cli.worker SOCKET``."""
    idle = float(os.environ.get("MEMFS_WORKER_IDLE") or IDLE_SECONDS)
    asyncio.run(Worker(Path(sys.argv[1]), idle).serve())


if __name__ == "__main__":
    main()
