"""A generated chat history for the recall benchmark, with questions whose evidence is known.

Months of sessions between a developer and the agent about some forty components of one
system. Facts, preferences and decisions (a retry policy, a timeout, an owner, a port, a path,
an error code, a helper's name, ...) are each stated once, in one of several wordings and
inflections, among chatter that reuses the same vocabulary ("the upload service times out
again", "add a retry around that call"). Every fact has one question: a natural question
("What did we decide about retrying failed requests in the upload service?") or a handful of
keywords ("upload service retry policy"), worded differently from the statement. A second
agent gets competing facts about the same components, which must never surface for the first.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

DAY = 86_400.0
START = 1_735_689_600.0  # 2025-01-01T00:00:00Z

COMPONENTS = (
    "upload service", "billing worker", "search indexer", "auth gateway", "image resizer",
    "notification queue", "report generator", "payment webhook", "session cache",
    "audit logger", "export job", "sync daemon", "metrics collector", "email sender",
    "rate limiter", "feature flag service", "config loader", "admin dashboard", "mobile API",
    "invoice renderer", "thumbnail pipeline", "geo lookup", "chat relay", "backup scheduler",
    "webhook dispatcher", "pdf parser", "token minter", "inventory tracker", "cart service",
    "recommendation engine", "video transcoder", "translation proxy", "crash reporter",
    "license checker", "calendar sync", "dns updater", "log shipper", "ledger service",
    "onboarding wizard", "cron runner",
)
PEOPLE = ("Priya", "Marcus", "Lena", "Tomas", "Aiko", "Dmitri", "Fatima", "Jonas", "Ines",
          "Kwame", "Sofia", "Raj", "Mei", "Oskar", "Nadia", "Pedro")
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "ten")
DATABASES = ("PostgreSQL", "SQLite", "Redis", "DynamoDB", "MongoDB", "Cassandra",
             "ClickHouse", "MySQL")
LANGUAGES = ("C++", "C#", "node.js", "Go", "Rust", "Kotlin", "TypeScript", "Elixir",
             "Java 21", "Python 3.12")
ENTRY_FILES = ("main.py", "server.ts", "app.go", "cli.rs", "worker.py", "index.js",
               "handler.kt", "Program.cs")
MEANINGS = ("the auth token expired", "the payload was too large", "a quota was exceeded",
            "the schema version is stale", "the lock is held by another worker",
            "the upstream certificate is invalid", "the queue is full",
            "the clock skew is too large")
VERBS = ("normalize", "fetch", "merge", "flush", "resolve", "chunk", "validate", "retry",
         "decode", "render", "prune", "rotate")
NOUNS = ("page_batch", "upload_path", "user_ids", "retry_budget", "shard_map", "csv_rows",
         "cache_keys", "event_log", "price_table", "thumb_sizes", "locale_tags", "cursor")
TASKS = ("paginate through results", "split large payloads", "dedupe incoming events",
         "expire stale entries", "convert currencies", "sanitize file names")
STYLES = ("early returns", "tabs for indentation", "type hints everywhere",
          "small pure functions", "dataclasses over dicts", "f-strings for formatting",
          "explicit error codes", "docstrings on every public function")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
LEVELS = ("WARNING", "ERROR", "INFO", "DEBUG")
TEST_TOOLS = ("pytest", "Jest", "Go's testing package", "cargo test", "JUnit 5", "Vitest",
              "Hypothesis", "Playwright")
REJECTED = ("Kafka", "GraphQL", "Kubernetes", "an ORM", "microservices", "gRPC", "Celery",
            "MongoDB", "a service mesh")
REASONS = ("it adds too much operational overhead", "nobody on the team knows it well",
           "the latency budget is too tight", "it makes local development painful",
           "the licensing is unclear", "it's overkill for our traffic")


def slug(component: str) -> str:
    """``upload service`` -> ``upload``; used in paths, variables and error codes."""
    return component.split()[0].lower()


@dataclass(frozen=True)
class Kind:
    """One kind of fact: how it is stated, acknowledged and asked about."""

    name: str
    statements: tuple[str, ...]
    restating_acks: tuple[str, ...]
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    values: Callable[[random.Random, str], dict[str, str]]


def _n(rng: random.Random, c: str) -> dict[str, str]:
    return {"n": rng.choice(NUMBERS), "s": str(rng.choice((5, 10, 15, 20, 30, 45, 60, 90)))}


def _db(rng: random.Random, c: str) -> dict[str, str]:
    first, second = rng.sample(DATABASES, 2)
    return {"db": first, "old": second}


def _person(rng: random.Random, c: str) -> dict[str, str]:
    return {"p": rng.choice(PEOPLE)}


def _lang(rng: random.Random, c: str) -> dict[str, str]:
    return {"lang": rng.choice(LANGUAGES)}


def _path(rng: random.Random, c: str) -> dict[str, str]:
    return {"path": f"src/{slug(c)}/{rng.choice(ENTRY_FILES)}"}


def _code(rng: random.Random, c: str) -> dict[str, str]:
    code = rng.choice((f"E{rng.randint(1000, 9999)}",
                       f"ERR_{slug(c).upper()}_{rng.choice(('DENIED', 'STALE', 'FULL', 'SKEW'))}",
                       f"0x{rng.randint(0x80000000, 0x8FFFFFFF):08X}"))
    return {"code": code, "meaning": rng.choice(MEANINGS)}


def _helper(rng: random.Random, c: str) -> dict[str, str]:
    return {"fn": f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}", "task": rng.choice(TASKS)}


def _style(rng: random.Random, c: str) -> dict[str, str]:
    return {"style": rng.choice(STYLES)}


def _day(rng: random.Random, c: str) -> dict[str, str]:
    return {"day": rng.choice(DAYS)}


def _port(rng: random.Random, c: str) -> dict[str, str]:
    return {"port": str(rng.randint(3000, 9900))}


def _level(rng: random.Random, c: str) -> dict[str, str]:
    return {"level": rng.choice(LEVELS)}


def _tool(rng: random.Random, c: str) -> dict[str, str]:
    return {"tool": rng.choice(TEST_TOOLS)}


def _rejected(rng: random.Random, c: str) -> dict[str, str]:
    return {"x": rng.choice(REJECTED), "reason": rng.choice(REASONS)}


def _var(rng: random.Random, c: str) -> dict[str, str]:
    return {"var": f"{slug(c).upper()}_{rng.choice(('API_KEY', 'TOKEN', 'SECRET_PATH'))}"}


KINDS = (
    Kind("retries",
         ("For the {c}, let's retry failed requests {n} times with exponential backoff.",
          "We agreed the {c} retries {n} times before it gives up.",
          "Make the {c} keep retrying up to {n} attempts, then page someone.",
          "Decision: calls from the {c} get retried {n} times, with jitter."),
         ("Noted: the {c} retries {n} times with backoff.",),
         ("What did we decide about retrying failed requests in the {c}?",
          "How many retries does the {c} do before giving up?"),
         ("{c} retry policy", "{c} retries backoff"), _n),
    Kind("timeout",
         ("Set the {c} timeout to {s} seconds; anything slower is a bug.",
          "Requests to the {c} should time out after {s} seconds.",
          "We're timing out {c} calls at {s}s from now on."),
         ("Okay, {c} calls now time out after {s} seconds.",),
         ("What timeout did we choose for the {c}?",
          "After how long do calls to the {c} time out?"),
         ("{c} timeout seconds",), _n),
    Kind("database",
         ("The {c} keeps its state in {db}.",
          "We moved the {c} from {old} to {db} last sprint.",
          "Let's store the {c} data in {db}, it's simpler to operate."),
         ("Understood, {db} for the {c}.",),
         ("Which database does the {c} use?", "Where does the {c} store its data?"),
         ("{c} database", "{c} storage backend"), _db),
    Kind("owner",
         ("{p} owns the {c} from now on.",
          "{p} is taking over maintenance of the {c}.",
          "Ask {p} about anything in the {c}; it's their area."),
         ("Got it, {p} is the owner of the {c}.",),
         ("Who maintains the {c}?", "Who should I ask about the {c}?"),
         ("{c} owner",), _person),
    Kind("language",
         ("The {c} is written in {lang}.",
          "We're rewriting the {c} in {lang} this quarter.",
          "We settled on {lang} for the {c}."),
         ("Right, {lang} for the {c}.",),
         ("What language is the {c} written in?",
          "Which programming language did we pick for the {c}?"),
         ("{lang} {c}",), _lang),
    Kind("entry point",
         ("The {c} starts in {path}.",
          "The entry point of the {c} is {path}, not the old main module.",
          "Everything in the {c} boots from {path}."),
         ("Noted, {path} is where the {c} starts.",),
         ("Where is the entry point of the {c}?", "Which file does the {c} start from?"),
         ("{path}",), _path),
    Kind("error code",
         ("Error {code} from the {c} means {meaning}.",
          "When the {c} returns {code}, it's because {meaning}.",
          "{code} in the {c} logs: {meaning}, not a bug."),
         ("So {code} means {meaning}; noted.",),
         ("What does error {code} mean?", "What does {code} from the {c} mean?"),
         ("{code}",), _code),
    Kind("helper",
         ("The {fn} helper in the {c} exists to {task}.",
          "Use {fn} whenever the {c} needs to {task}.",
          "I added {fn} to the {c} so we can {task}."),
         ("Okay: {fn} is how the {c} does that.",),
         ("What is {fn} for?", "Why does the {c} have {fn}?"),
         ("{fn}",), _helper),
    Kind("preference",
         ("I prefer {style} in the {c} code.",
          "Please always use {style} when you touch the {c}.",
          "For the {c}, I'd rather have {style}."),
         ("Will do: {style} in the {c}.",),
         ("How does the user like code in the {c} written?",
          "What coding style did I ask for in the {c}?"),
         ("{c} code style preference",), _style),
    Kind("deploy day",
         ("We deploy the {c} on {day}s only.",
          "Releases of the {c} go out every {day} morning.",
          "Deploying the {c} happens on {day}, never on other days."),
         ("Noted, {c} deploys are on {day}.",),
         ("When do we deploy the {c}?", "On which day are releases of the {c} shipped?"),
         ("{c} deploy schedule", "{c} deployment day"), _day),
    Kind("port",
         ("The {c} listens on port {port}.",
          "Run the {c} locally on {port}; the usual port is taken.",
          "We bound the {c} to {port} in every environment."),
         ("Okay, port {port} for the {c}.",),
         ("Which port does the {c} use?", "What port is the {c} listening on?"),
         ("{c} port",), _port),
    Kind("log level",
         ("In production the {c} logs at {level}.",
          "Turn the {c} logging down to {level} in prod.",
          "The {c} should only log {level} and above in production."),
         ("Right, {level} logging for the {c} in production.",),
         ("What log level does the {c} use in production?",
          "How verbose is the {c}'s logging in prod?"),
         ("{c} log level production",), _level),
    Kind("tests",
         ("We test the {c} with {tool}.",
          "The {c} tests run under {tool} now.",
          "Let's write the {c} tests in {tool} from here on."),
         ("Fine, {tool} for the {c} tests.",),
         ("Which test framework does the {c} use?", "How do we test the {c}?"),
         ("{c} testing framework",), _tool),
    Kind("rejected",
         ("We decided against {x} for the {c} because {reason}.",
          "No {x} in the {c}: {reason}.",
          "Dropping the idea of {x} for the {c}; {reason}."),
         ("Understood, no {x} for the {c}.",),
         ("Why didn't we use {x} for the {c}?", "What did we decide about {x} in the {c}?"),
         ("{x} {c} decision",), _rejected),
    Kind("env var",
         ("The {c} reads its credentials from {var}.",
          "Put the {c} key in {var}, never in the config file.",
          "{var} is where the {c} expects its secret."),
         ("Noted: {var} for the {c}.",),
         ("Which environment variable holds the {c} credentials?",
          "Where does the {c} get its key from?"),
         ("{var}",), _var),
)

_USER_CHATTER = (
    "Can you look at why the {c} tests fail on CI?",
    "The {c} is slow again this morning.",
    "Let's refactor the {c} a bit, the handler is getting long.",
    "I'm seeing timeouts in the {c} logs, any idea why?",
    "Did the {c} deploy go through?",
    "What's the status of the {c} migration?",
    "Please add logging around the retry loop in the {c}.",
    "Open src/{s}/utils.py and explain the error handling.",
    "Run the {c} tests with verbose output.",
    "Why does the {c} keep crashing on start?",
    "Rename {fn} to something clearer.",
    "Thanks, that works.",
    "Ok, next: the {c} config.",
    "Can you write a test for the {c} edge case we found yesterday?",
    "Is the {c} using the new database driver yet?",
    "The port conflict is back on my machine.",
    "Which environment do the {c} integration tests use?",
    "Let's pair on the {c} after lunch.",
    "Hmm, that broke the build. Can you revert it?",
    "Summarize what changed in the {c} this week.",
    "Who reviewed the last {c} pull request?",
    "Could we cache that lookup in the {c}?",
    "Check the error rate of the {c} since the release.",
    "I don't like that naming, try again.",
    "Make the {c} error messages friendlier.",
    "The {c} owner wants a design doc first.",
    "What would you change in {s}/{file} to make it testable?",
    "We should probably deploy this before Friday.",
    "Node and Python both work locally, it's only CI that fails.",
    "Let's look at the logs together tomorrow.",
)
_ASSISTANT_SENTENCES = (
    "I looked at the {c} and the failure comes from a race in the startup code.",
    "The test suite for the {c} passes locally; the CI failure looks environmental.",
    "I extracted the parsing into a helper and added a test for the empty case.",
    "I can add a retry around that call, but it would hide the real error.",
    "The timeout you're seeing is probably the connection pool running dry.",
    "Let me check the logs first before changing anything.",
    "In src/{s}/{file} the function {fn} returns None when the list is empty.",
    "That error usually means the configuration was not reloaded.",
    "The {c} reads its settings once at start, so a restart is needed.",
    "I renamed the variables and kept the behaviour identical.",
    "Here is the diff; the only functional change is the early exit.",
    "The database query in the {c} scans the whole table; an index would help.",
    "Deploying now would also ship the unfinished migration, so I'd wait.",
    "The port is hard-coded in two places; I moved it into the config.",
    "I added logging at the boundaries so we can see which request stalls.",
    "The flaky test depends on wall-clock time; I replaced the sleep with an event.",
    "Both call sites pass the same arguments, so I merged them.",
    "The error handling swallows exceptions; I made it re-raise with context.",
    "The {c} and the {c2} share that helper, so the change affects both.",
    "The owner of that module asked for smaller pull requests, so I split it.",
    "Memory use grows with each request; something keeps a reference to the buffers.",
    "Type hints caught two call sites passing strings where ints were expected.",
    "The backoff constant was in milliseconds but read as seconds.",
    "The production logs show the same warning every minute.",
    "I'd keep the public interface and change only the internals.",
    "There are three options here, and the simplest one is probably enough.",
    "The benchmark shows the new version is about twice as fast.",
    "The cache key ignores the locale, which explains the wrong language.",
    "The script assumes a POSIX shell, so it fails on Windows.",
    "I checked the schema and the column is nullable, which the code doesn't expect.",
)
_FILLER = ("ka", "lo", "mi", "ren", "tas", "vo", "zu", "pel", "dor", "quin", "sa", "te",
           "bri", "mon", "gal", "fe", "ish", "un", "ar", "ol", "ne", "cy", "ther", "wa")
_ACKS = ("Got it.", "Noted, thanks.", "Okay, I'll keep that in mind.", "Understood.",
         "Makes sense.")
_ACTIVITIES = ("debugging", "refactor", "flaky tests", "release prep", "performance",
               "code review", "design notes", "cleanup", "incident follow-up", "new feature")


@dataclass(frozen=True)
class Message:
    """One generated message; ``fact`` is the index of the fact it states (or None)."""

    session: int
    role: str
    text: str
    created: float
    fact: int | None = None


@dataclass(frozen=True)
class Question:
    """A query and the facts (by index) whose messages are its evidence."""

    text: str
    style: str
    fact: int


@dataclass
class History:
    """One agent's sessions (title by index) and messages, in order."""

    titles: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


