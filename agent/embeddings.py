"""Semantic recall (optional): message vectors from a litellm embedding model, kept in SQLite.

With the ``embeddingModel`` setting, a background thread of the process embeds the stored
user and assistant messages, newest first, in batches; the work is resumable (a message is
pending until its vector is in ``message_vectors``), never blocks a turn, and a failing
provider is retried later with backoff, logged quietly. Search embeds the query (a short
timeout, then a cool-down after a failure) and ranks the agent's vectors by cosine similarity
in an in-memory matrix refreshed from the table; agent/recall.py fuses that ranking with BM25.
Without the setting, or while the provider fails, search is BM25 alone and says nothing.

The embedding model is called through ``apiBase`` when it is set (a local server that serves
chat and embeddings), else through the provider's own endpoint and key variables.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import llm, recall
from agent.db import Database
from agent.model import ModelConfig
from agent.settings import Settings

if TYPE_CHECKING:
    import numpy

log = logging.getLogger("memfs.embeddings")

BATCH = 32
MAX_CHARS = 2000  # of a message's text sent to be embedded
BATCH_TIMEOUT = 60.0
QUERY_TIMEOUT = 5.0
COOL_DOWN = 60.0  # seconds search skips the provider after a failed query embedding
IDLE_POLL = 30.0
MIN_SIMILARITY = 0.2  # cosine below which a vector hit is noise rather than a match
MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class EmbeddingConfig:
    """Which model embeds messages, and where it is reached."""

    model: str
    api_base: str | None = None


def config(settings: Settings) -> EmbeddingConfig | None:
    """The embedding configuration of these settings, or None when semantic recall is off."""
    if not settings.embedding_model:
        return None
    return EmbeddingConfig(settings.embedding_model, settings.api_base)


def embed(cfg: EmbeddingConfig, texts: list[str], timeout: float) -> list[list[float]]:
    """One embedding call for ``texts`` (in order)."""
    kwargs = llm._call_kwargs(ModelConfig(cfg.model, cfg.api_base, None), timeout)
    response = llm.litellm().embedding(input=[t[:MAX_CHARS] for t in texts], **kwargs)
    items: list[Any] = sorted(response.data, key=lambda item: int(_field(item, "index")))
    vectors = [[float(x) for x in _field(item, "embedding")] for item in items]
    if len(vectors) != len(texts):
        raise ValueError(f"the provider returned {len(vectors)} vectors for {len(texts)} texts")
    return vectors


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def _unit(vector: list[float]) -> numpy.ndarray[Any, Any]:
    import numpy

    array = numpy.asarray(vector, dtype=numpy.float32)
    norm = float(numpy.linalg.norm(array))
    return array / norm if norm else array


# ----- the background worker ---------------------------------------------------------------------
def pending(db: Database, model: str, limit: int) -> list[sqlite3.Row]:
    """Searchable messages without a vector of ``model``, newest first."""
    return db.query(
        f"SELECT m.id, m.agent_id, m.text FROM messages m WHERE {recall.searchable('m')} AND "
        "NOT EXISTS (SELECT 1 FROM message_vectors v WHERE v.message_id = m.id AND v.model = ?) "
        "ORDER BY m.id DESC LIMIT ?", (model, limit))


def store(db: Database, model: str, rows: list[sqlite3.Row], vectors: list[list[float]]) -> None:
    """Save one batch (messages deleted meanwhile are skipped)."""
    with db.write() as conn:
        for row, vector in zip(rows, vectors, strict=True):
            conn.execute("INSERT OR REPLACE INTO message_vectors (message_id, agent_id, model, "
                         "vector) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE "
                         "id = ?)", (row["id"], row["agent_id"], model,
                                     _unit(vector).tobytes(), row["id"]))


@dataclass(eq=False)
class Worker:
    """Builds missing recall indexes, then (with a model) embeds pending messages until none
    are left, sleeping until woken or ``IDLE_POLL`` passes. ``idle`` is set while nothing is
    pending (tests wait on it)."""

    path: Path
    cfg: EmbeddingConfig | None
    wake: threading.Event = field(default_factory=threading.Event)
    idle: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    failures: int = 0
    thread: threading.Thread | None = None

    def start(self) -> Worker:
        self.thread = threading.Thread(target=self.run, name="memfs-recall", daemon=True)
        self.thread.start()
        return self

    def run(self) -> None:
        db = Database(self.path)
        try:
            recall.index_all(db)
            while self.cfg is not None and not self.stop.is_set():
                delay = self.step(db, self.cfg)
                if delay is None:
                    self.idle.set()
                    self.wake.wait(IDLE_POLL)
                    self.wake.clear()
                elif delay:
                    self.idle.set()  # nothing more happens before the retry
                    self.stop.wait(delay)
        except sqlite3.Error as exc:  # e.g. the data home went away: end quietly
            log.warning("background recall work stopped: %s", exc)
        finally:
            self.idle.set()
            db.close()

    def step(self, db: Database, cfg: EmbeddingConfig) -> float | None:
        """Embed one batch: None when nothing is pending, 0 after a stored batch, else the
        seconds to wait before retrying a failed one."""
        rows = pending(db, cfg.model, BATCH)
        if not rows:
            return None
        self.idle.clear()
        try:
            vectors = embed(cfg, [str(r["text"]) for r in rows], BATCH_TIMEOUT)
        except Exception as exc:  # any provider failure: retry later, quietly
            self.failures += 1
            delay = min(MAX_BACKOFF, 5.0 * 2.0 ** (self.failures - 1))
            level = logging.WARNING if self.failures == 1 else logging.DEBUG
            log.log(level, "embedding with %s failed (%s); retrying in %.0fs", cfg.model,
                    str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__, delay)
            return delay
        self.failures = 0
        store(db, cfg.model, rows, vectors)
        return 0.0


_workers: dict[tuple[str, str | None, str | None], Worker] = {}
_workers_lock = threading.Lock()


def start(path: Path, cfg: EmbeddingConfig | None) -> Worker:
    """Start (or wake) this process's background recall worker for a database and model."""
    key = (str(path), cfg.model if cfg else None, cfg.api_base if cfg else None)
    with _workers_lock:
        worker = _workers.get(key)
        if worker is None or worker.thread is None or not worker.thread.is_alive():
            if worker is not None and cfg is None:
                return worker  # the index pass ran once; triggers keep the indexes current
            worker = Worker(Path(path), cfg).start()
            _workers[key] = worker
        worker.idle.clear()  # set again once the worker has found nothing pending
        worker.wake.set()
    return worker


