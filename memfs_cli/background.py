"""Reflections the command line starts run in a detached process (its own session, so it
outlives the ``memfs`` command, the REPL and the warm worker that started it). Its output is
appended to ``$MEMFS_HOME/logs/reflections.log``; its outcome is recorded in the data home
(``memfs reflect --status``, ``memfs status``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent.runtime import ReflectionJob

LOG = Path("logs") / "reflections.log"


def spawn_reflection(job: ReflectionJob) -> int:
    """Start ``memfs reflect`` for the job in the background; returns its process id."""
    command = [sys.executable, "-m", "memfs_cli.main", "--agent", job.agent_id, "reflect",
               "--conversation", job.conversation_id, "--trigger", job.trigger,
               "--run", str(job.run_id)]
    if job.workspace is not None:
        command += ["--workspace", str(job.workspace)]
    log = job.home / LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MEMFS_HOME": str(job.home), "MEMFS_NO_WORKER": "1"}
    with open(log, "ab") as handle:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle,
                                   stderr=handle, env=env, start_new_session=True)
    return process.pid