@dataclass
class Corpus:
    """The searched agent's history with its questions, and a competing agent's history."""

    ours: History
    other: History
    questions: list[Question]


class _Chatter:
    """Distracting messages that share the facts' vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words: set[str] = set()
        while len(words) < 4000:
            words.add("".join(rng.choice(_FILLER) for _ in range(rng.randint(2, 4))))
        self.vocab = sorted(words)
        weights = list(itertools.accumulate(1 / r for r in range(1, len(self.vocab) + 1)))
        self.stream = rng.choices(self.vocab, cum_weights=weights, k=200_000)

    def _slots(self, component: str) -> dict[str, str]:
        rng = self.rng
        return {"c": component, "c2": rng.choice(COMPONENTS), "s": slug(component),
                "file": rng.choice(ENTRY_FILES), "fn": f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"}

    def _filler(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        start = self.rng.randrange(len(self.stream) - count)
        return " ".join(self.stream[start:start + count]).capitalize() + "."

    def user(self, component: str) -> str:
        text = self.rng.choice(_USER_CHATTER).format(**self._slots(component))
        if self.rng.random() < 0.3:
            text += " " + self._filler(4, 14)
        return text

    def assistant(self, component: str) -> str:
        parts = [s.format(**self._slots(component))
                 for s in self.rng.sample(_ASSISTANT_SENTENCES, self.rng.randint(1, 5))]
        parts.insert(self.rng.randrange(len(parts) + 1), self._filler(6, 40))
        return " ".join(parts)


def _fact_texts(rng: random.Random, kind: Kind, component: str
                ) -> tuple[str, str | None, str, str]:
    """(statement, restating ack or None, question, question style)."""
    slots = {"c": component, **kind.values(rng, component)}
    statement = rng.choice(kind.statements).format(**slots)
    statement = statement[0].upper() + statement[1:]
    ack = rng.choice(kind.restating_acks).format(**slots) if rng.random() < 0.5 else None
    style = "natural" if rng.random() < 0.5 else "keywords"
    pool = kind.questions if style == "natural" else kind.keywords
    return statement, ack, rng.choice(pool).format(**slots), style


def _history(rng: random.Random, count: int, facts: list[tuple[Kind, str]], first_fact: int
             ) -> tuple[History, list[Question]]:
    """``count`` messages in sessions of 20-200 messages; ``facts`` stated once each, in a
    session about their component."""
    chatter = _Chatter(rng)
    history = History()
    questions: list[Question] = []
    sessions: list[tuple[str, int]] = []  # (component, size)
    total = 0
    while total < count:
        size = min(rng.randint(10, 100) * 2, count - total)
        sessions.append((rng.choice(COMPONENTS), size))
        total += size
    by_component: dict[str, list[int]] = {}
    for index, (component, _) in enumerate(sessions):
        by_component.setdefault(component, []).append(index)
    placed: dict[int, list[tuple[int, Kind, str]]] = {}
    for number, (kind, component) in enumerate(facts, first_fact):
        options = by_component.get(component) or list(range(len(sessions)))
        placed.setdefault(rng.choice(options), []).append((number, kind, component))
    span = 540 * DAY / max(1, len(sessions))
    for index, (component, size) in enumerate(sessions):
        history.titles.append(f"{component.capitalize()} {rng.choice(_ACTIVITIES)}")
        when = START + index * span + rng.random() * span / 2
        pending = list(placed.get(index, []))
        slots = sorted(rng.sample(range(size // 2), min(len(pending), size // 2)))
        turns: list[tuple[str, str, int | None]] = []
        for pair in range(size // 2):
            if pending and slots and pair == slots[0]:
                slots.pop(0)
                number, kind, fact_component = pending.pop(0)
                statement, ack, question, style = _fact_texts(rng, kind, fact_component)
                questions.append(Question(question, style, number))
                turns.append(("user", statement, number))
                turns.append(("assistant", ack or rng.choice(_ACKS),
                              number if ack else None))
            else:
                turns.append(("user", chatter.user(component), None))
                turns.append(("assistant", chatter.assistant(component), None))
        for role, text, fact in turns[:size]:
            when += rng.uniform(5, 240)
            history.messages.append(Message(index, role, text, when, fact))
    return history, questions


def generate(messages: int, other_messages: int, facts: int, seed: int = 11) -> Corpus:
    """The searched agent's ``messages`` with ``facts`` facts (one question each), and a
    competing agent's ``other_messages`` with facts about the same components."""
    rng = random.Random(seed)
    pairs = [(kind, component) for kind in KINDS for component in COMPONENTS]
    rng.shuffle(pairs)
    ours, questions = _history(rng, messages, pairs[:facts], 0)
    competing = [pair for pair in pairs[:facts] if rng.random() < 0.5]
    other, _ = _history(random.Random(seed + 1), other_messages, competing, facts)
    return Corpus(ours, other, questions)


def evidence(history: History) -> Iterator[tuple[int, int]]:
    """(message index, fact) for every message that states a fact."""
    for index, message in enumerate(history.messages):
        if message.fact is not None:
            yield index, message.fact
