"""Recall: ranked, forgiving full-text search over one agent's past messages.

Each agent has its own FTS5 index (``recall_fts_<n>``, English stemming), so BM25's statistics
and its candidates are that agent's messages only. A query becomes an OR of its meaningful
words and quoted phrases (stop-words dropped; ``AND`` / ``NOT`` / ``word*`` honoured; every
term quoted, so punctuation never breaks the expression). To stay fast at 100,000 messages,
the candidates are the messages holding one of the query's rarer terms (the rarest first, up to
``CANDIDATE_BUDGET`` postings); the commoner terms still score those candidates (FTS5 seeks
into their postings rather than walking them), and the rarer terms count double. Hits come back
grouped by exchange, with one message of context on each side; the conversation's in-context
window can be excluded.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent.db import Database
from memfs.errors import InvalidArgument

TOKENIZER = "porter unicode61 remove_diacritics 2 tokenchars '+#'"
INDEX_VERSION = 1  # raise when the tokenizer or what is indexed changes: indexes are rebuilt
SEARCHED_ROLES = ("user", "assistant")
# An assistant message that is only a call of one of these (no words of its own) says nothing
# worth finding again; memory edits (the ``memory`` tool) stay searchable.
QUIET_TOOLS = ("conversation_search", "memory_search", "memory_view", "read_file", "list_files",
               "search_files")
CANDIDATE_BUDGET = 3000  # postings of the rarer terms that define the candidates
MAX_TERMS = 16
SNIPPET_TOKENS = 24
CONTEXT_CHARS = 160
MARK = "**"
DF_TTL = 300.0  # seconds a cached document frequency steers candidate choice

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing done down during each either
else ever few for from further get got had has have having he her here hers herself him
himself his how i if in into is it its itself just let lets me might more most much must my
myself no nor not now of off on once one only or other our ours ourselves out over own same
shall she should so some such than that the their theirs them themselves then there these
they this those through to too under until up upon us very was we were what whatever when
whenever where whether which while who whom whose why will with within without would yet you
your yours yourself yourselves anything something thing things please tell remind recall
remember say said saying mention mentioned talk talked discuss discussed know
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_CONTRACTION = re.compile(r"['’](s|t|re|d|ll|ve|m)$", re.IGNORECASE)
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_ALNUM = re.compile(r"[^\W_]")
_LEAD = "([{<'\"‘“`"
_TRAIL = ")]}>'\"’”`.,;:!?"


@dataclass(frozen=True)
class Term:
    """One searchable unit: an FTS5 expression (a quoted word or phrase, maybe with variants)."""

    expr: str
    words: str


@dataclass(frozen=True)
class Query:
    """A parsed query: alternatives (each a list of terms that must co-occur) and exclusions."""

    groups: list[list[Term]]
    excluded: list[Term]

    @property
    def terms(self) -> list[Term]:
        seen: dict[str, Term] = {}
        for group in self.groups:
            for term in group:
                seen.setdefault(term.expr, term)
        return list(seen.values())

    @property
    def boolean(self) -> bool:
        """Whether the query used AND / NOT (then it is run exactly as written)."""
        return bool(self.excluded) or any(len(g) > 1 for g in self.groups)

    def expression(self) -> str:
        """The whole query as one FTS5 expression."""
        alternatives = [" AND ".join(t.expr for t in g) for g in self.groups]
        expr = " OR ".join(f"({a})" if len(g) > 1 else a
                           for a, g in zip(alternatives, self.groups, strict=True))
        if self.excluded:
            expr = f"({expr}) NOT ({' OR '.join(t.expr for t in self.excluded)})"
        return expr


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term(raw: str, prefix: bool = False) -> Term:
    star = "*" if prefix else ""
    expr = _quote(raw) + star
    if raw.isdigit():  # issue numbers are indexed as "#123"
        expr = f"({expr} OR {_quote('#' + raw)}{star})"
    elif raw.startswith("#") and raw[1:].isdigit():
        expr = f"({expr} OR {_quote(raw[1:])}{star})"
    return Term(expr, raw)


def _word(raw: str) -> tuple[str, bool]:
    """A bare word without surrounding punctuation, and whether it ends in ``*`` (prefix)."""
    word = raw.lstrip(_LEAD)
    prefix = word.endswith("*")
    word = word.rstrip("*").rstrip(_TRAIL).rstrip("*")
    return word, prefix


def parse_query(text: str) -> Query:
    """Turn what a model or user typed into a safe FTS5 query (see the module docstring)."""
    items: list[tuple[str, Term | None]] = []  # ("term"|"AND"|"OR"|"NOT", term)
    dropped: list[Term] = []
    for match in _TOKEN.finditer(text):
        phrase, raw = match.group(1), match.group(2)
        if phrase is not None:
            if _ALNUM.search(phrase):
                items.append(("term", _term(" ".join(phrase.split()))))
            continue
        if raw in ("AND", "OR", "NOT"):
            items.append((raw, None))
            continue
        word, prefix = _word(raw)
        if not _ALNUM.search(word):
            continue
        base = _CONTRACTION.sub("", word).lower()
        if base in STOP_WORDS and not prefix:
            dropped.append(_term(word))
            continue
        items.append(("term", _term(word, prefix)))
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending: str | None = None
    for kind, term in items:
        if term is None:
            pending = kind if kind != "OR" else None
            continue
        if pending == "NOT":
            excluded.append(term)
        elif pending == "AND" and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending = None
    if not groups and not excluded and dropped:
        groups = [[t] for t in dropped]  # only stop-words: search them rather than nothing
    if not groups:
        if excluded:
            raise InvalidArgument("the query only excludes words (NOT ...)",
                                  "add a word or phrase to look for")
        raise InvalidArgument("empty search query", "pass words or a quoted phrase to look for")
    del groups[MAX_TERMS:]
    return Query(groups, excluded)


# ----- per-agent indexes -----------------------------------------------------------------------
def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def searchable(row: str) -> str:
    """SQL that is true for the messages search covers (``row``: a table alias, ``new`` or
    ``old``): user and assistant messages with words, except bare calls of QUIET_TOOLS."""
    roles = ", ".join(_sql_text(r) for r in SEARCHED_ROLES)
    calls = " OR ".join(f"instr({row}.text, {_sql_text(name + ' ')}) = 1" for name in QUIET_TOOLS)
    return (f"({row}.role IN ({roles}) AND {row}.text != '' AND NOT ({row}.role = 'assistant' "
            f"AND ({calls})))")


def _create_index(conn: sqlite3.Connection, number: int, agent_id: str) -> None:
    """The agent's FTS5 table, the triggers that keep it current, and its backfill."""
    name = f"recall_fts_{number}"
    agent = _sql_text(agent_id)
    conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(text, content='messages', "
                 f"content_rowid='id', tokenize={_sql_text(TOKENIZER)})")
    conn.execute(f"CREATE TRIGGER {name}_ai AFTER INSERT ON messages WHEN new.agent_id = "
                 f"{agent} AND {searchable('new')} BEGIN INSERT INTO {name}(rowid, text) "
                 "VALUES (new.id, new.text); END")
    conn.execute(f"CREATE TRIGGER {name}_ad AFTER DELETE ON messages WHEN old.agent_id = "
                 f"{agent} AND {searchable('old')} BEGIN INSERT INTO {name}({name}, rowid, "
                 "text) VALUES ('delete', old.id, old.text); END")
    conn.execute(f"CREATE TRIGGER {name}_au AFTER UPDATE OF text, role ON messages WHEN "
                 f"old.agent_id = {agent} BEGIN INSERT INTO {name}({name}, rowid, text) SELECT "
                 f"'delete', old.id, old.text WHERE {searchable('old')}; INSERT INTO {name}(rowid, "
                 f"text) SELECT new.id, new.text WHERE {searchable('new')}; END")
    conn.execute(f"INSERT INTO {name}(rowid, text) SELECT id, text FROM messages m "
                 f"WHERE agent_id = ? AND {searchable('m')}", (agent_id,))


