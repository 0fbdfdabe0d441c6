"""Reflection, the "dream" subagent: consolidates the unreflected part of a conversation into
memory, in the background, in a git worktree on its own branch, then merges into ``main``.

Outcomes are named values; every failure leaves ``main`` untouched and the conversation's
cursor where it was, so the slice is retried later. At most one reflection per agent runs at a
time across processes (a file lock); further requests wait their turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent import background
from agent.conversations import Conversation, Conversations, StoredMessage, message_text
from agent.model import ModelConfig
from agent.settings import Settings
from agent.subagent import MEMORY_TOOLS, run_subagent
from agent.tools import ToolContext
from memfs.errors import SecretDetected
from memfs.home import agent_dir
from memfs.projection import project
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore
from memfs.tokens import estimate_text_tokens

log = logging.getLogger("memfs.reflection")
BRANCH_PREFIX = "memfs/reflection/"
SLICE_TOKENS = 12_000
MAX_MESSAGES = 5000  # messages one reflection looks at, at most
FIRST_PAGE = 50  # messages read at first (then twice as many at a time)
LOCK_TIMEOUT = 900.0
PREFIX = "chore(reflection):"

INSTRUCTIONS = """\
You are the reflection ("dream") subagent of {agent_name}, a coding agent with persistent
memory. You run in the background after a stretch of conversation. Read the transcript below
and consolidate what is worth keeping into memory, using only the memory tools.

Extract, in this order of priority: corrections of the agent's behaviour, the user's
preferences, durable facts about the user and their projects, contradictions with what memory
says (fix memory), and procedures that worked. Prefer editing existing files over creating new
ones; keep system/ small and current; move retired or superseded text to archive/ rather than
deleting it; never store secrets. Give each edit a short reason. If nothing is worth keeping,
make no edit and say so.

