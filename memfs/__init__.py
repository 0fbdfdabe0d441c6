"""MemFS: an agent's memory as a git-backed folder of markdown files (no LLM, no LSP)."""

from memfs.errors import MemfsError
from memfs.repo import MemoryRepo
from memfs.store import EditResult, MemoryStore

__all__ = ["EditResult", "MemfsError", "MemoryRepo", "MemoryStore"]