def _drop_index(conn: sqlite3.Connection, number: int) -> None:
    name = f"recall_fts_{number}"
    for suffix in ("ai", "ad", "au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute("DELETE FROM recall_indexes WHERE number = ?", (number,))


def index_table(db: Database, agent_id: str) -> str:
    """The name of the agent's FTS5 table, built (from its stored messages) on first use and
    rebuilt when INDEX_VERSION changed. Indexes of deleted agents are dropped meanwhile."""
    rows = db.query("SELECT number FROM recall_indexes WHERE agent_id = ? AND version = ?",
                    (agent_id, INDEX_VERSION))
    if rows:
        return f"recall_fts_{rows[0][0]}"
    with db.write() as conn:
        row = conn.execute("SELECT number, version FROM recall_indexes WHERE agent_id = ?",
                           (agent_id,)).fetchone()
        if row is None or row[1] != INDEX_VERSION:
            stale = conn.execute("SELECT number FROM recall_indexes WHERE agent_id NOT IN "
                                 "(SELECT id FROM agents) OR (agent_id = ? AND version != ?)",
                                 (agent_id, INDEX_VERSION)).fetchall()
            for (number,) in stale:
                _drop_index(conn, number)
            cursor = conn.execute("INSERT INTO recall_indexes (agent_id, version) VALUES (?, ?)",
                                  (agent_id, INDEX_VERSION))
            row = (int(cursor.lastrowid or 0), INDEX_VERSION)
            _create_index(conn, row[0], agent_id)
    return f"recall_fts_{row[0]}"


def index_all(db: Database) -> None:
    """Build the index of every agent that has none yet (long-running hosts call this in the
    background, so a large history is indexed before the first search)."""
    for (agent_id,) in db.query("SELECT id FROM agents WHERE id NOT IN (SELECT agent_id FROM "
                                "recall_indexes WHERE version = ?)", (INDEX_VERSION,)):
        index_table(db, agent_id)


# ----- search ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """Optional restrictions: a time range (epoch seconds, end exclusive), a role, and a
    conversation: ``current``, ``others`` or a conversation id."""

    start: float | None = None
    end: float | None = None
    role: str | None = None
    conversation: str | None = None


@dataclass(frozen=True)
class Scope:
    """Where the search runs: the agent, and the conversation whose unsummarised window (and
    current turn) the model already has in context, excluded from the results."""

    agent_id: str
    current_conversation: str | None = None
    exclude_window: bool = True


@dataclass(frozen=True)
class RecallMessage:
    """A message shown in a result: a hit (with its match marked) or context."""

    id: int
    role: str
    created: float
    text: str
    hit: bool


@dataclass(frozen=True)
class RecallGroup:
    """One exchange: its conversation, and its hits with one message of context each side."""

    conversation_id: str
    conversation_title: str
    messages: list[RecallMessage]


@dataclass(frozen=True)
class RecallResult:
    """What a search found, best first."""

    groups: list[RecallGroup]
    query: str
    semantic: bool = False
    excluded_window: bool = False


@dataclass
class _Plan:
    table: str
    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)
    join: bool = False


class _FrequencyCache:
    """Document frequencies per (database, table, term), kept for ``DF_TTL`` seconds: they only
    choose which terms define the candidates, never a score."""

    def __init__(self, size: int = 4096) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str, str], tuple[int, float]] = {}
        self._size = size

    def get(self, db: Database, table: str, term: Term) -> int:
        key = (str(db.path), table, term.expr)
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and now - cached[1] < DF_TTL:
            return cached[0]
        count = int(db.query(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                             (term.expr,))[0][0])
        with self._lock:
            if len(self._values) >= self._size:
                self._values.clear()
            self._values[key] = (count, now)
        return count


_frequencies = _FrequencyCache()


def _plan(db: Database, scope: Scope, filters: Filters) -> _Plan:
    plan = _Plan(index_table(db, scope.agent_id))
    if scope.current_conversation and scope.exclude_window:
        plan.where.append("f.rowid NOT IN (SELECT id FROM messages WHERE conversation_id = ? "
                          "AND id > (SELECT summary_until FROM conversations WHERE id = ?))")
        plan.params += [scope.current_conversation, scope.current_conversation]
    conversation = filters.conversation
    if conversation == "current" or (conversation and conversation != "others"):
        target = scope.current_conversation if conversation == "current" else conversation
        if not target:
            raise InvalidArgument("there is no current conversation here",
                                  "pass a conversation id, or leave 'conversation' out")
        if not db.query("SELECT 1 FROM conversations WHERE id = ? AND agent_id = ?",
                        (target, scope.agent_id)):
            raise InvalidArgument(f"argument 'conversation': no conversation {target!r} of "
                                  "this agent", "pass 'current', 'others' or an id from a "
                                  "search result")
        plan.where.append("f.rowid IN (SELECT id FROM messages WHERE conversation_id = ?)")
        plan.params.append(target)
    elif conversation == "others" and scope.current_conversation:
        plan.where.append("m.conversation_id != ?")
        plan.params.append(scope.current_conversation)
        plan.join = True
    if filters.start is not None or filters.end is not None:
        low, high = (filters.start if filters.start is not None else float("-inf"),
                     filters.end if filters.end is not None else float("inf"))
        span = db.query("SELECT min(id), max(id) FROM messages WHERE agent_id = ? AND "
                        "created >= ? AND created < ?", (scope.agent_id, low, high))[0]
        plan.where.append("f.rowid BETWEEN ? AND ? AND m.created >= ? AND m.created < ?")
        plan.params += [span[0] or 0, span[1] or 0, low, high]
        plan.join = True
    if filters.role:
        plan.where.append("m.role = ?")
        plan.params.append(filters.role)
        plan.join = True
    return plan


def _ranked(db: Database, plan: _Plan, expr: str, limit: int) -> list[tuple[int, float]]:
    table = plan.table
    join = " JOIN messages m ON m.id = f.rowid" if plan.join else ""
    where = "".join(f" AND {w}" for w in plan.where)
    rows = db.query(f"SELECT f.rowid, bm25({table}) AS score FROM {table} f{join} "
                    f"WHERE {table} MATCH ?{where} ORDER BY score LIMIT ?",
                    (expr, *plan.params, limit))
    return [(int(r[0]), float(r[1])) for r in rows]


def rank(db: Database, query: Query, plan: _Plan, limit: int = 30) -> list[tuple[int, float]]:
    """Message ids with their BM25 score (lower is better), best first."""
    terms = query.terms
    if query.boolean or len(terms) == 1:
        return _ranked(db, plan, query.expression(), limit)
    counted = sorted(((_frequencies.get(db, plan.table, t), t) for t in terms),
                     key=lambda pair: pair[0])
    rare: list[Term] = []
    total = 0
    for count, term in counted:
        if rare and total + count > CANDIDATE_BUDGET:
            break
        rare.append(term)
        total += count
    common = [t for _, t in counted[len(rare):]]
    rare_expr = " OR ".join(t.expr for t in rare)
    if not common:
        return _ranked(db, plan, rare_expr, limit)
    # The commoner terms only score the candidates (FTS5 seeks them, never walks them); the
    # rarer ones, named twice, count double.
    every = " OR ".join(t.expr for t in terms)
    return _ranked(db, plan, f"({rare_expr}) AND ({every})", limit)


def ranked_ids(db: Database, text: str, scope: Scope, filters: Filters = Filters(),
               limit: int = 30) -> list[int]:
    """The BM25 ranking alone: message ids, best first (what the benchmark measures)."""
    return [m for m, _ in rank(db, parse_query(text), _plan(db, scope, filters), limit)]


# ----- results ---------------------------------------------------------------------------------
def _snippets(db: Database, expr: str, texts: dict[int, str]) -> dict[int, str]:
    """Marked excerpts of the hits: FTS5's snippet() over a scratch index of just these texts
    in this connection's temp schema (same tokenizer; cheap, whatever the agent's index size)."""
    conn = db.connection()
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.recall_excerpts USING fts5(text, "
                 f"tokenize={_sql_text(TOKENIZER)})")
    conn.execute("DELETE FROM temp.recall_excerpts")
    conn.executemany("INSERT INTO temp.recall_excerpts (rowid, text) VALUES (?, ?)",
                     list(texts.items()))
    rows = conn.execute(f"SELECT rowid, snippet(recall_excerpts, 0, ?, ?, ' … ', "
                        f"{SNIPPET_TOKENS}) FROM temp.recall_excerpts WHERE recall_excerpts "
                        "MATCH ?", (MARK, MARK, expr)).fetchall()
    conn.execute("DELETE FROM temp.recall_excerpts")
    return {int(r[0]): " ".join(str(r[1]).split()) for r in rows if r[1]}


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CONTEXT_CHARS else flat[:CONTEXT_CHARS - 1].rstrip() + "…"


def _neighbours(db: Database, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """For each message id, the ids of the searched messages just before and after it in its
    conversation (itself when there is none)."""
    marks = ", ".join("?" for _ in ids)
    rows = db.query(
        f"SELECT m.id, (SELECT max(p.id) FROM messages p WHERE p.conversation_id = "
        f"m.conversation_id AND p.id < m.id AND {searchable('p')}), (SELECT min(n.id) FROM "
        f"messages n WHERE n.conversation_id = m.conversation_id AND n.id > m.id AND "
        f"{searchable('n')}) FROM messages m WHERE m.id IN ({marks})", tuple(ids))
    return {int(r[0]): (int(r[1] or r[0]), int(r[2] or r[0])) for r in rows}


def group(db: Database, expr: str, ranked: Sequence[int], limit: int,
          hidden: Callable[[int], bool] = lambda _: False) -> list[RecallGroup]:
    """Hits (best first) gathered into at most ``limit`` exchanges: a hit next to one already
    shown joins its group; each group shows one message of context on each side."""
    if not ranked:
        return []
    marks = ", ".join("?" for _ in ranked)
    rows = {int(r["id"]): r for r in db.query(
        f"SELECT id, conversation_id, role, created, text FROM messages WHERE id IN ({marks})",
        tuple(ranked))}
    around = _neighbours(db, ranked)
    spans: list[tuple[str, int, int, list[int]]] = []  # conversation, first, last, hits
    for message_id in ranked:
        row = rows.get(message_id)
        if row is None:
            continue
        if len(spans) >= limit:
            break
        conversation = str(row["conversation_id"])
        low, high = around[message_id]
        for index, (conv, first, last, hits) in enumerate(spans):
            if conv == conversation and low <= last and high >= first:
                spans[index] = (conv, min(first, low), max(last, high), hits + [message_id])
                break
        else:
            spans.append((conversation, low, high, [message_id]))
    snippets = _snippets(db, expr, {h: str(rows[h]["text"]) for span in spans for h in span[3]})
    titles = {str(r[0]): str(r[1]) for r in db.query(
        f"SELECT id, title FROM conversations WHERE id IN ({', '.join('?' for _ in spans)})",
        tuple(span[0] for span in spans))}
    ranges = " OR ".join("(s.conversation_id = ? AND s.id BETWEEN ? AND ?)" for _ in spans)
    shown: dict[str, list[sqlite3.Row]] = {}
    for row in db.query(f"SELECT id, conversation_id, role, created, text FROM messages s WHERE "
                        f"({ranges}) AND {searchable('s')} ORDER BY id",
                        tuple(v for span in spans for v in span[:3])):
        shown.setdefault(str(row["conversation_id"]), []).append(row)
    result: list[RecallGroup] = []
    for conversation, first, last, hits in spans:
        messages = []
        for row in shown.get(conversation, []):
            message_id = int(row["id"])
            if not first <= message_id <= last or hidden(message_id):
                continue
            hit = message_id in hits
            text = snippets.get(message_id) if hit else None
            messages.append(RecallMessage(message_id, str(row["role"]), float(row["created"]),
                                          text or _excerpt(str(row["text"])), hit))
        result.append(RecallGroup(conversation, titles.get(conversation, ""), messages))
    return result


def in_window(db: Database, scope: Scope) -> Callable[[int], bool]:
    """Whether a message id is in the model's current context (never shown as context)."""
    if not scope.current_conversation or not scope.exclude_window:
        return lambda _: False
    rows = db.query("SELECT id FROM messages WHERE conversation_id = ? AND id > "
                    "(SELECT summary_until FROM conversations WHERE id = ?)",
                    (scope.current_conversation, scope.current_conversation))
    window = {int(r[0]) for r in rows}
    return window.__contains__