# ----- search ------------------------------------------------------------------------------------
@dataclass
class _Matrix:
    ids: list[int] = field(default_factory=list)
    rows: list[numpy.ndarray[Any, Any]] = field(default_factory=list)
    stacked: numpy.ndarray[Any, Any] | None = None
    seq: int = 0


_matrices: dict[tuple[str, str, str], _Matrix] = {}
_matrices_lock = threading.Lock()
_cool_down: dict[tuple[str, str | None], float] = {}


def nearest(db: Database, agent_id: str, model: str, query: list[float], limit: int
            ) -> list[int]:
    """The agent's message ids by cosine similarity to ``query`` (at least
    ``MIN_SIMILARITY``), best first."""
    import numpy

    key = (str(db.path), agent_id, model)
    with _matrices_lock:
        matrix = _matrices.setdefault(key, _Matrix())
        rows = db.query("SELECT seq, message_id, vector FROM message_vectors WHERE agent_id = ? "
                        "AND model = ? AND seq > ? ORDER BY seq", (agent_id, model, matrix.seq))
        for row in rows:
            matrix.ids.append(int(row["message_id"]))
            matrix.rows.append(numpy.frombuffer(row["vector"], dtype=numpy.float32))
            matrix.seq = int(row["seq"])
        if rows or matrix.stacked is None:
            width = len(query)
            keep = [i for i, r in enumerate(matrix.rows) if r.shape[0] == width]
            matrix.ids = [matrix.ids[i] for i in keep]
            matrix.rows = [matrix.rows[i] for i in keep]
            matrix.stacked = numpy.vstack(matrix.rows) if matrix.rows else None
        stacked, ids = matrix.stacked, list(matrix.ids)
    if stacked is None or stacked.shape[1] != len(query):
        return []
    scores = stacked @ _unit(query)
    count = min(limit, len(ids))
    top = numpy.argpartition(-scores, count - 1)[:count]
    ranked = sorted(top.tolist(), key=lambda i: -float(scores[i]))
    return [ids[i] for i in ranked if float(scores[i]) >= MIN_SIMILARITY]


def semantic(db: Database, cfg: EmbeddingConfig | None, agent_id: str, text: str
             ) -> Callable[[int], list[int]] | None:
    """A ranking by meaning for recall.search, or None when semantic recall is off. It returns
    nothing (BM25 alone) when the agent has no vectors yet or the provider fails."""
    if cfg is None:
        return None

    def ranking(limit: int) -> list[int]:
        key = (cfg.model, cfg.api_base)
        if time.monotonic() < _cool_down.get(key, 0.0):
            return []
        if not db.query("SELECT 1 FROM message_vectors WHERE agent_id = ? AND model = ? "
                        "LIMIT 1", (agent_id, cfg.model)):
            return []
        try:
            vector = embed(cfg, [text], QUERY_TIMEOUT)[0]
        except Exception as exc:  # any provider failure: words alone, quietly
            _cool_down[key] = time.monotonic() + COOL_DOWN
            log.info("semantic recall unavailable (%s); searching by words",
                     str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
            return []
        return nearest(db, agent_id, cfg.model, vector, limit)

    return ranking