# Current memory
{memory}
"""


@dataclass
class Outcome:
    """How a reflection ended."""

    # merged | review | no_changes | nothing_new | conflict | dirty | busy_review | refused
    status: str
    message: str
    agent_id: str
    conversation_id: str
    messages: int = 0
    commit: str | None = None
    files: list[str] = field(default_factory=list)
    branch: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Progress:
    """Callbacks a host (the language server) uses to show progress."""

    begin: Callable[[str], None] = lambda message: None
    report: Callable[[str], None] = lambda message: None
    end: Callable[[str], None] = lambda message: None


def transcript_slice(messages: Iterable[StoredMessage], budget: int = SLICE_TOKENS
                     ) -> tuple[str, int, int]:
    """(transcript text, messages included, id of the last one) within ``budget`` tokens,
    oldest first (the rest waits for the next reflection; ``messages`` is read no further
    than the first message left out)."""
    lines: list[str] = []
    used = 0
    last = 0
    count = 0
    for m in messages:
        text = message_text(m.body)
        if m.role == "tool":
            text = f"(tool result) {text[:400]}"
        if not text:
            last = m.id
            continue
        line = f"[{m.id}] {m.role}: {text}"
        cost = estimate_text_tokens(line)
        if lines and used + cost > budget:
            break
        lines.append(line)
        used += cost
        last = m.id
        count += 1
    return "\n".join(lines), count, last


def unreflected(conversations: Conversations, conversation_id: str, cursor: int,
                limit: int = MAX_MESSAGES, page: int = FIRST_PAGE) -> Iterator[StoredMessage]:
    """The conversation's first ``limit`` messages after ``cursor``, read a page at a time,
    each page twice the last (a slice needs only its first few dozen; decoding thousands
    would hold the interpreter while a chat turn wants it)."""
    while limit > 0:
        size = min(page, limit)
        rows = conversations.messages(conversation_id, cursor, size)
        yield from rows
        if len(rows) < size:
            return
        limit, cursor, page = limit - size, rows[-1].id, page * 2


def read_slice(conversations: Conversations, conversation_id: str, cursor: int
               ) -> tuple[str, int, int]:
    """``transcript_slice`` of the messages after ``cursor``."""
    return transcript_slice(unreflected(conversations, conversation_id, cursor))


class Reflections:
    """Runs reflections for one data home."""

    def __init__(self, conversations: Conversations, home: Path) -> None:
        self.conversations = conversations
        self.home = home
        self._locks: dict[str, asyncio.Lock] = {}

    def review_file(self, agent_id: str) -> Path:
        return review_file(self.home, agent_id)

    async def reflect(
        self, agent_id: str, agent_name: str, conversation_id: str, memory: MemoryStore,
        config: ModelConfig, settings: Settings, merge: str = "auto",
        progress: Progress | None = None,
    ) -> Outcome:
        """Reflect on the conversation's unreflected messages."""
        progress = progress or Progress()
        lock = self._locks.setdefault(agent_id, asyncio.Lock())
        async with lock:
            from filelock import FileLock

            # taken in a worker thread, released here: not a per-thread lock
            file_lock = FileLock(str(agent_dir(agent_id, self.home) / "reflection.lock"),
                                 timeout=LOCK_TIMEOUT, thread_local=False)
            await asyncio.to_thread(file_lock.acquire)
            marked = background.ACTIVE.set(True)
            try:
                return await self._reflect(agent_id, agent_name, conversation_id, memory,
                                           config, settings, merge, progress)
            finally:
                background.ACTIVE.reset(marked)
                file_lock.release()

    async def _reflect(
        self, agent_id: str, agent_name: str, conversation_id: str, memory: MemoryStore,
        config: ModelConfig, settings: Settings, merge: str, progress: Progress,
    ) -> Outcome:
        await background.run(clean_stale_worktrees, memory.repo, self.home, agent_id)
        conversation = await asyncio.to_thread(self.conversations.get, conversation_id)
        base = Outcome("nothing_new", "", agent_id, conversation_id)
        if self.review_file(agent_id).exists():
            base.status, base.message = "busy_review", "a reflection is waiting for review"
            return base
        text, count, last_id = await asyncio.to_thread(
            read_slice, self.conversations, conversation.id, conversation.reflection_cursor)
        base.messages = count
        if not count:
            await asyncio.to_thread(self.conversations.set_reflection, conversation.id,
                                    last_id or conversation.reflection_cursor)
            base.message = "nothing new to reflect on"
            return base
        progress.begin(f"Reflecting on {count} messages")
        branch = f"{BRANCH_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        worktree = agent_dir(agent_id, self.home) / "worktrees" / branch.rsplit("/", 1)[-1]
        keep_branch = False
        try:
            await background.run(_add_worktree, memory.repo, worktree, branch)
            work = MemoryStore(MemoryRepo(worktree))
            progress.report("reading memory")
            block = (await asyncio.to_thread(project, work.repo)).text
            ctx = ToolContext(work, self.conversations, agent_id, None,
                              settings.tool_output_limit, commit_prefix=PREFIX,
                              tools=MEMORY_TOOLS, archive_deletes=True)
            progress.report("consolidating")
            result = await run_subagent(
                config, settings, INSTRUCTIONS.format(agent_name=agent_name, memory=block),
                f"Transcript of conversation {conversation.id} since the last reflection:\n\n"
                f"{text}", ctx, on_step=progress.report, run_tool=background.run)
            outcome = await background.run(_unmerged, memory.repo, work.repo, branch, merge,
                                           base)
            if outcome is None:
                outcome = await asyncio.to_thread(_merged, memory.repo, branch, base, result.text)
            keep_branch = outcome.status == "review"
            if outcome.status == "review":
                self.review_file(agent_id).write_text(json.dumps(
                    {"branch": branch, "conversation": conversation.id, "cursor": last_id}))
            cursor = last_id if outcome.status in ("merged", "no_changes") else None
            await asyncio.to_thread(self.conversations.set_reflection, conversation.id, cursor)
            return outcome
        finally:
            await background.run(_remove_worktree, memory.repo, worktree, branch, keep_branch)

    async def review(self, agent_id: str, memory: MemoryStore, accept: bool | None
                     ) -> dict[str, Any]:
        """Show the pending reflection's diff; accept merges it, reject drops it."""
        path = self.review_file(agent_id)
        if not path.exists():
            return {"pending": False}
        state = json.loads(path.read_text())
        branch = state["branch"]
        diff = await asyncio.to_thread(memory.repo.git.text, "diff", f"main...{branch}")
        if accept is None:
            return {"pending": True, "branch": branch, "diff": diff}
        commit = None
        if accept:
            try:
                commit = await asyncio.to_thread(merge_branch, memory.repo, branch,
                                                 "reviewed reflection")
            except SecretDetected as exc:
                return {"pending": True, "branch": branch, "diff": diff,
                        "error": f"{exc.message}; reject it"}
            if commit is None:
                return {"pending": True, "branch": branch, "diff": diff,
                        "error": "the reflection no longer merges cleanly; reject it"}
        await asyncio.to_thread(self.conversations.set_reflection, state["conversation"],
                                state["cursor"])
        await asyncio.to_thread(memory.repo.git.run, "branch", "-D", branch)
        path.unlink()
        return {"pending": False, "accepted": bool(accept), "commit": commit}


