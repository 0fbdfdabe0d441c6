"""Typed errors raised by the memory store.

Every error carries a stable ``code`` (for JSON output and LSP error data), a message
that says what went wrong, and a ``hint`` that says how to fix it.
"""

from __future__ import annotations


class MemfsError(Exception):
    """Base class for every refusal the memory store makes."""

    code = "memfs-error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: code, message and hint."""
        return {"code": self.code, "message": self.message, "hint": self.hint}


class InvalidPath(MemfsError):
    code = "invalid-path"


class NotFound(MemfsError):
    code = "not-found"


class AlreadyExists(MemfsError):
    code = "already-exists"


class NameClash(MemfsError):
    code = "name-clash"


class InvalidFrontmatter(MemfsError):
    code = "invalid-frontmatter"


class ReadOnly(MemfsError):
    code = "read-only"


class OverLimit(MemfsError):
    code = "over-limit"


class NoOpEdit(MemfsError):
    code = "no-op-edit"


class MatchError(MemfsError):
    code = "match-error"


class SecretDetected(MemfsError):
    code = "secret-detected"


class LockTimeout(MemfsError):
    code = "busy"


class GitError(MemfsError):
    code = "git-error"


class SyncConflict(MemfsError):
    code = "sync-conflict"


class InvalidArgument(MemfsError):
    code = "invalid-argument"
