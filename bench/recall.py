"""Recall: does conversation_search find what was said, and how fast, at 100,000 messages?

A generated history (bench/recall_corpus.py) goes into the agent's real database; each
question is searched with our ranking (``agent.recall``, FTS5 alone) and with a stemmed BM25
baseline (bm25s, Snowball English stemmer and stop-words) indexed over the same messages in
the same run. recall@k = the share of questions with an evidence message among the first k
results. Latency is our whole search (ranking, grouping, excerpts and context, as the tool
runs it) against the baseline's retrieval; each question is timed three times, in three passes
over all questions, and its fastest run counts (the machine is shared), then p95 over
questions; the process CPU time of the same runs is shown too, since other work on a shared
machine stretches the wall clock but not the CPU a search uses. A competing agent in the same
database has its own facts about the same topics; none of its messages may appear.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from agent import embeddings, recall
from agent.conversations import message_text
from agent.runtime import Runtime
from bench.agent_env import UNUSED_API_BASE, agent_env
from bench.recall_corpus import Corpus, History, generate
from bench.report import Row, ms, secs
from bench.timing import p95
from memfs.tokens import estimate_text_tokens

FULL = (100_000, 20_000, 400)  # our messages, the other agent's, facts (questions)
QUICK = (20_000, 4_000, 150)
KS = (5, 10, 20)
PASSES = 3
TARGET_P95_S = 0.010
VECTOR_DIMENSIONS = 256


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _store(runtime: Runtime, agent_id: str, history: History) -> list[int]:
    """Conversations and messages of ``history`` in one transaction; the message ids."""
    conversations = [f"conv-{uuid.uuid4().hex[:12]}" for _ in history.titles]
    first = {m.session: m.created for m in reversed(history.messages)}
    with runtime.db.write() as conn:
        conn.executemany(
            "INSERT INTO conversations (id, agent_id, title, is_default, created, updated) "
            "VALUES (?, ?, ?, 0, ?, ?)",
            [(cid, agent_id, title, first.get(i, 0.0), first.get(i, 0.0))
             for i, (cid, title) in enumerate(zip(conversations, history.titles, strict=True))])
        start = int(conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0])
        rows = []
        for m in history.messages:
            body = {"role": m.role, "content": m.text}
            encoded = json.dumps(body, ensure_ascii=False)
            rows.append((conversations[m.session], agent_id, m.role, encoded, message_text(body),
                         estimate_text_tokens(encoded), m.created))
        conn.executemany(
            "INSERT INTO messages (conversation_id, agent_id, role, body, text, tokens, status, "
            "created) VALUES (?, ?, ?, ?, ?, ?, 'complete', ?)", rows)
    return list(range(start + 1, start + 1 + len(history.messages)))


def _recall_at(ranked: list[list[int]], evidence: list[set[int]]) -> dict[int, float]:
    return {k: sum(1 for got, want in zip(ranked, evidence, strict=True) if want & set(got[:k]))
            / len(evidence) for k in KS}


def _timed_passes(run: Callable[[str], list[int]], questions: list[str]
                  ) -> tuple[list[list[int]], list[float], list[float]]:
    """Each question's ranking (first pass), and its fastest wall-clock and CPU times over
    ``PASSES`` passes."""
    wall = [float("inf")] * len(questions)
    cpu = [float("inf")] * len(questions)
    ranked: list[list[int]] = []
    for number in range(PASSES):
        for index, question in enumerate(questions):
            started, used = time.perf_counter(), time.process_time()
            got = run(question)
            cpu[index] = min(cpu[index], time.process_time() - used)
            wall[index] = min(wall[index], time.perf_counter() - started)
            if number == 0:
                ranked.append(got)
    return ranked, wall, cpu


class _Baseline:
    """bm25s over the same messages: Snowball English stemmer, English stop-words."""

    def __init__(self, ids: list[int], texts: list[str]) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.ids = ids
        started = time.perf_counter()
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer,
                                show_progress=False)
        self.index = bm25s.BM25()
        self.index.index(tokens, show_progress=False)
        self.build_s = time.perf_counter() - started

    def search(self, question: str, k: int = max(KS)) -> list[int]:
        tokens = self.bm25s.tokenize([question], stopwords="en", stemmer=self.stemmer,
                                     return_ids=False, show_progress=False)
        tokens = [[t for t in tokens[0] if t in self.index.vocab_dict]]
        if not tokens[0]:
            return []
        found, _ = self.index.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False,
                                       n_threads=1)
        return [self.ids[i] for i in found[0]]


def _evaluate(runtime: Runtime, corpus: Corpus, ours: list[int], theirs: list[int],
              agent_id: str) -> list[Row]:
    db = runtime.db
    evidence: dict[int, set[int]] = {}
    for message_id, message in zip(ours, corpus.ours.messages, strict=True):
        if message.fact is not None:
            evidence.setdefault(message.fact, set()).add(message_id)
    questions = [q.text for q in corpus.questions]
    wanted = [evidence[q.fact] for q in corpus.questions]
    count = len(ours)
    label = f"{count // 1000}k msgs, {len(questions)} questions"

    started = time.perf_counter()
    recall.index_table(db, agent_id)
    build_s = time.perf_counter() - started
    scope = recall.Scope(agent_id)
    _progress(f"indexed {count:,} messages in {build_s:.1f}s; searching ...")
    ranked, _, _ = _timed_passes(lambda q: recall.ranked_ids(db, q, scope, limit=max(KS)),
                                 questions)
    shown: set[int] = set()

    def whole(question: str) -> list[int]:
        result = recall.search(db, question, scope, limit=10)
        ids = [m.id for g in result.groups for m in g.messages]
        shown.update(ids)
        return ids

    _, our_times, our_cpu = _timed_passes(whole, questions)
    roles = recall.SEARCHED_ROLES
    searched = [(i, m.text) for i, m in zip(ours, corpus.ours.messages, strict=True)
                if m.role in roles]
    _progress("baseline (bm25s) ...")
    baseline = _Baseline([i for i, _ in searched], [t for _, t in searched])
    base_ranked, base_times, base_cpu = _timed_passes(baseline.search, questions)

    mine, base = _recall_at(ranked, wanted), _recall_at(base_ranked, wanted)
    rows = [Row(f"recall@{k}, {label}", f"{mine[k]:.3f}", f"{base[k]:.3f}",
                mine[k] / base[k] if base[k] else None,
                ">= baseline" if k == 10 else "-", mine[k] >= base[k] if k == 10 else None)
            for k in KS]
    ours_p95, base_p95 = p95(our_times), p95(base_times)
    rows.append(Row(f"recall search p95, {label}", ms(ours_p95), ms(base_p95),
                    ours_p95 / base_p95, f"< {TARGET_P95_S * 1000:g} ms",
                    ours_p95 < TARGET_P95_S))
    ours_cpu, base_cpu_p95 = p95(our_cpu), p95(base_cpu)
    rows.append(Row(f"recall search p95 CPU time, {label}", ms(ours_cpu), ms(base_cpu_p95),
                    ours_cpu / base_cpu_p95))
    rows.append(Row(f"recall index build, {count // 1000}k msgs", secs(build_s),
                    secs(baseline.build_s), build_s / baseline.build_s))
    leaked = len(shown & set(theirs))
    rows.append(Row(f"recall: other agent's messages shown ({len(theirs) // 1000}k)",
                    str(leaked), "-", None, "0", leaked == 0))
    return rows


def _vector_rows(runtime: Runtime, agent_id: str, ours: list[int], questions: list[str]
                 ) -> list[Row]:
    """Speed of semantic recall on a plain table: random unit vectors for every message (only
    the time is measured here), the first search's load of the matrix, then nearest-vector
    search and the whole fused search."""
    import numpy

    rng = numpy.random.default_rng(7)
    model = "bench/random"
    with runtime.db.write() as conn:
        conn.executemany("INSERT INTO message_vectors (message_id, agent_id, model, vector) "
                         "VALUES (?, ?, ?, ?)",
                         ((i, agent_id, model, rng.standard_normal(VECTOR_DIMENSIONS)
                           .astype(numpy.float32).tobytes()) for i in ours))
    queries = {q: [float(x) for x in rng.standard_normal(VECTOR_DIMENSIONS)] for q in questions}
    db = runtime.db
    started = time.perf_counter()
    embeddings.nearest(db, agent_id, model, queries[questions[0]], 30)
    load_s = time.perf_counter() - started
    _, nearest_times, _ = _timed_passes(
        lambda q: embeddings.nearest(db, agent_id, model, queries[q], 30), questions)
    scope = recall.Scope(agent_id)

    def fused(question: str) -> list[int]:
        def by_meaning(limit: int) -> list[int]:
            return embeddings.nearest(db, agent_id, model, queries[question], limit)

        result = recall.search(db, question, scope, limit=10, semantic=by_meaning)
        return [m.id for g in result.groups for m in g.messages]

    _, fused_times, _ = _timed_passes(fused, questions)
    size = f"{len(ours) // 1000}k msgs x {VECTOR_DIMENSIONS} dims"
    return [Row(f"recall vectors: first load, {size}", secs(load_s), "-", None),
            Row(f"recall vectors: nearest p95, {size}", ms(p95(nearest_times)), "-", None),
            Row(f"recall search + vectors (RRF) p95, {size}", ms(p95(fused_times)), "-",
                None)]


def bench_recall(tmp: Path, quick: bool) -> list[Row]:
    """Recall@k and latency of conversation_search beside a stemmed BM25 baseline."""
    messages, other_messages, facts = QUICK if quick else FULL
    corpus = generate(messages, other_messages, facts)
    with agent_env(tmp / "recall", UNUSED_API_BASE):
        runtime = Runtime()
        try:
            agent = runtime.agents.default()
            other = runtime.agents.create("Competitor")
            started = time.perf_counter()
            ours = _store(runtime, agent.id, corpus.ours)
            theirs = _store(runtime, other.id, corpus.other)
            recall.index_table(runtime.db, other.id)
            _progress(f"stored {len(ours) + len(theirs):,} messages in "
                      f"{time.perf_counter() - started:.1f}s")
            rows = _evaluate(runtime, corpus, ours, theirs, agent.id)
            _progress("vectors ...")
            return rows + _vector_rows(runtime, agent.id, ours,
                                       [q.text for q in corpus.questions])
        finally:
            runtime.db.close()