def _unmerged(main: MemoryRepo, work: MemoryRepo, branch: str, merge: str, base: Outcome
              ) -> Outcome | None:
    """How a reflection ends without a merge (unfinished edits, no change, review), else None
    with ``base.files`` set: the branch is to be merged."""
    base.branch = branch
    if work.dirty_paths():
        base.status, base.message = "dirty", "will retry later (unfinished edits)"
        return base
    files = [p for p in main.git.text("diff", "--name-only", "-z", f"main...{branch}")
             .split("\0") if p]
    if not files:
        base.status, base.message = "no_changes", "no changes needed"
        return base
    base.files = files
    if merge == "review":
        base.status = "review"
        base.message = f"{len(files)} memory files changed; waiting for review"
        return base
    return None


def _merged(main: MemoryRepo, branch: str, base: Outcome, summary: str) -> Outcome:
    """Merge the reflection's branch (at normal priority: it holds the memory's write lock,
    which the user's own turns take too)."""
    try:
        merged = merge_branch(main, branch, summary)
    except SecretDetected as exc:
        base.status, base.message = "refused", exc.message
        return base
    if merged is None:
        base.status, base.message = "conflict", "will retry later (memory changed meanwhile)"
        return base
    base.status, base.commit = "merged", merged
    count = len(base.files)
    base.message = f"updated {count} memory file{'s' if count != 1 else ''}"
    return base


def review_file(home: Path, agent_id: str) -> Path:
    """Where a reflection waiting for review (merge: review) is recorded."""
    return agent_dir(agent_id, home) / "reflection-review.json"


def merge_branch(repo: MemoryRepo, branch: str, summary: str) -> str | None:
    """Merge ``branch`` into main (fast-forward, else a merge commit); None on a conflict.
    The branch's commits are checked by the secret guard first (SecretDetected names the
    commit and path); the merge subject, taken from the model's summary, is redacted."""
    from memfs.guard import check_incoming
    from memfs.secrets import redact

    with repo.locked():
        check_incoming(repo.git, [branch, "^main"], "the reflection",
                       "the reflection is dropped and retried later; nothing was merged")
        code, _, _ = repo.git.run_full("merge", "--ff-only", "-q", branch)
        if code == 0:
            return repo.head()
        first = (summary.strip().splitlines() or ["consolidated conversation"])[0]
        code, _, _ = repo.git.run_full("merge", "--no-ff", "-q", "-m",
                                       f"merge(reflection): {redact(first)[0][:72]}", branch)
        if code != 0:
            repo.git.run_full("merge", "--abort")
            return None
        return repo.head()


def _add_worktree(repo: MemoryRepo, path: Path, branch: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    repo.git.run("worktree", "add", "-q", "-b", branch, str(path), "main")


def _remove_worktree(repo: MemoryRepo, path: Path, branch: str, keep_branch: bool) -> None:
    code, _, _ = repo.git.run_full("worktree", "remove", "--force", str(path))
    if code != 0:  # half made, or its folder already gone: clear both and git's record
        shutil.rmtree(path, ignore_errors=True)
        repo.git.run_full("worktree", "prune")
    if not keep_branch:
        repo.git.run_full("branch", "-D", branch)


def clean_stale_worktrees(repo: MemoryRepo, home: Path, agent_id: str) -> None:
    """Remove worktrees and branches a killed reflection left (keeping one awaiting review)."""
    folder = agent_dir(agent_id, home) / "worktrees"
    if folder.is_dir():
        for stale in folder.iterdir():
            shutil.rmtree(stale, ignore_errors=True)
    repo.git.run_full("worktree", "prune")
    review = review_file(home, agent_id)
    keep = json.loads(review.read_text())["branch"] if review.exists() else None
    out = repo.git.text("for-each-ref", "--format=%(refname:short)", f"refs/heads/{BRANCH_PREFIX}")
    for branch in out.split():
        if branch != keep:
            repo.git.run_full("branch", "-D", branch)


def due(conversation: Conversation, trigger: str, step_count: int, compacted: bool) -> bool:
    """Whether the sleeptime trigger fires after a turn."""
    if trigger == "compaction":
        return compacted
    if trigger == "step_count":
        return conversation.steps_since_reflection >= step_count
    return False
