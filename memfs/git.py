"""The one place git runs: the git CLI in a subprocess, with an environment we control (and
no stdin: a language server's stdin is its protocol stream).

Commits never depend on the user's global git config: identity, signing, hooks and line-ending
conversion are fixed in the memory repo's own config (see ``REPO_CONFIG``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from memfs.errors import GitError

REPO_CONFIG: dict[str, str] = {
    "commit.gpgsign": "false",
    "tag.gpgsign": "false",
    "core.autocrlf": "false",
    "core.safecrlf": "false",
    "core.hooksPath": "/dev/null",
    "core.quotepath": "false",
    "core.fsmonitor": "false",
    "core.precomposeunicode": "true",
    "pull.rebase": "false",
}

_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "LC_ALL": "C",
    "LANGUAGE": "C",
}


class Git:
    """Runs git in one repository and returns stdout as bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        ok_codes: tuple[int, ...] = (0,),
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """Run ``git ARGS`` in the repo; raise GitError unless the exit code is in ``ok_codes``."""
        status, out, err = self.run_full(*args, input=input, env=env)
        if status not in ok_codes:
            raise self._error(args, status, err or out.decode("utf-8", "replace"))
        return out

    def run_full(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        """Run git and return (exit code, stdout bytes, stderr text) without raising.

        With ``input``, it and stderr go through anonymous temporary files, so stdout is read
        in one pass (``communicate`` would poll three pipes and feed the input 512 bytes at a
        time: a large ``cat-file --batch`` paid for that)."""
        merged = {**os.environ, **_ENV, **(env or {})}
        if input is None:
            code, out, err_bytes = self._spawn(args, merged, subprocess.DEVNULL,
                                               subprocess.PIPE)
        else:
            import tempfile  # loaded by a write, not by a read such as 'memory status'

            with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
                stdin.write(input)
                stdin.seek(0)
                code, out, _ = self._spawn(args, merged, stdin, stderr)
                stderr.seek(0)
                err_bytes = stderr.read()
        return code, out, err_bytes.decode("utf-8", "replace").removesuffix("\n")

    def _spawn(self, args: tuple[str, ...], env: Mapping[str, str], stdin: int | IO[bytes],
               stderr: int | IO[bytes]) -> tuple[int, bytes, bytes]:
        try:
            done = subprocess.run(["git", *args], cwd=self.root, env=env, stdin=stdin,
                                  stdout=subprocess.PIPE, stderr=stderr, check=False)
        except FileNotFoundError as exc:  # pragma: no cover - git missing on the machine
            raise GitError("git is not installed or not on PATH", "install git >= 2.28") from exc
        return done.returncode, done.stdout, done.stderr or b""

    def text(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run git and decode stdout as UTF-8."""
        return self.run(*args, ok_codes=ok_codes).decode("utf-8", "replace")

    @staticmethod
    def _error(args: tuple[str, ...], status: int, output: str) -> GitError:
        detail = output.strip().splitlines()[-1] if output.strip() else f"exit code {status}"
        return GitError(
            f"git {args[0]} failed: {detail}",
            "run 'memfs memory status' to inspect the memory repo",
        )