def fuse(rankings: Sequence[Sequence[int]], k: int = 60) -> list[int]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to a message's score."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for position, message_id in enumerate(ranking, 1):
            scores[message_id] = scores.get(message_id, 0.0) + 1.0 / (k + position)
    return sorted(scores, key=lambda m: -scores[m])


def search(db: Database, text: str, scope: Scope, filters: Filters = Filters(),
           limit: int = 10, semantic: Callable[[int], list[int]] | None = None
           ) -> RecallResult:
    """Search the agent's past messages; ``semantic`` (when given) returns message ids by
    meaning, best first, and is fused with the BM25 ranking."""
    query = parse_query(text)
    plan = _plan(db, scope, filters)
    fetch = max(30, limit * 3)
    ids = [message_id for message_id, _ in rank(db, query, plan, fetch)]
    used_vectors = False
    if semantic is not None:
        by_meaning = semantic(fetch)
        if by_meaning:
            allowed = set(_allowed(db, plan, scope.agent_id, by_meaning))
            ids = fuse([ids, [m for m in by_meaning if m in allowed]])
            used_vectors = True
    hidden = in_window(db, scope)
    groups = group(db, query.expression(), ids, limit, hidden)
    searched = " OR ".join(t.words for t in query.terms)
    return RecallResult(groups, searched, used_vectors,
                        bool(scope.current_conversation and scope.exclude_window))


def _allowed(db: Database, plan: _Plan, agent_id: str, ids: Sequence[int]) -> list[int]:
    """Which of ``ids`` pass the plan's scope and filters (for vector hits)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    where = "".join(f" AND {w}" for w in plan.where)
    # "+s.agent_id": look the ids up by key, not by scanning the agent's index
    rows = db.query(f"SELECT f.rowid FROM (SELECT id AS rowid FROM messages s WHERE id IN "
                    f"({marks}) AND +s.agent_id = ? AND {searchable('s')}) f JOIN messages m "
                    f"ON m.id = f.rowid WHERE 1{where}", (*ids, agent_id, *plan.params))
    return [int(r[0]) for r in rows]
