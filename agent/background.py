"""Background work that must not slow the user's turns: one worker thread at a lowered OS
priority (``NICENESS`` above the process's on Linux, where a thread has its own priority and
the git processes it starts inherit it).

A reflection's git steps (worktree add and remove, its tool edits, the checks before a merge)
run here, so while a chat turn streams, the machine's cores go to the turn first. Work that
holds a lock the foreground also takes (the merge into ``main``) or that spends long stretches
in Python (holding the GIL at low priority would make the foreground wait for it) does not
belong here.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

log = logging.getLogger("memfs.background")
# Set (in its own task's context) while a reflection runs: its model calls then take their
# own connections (agent.openai_http), so a turn never finds its warm connection taken.
ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("memfs_background", default=False)
NICENESS = 10
THREAD_NAME = "memfs-background"
_P = ParamSpec("_P")
_T = TypeVar("_T")
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _lower_priority() -> None:
    """Lower this worker thread's priority (Linux only: elsewhere the call would lower the
    whole process)."""
    if sys.platform != "linux":
        return
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread)
                       + NICENESS)
    except OSError as exc:  # not allowed here (a sandbox): the work still runs
        log.info("background work runs at normal priority: %s", exc)


def _worker() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME,
                                           initializer=_lower_priority)
        return _executor


async def run(fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """``fn(*args, **kwargs)`` on the background worker (one at a time, in order); like
    ``asyncio.to_thread``, the call sees the caller's context variables, and a cancelled
    caller stops waiting while the call runs to its end."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_worker(), call)
