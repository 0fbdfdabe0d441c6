"""The memory file model: YAML frontmatter, then a markdown body kept byte-exact.

Allowed keys: ``description`` (required, non-empty), ``read_only`` (bool), ``limit`` (positive
int, characters of body); our additions to the Letta Code format: ``paths`` (a list of globs
relative to the workspace: the file is loaded in full only while the user works on a matching
file) and ``expires`` (``YYYY-MM-DD``: after that day the file leaves the in-context tier and
lint asks for a review). ``skills/<name>/SKILL.md`` may also carry ``name``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from memfs.errors import InvalidFrontmatter, OverLimit

ALLOWED_KEYS = ("description", "read_only", "limit", "paths", "expires")
MAX_GLOBS = 50
MAX_GLOB_CHARS = 300
# A frontmatter line whose value YAML would read as this exact plain string (no quoting, no
# flow or block syntax, no comment, no number/bool/null look-alike): parsed without YAML.
_PLAIN = r"[^:#\[\]{}&*!|>'\"%@`]"
_SIMPLE_LINE = re.compile(rf"^([a-z_]+): ([A-Za-z(]{_PLAIN}*(?!\s){_PLAIN})$")
# ...or a single-quoted one (how the serialiser writes text holding ': ' and the like).
_QUOTED_LINE = re.compile(r"^([a-z_]+): '((?:[^']|'')*)'$")
_UNUSUAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
SKILL_KEYS = ("name",)
_DELIM = "---"
_QUICK_OPENER = "---\ndescription: "
_QUICK_CLOSER = "\n---\n"
_QUICK_MAX = 1000  # characters of a description written without YAML (its width is 10,000)


@dataclass(frozen=True)
class MemoryFile:
    """One parsed memory file. ``body`` is exactly the text after the closing ``---`` line."""

    description: str
    body: str
    read_only: bool = False
    limit: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    newline: str = "\n"
    paths: tuple[str, ...] = ()  # globs relative to the workspace; () = not scoped
    expires: date | None = None

    def render(self) -> str:
        """Serialise to file text; parse(render(f)) == f."""
        meta: dict[str, Any] = {"description": self.description}
        meta.update(self.extra)
        if self.read_only:
            meta["read_only"] = True
        if self.limit is not None:
            meta["limit"] = self.limit
        if self.paths:
            meta["paths"] = list(self.paths)
        if self.expires is not None:
            meta["expires"] = self.expires
        return render_meta(meta, self.body, self.newline)

    def expired(self, today: date) -> bool:
        """Whether ``expires`` is before ``today``."""
        return self.expires is not None and self.expires < today


def render_meta(meta: dict[str, Any], body: str, newline: str = "\n") -> str:
    """File text of frontmatter ``meta`` (any keys, in order) and ``body``."""
    dumped = _dump(meta)
    if newline != "\n":
        dumped = dumped.replace("\n", newline)
    return f"{_DELIM}{newline}{dumped}{_DELIM}{newline}{body}"


def _loader() -> Any:
    """PyYAML's safe loader (C if built). PyYAML is imported only where it is needed: the
    line reader of ``load_yaml`` takes the common frontmatter without it."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_error() -> type[Exception]:
    """PyYAML's error class, for ``except`` clauses (evaluated only once something was
    raised, so reading a plain frontmatter never imports PyYAML)."""
    import yaml

    return yaml.YAMLError


def _dump(meta: dict[str, Any]) -> str:
    """YAML for ``meta`` that reads back as ``meta``: readable unicode, except that text
    holding characters YAML reads as line breaks (NEL, U+2028, U+2029) is written escaped."""
    if len(meta) == 1 and _plain_description(meta.get("description")):
        return f"description: {meta['description']}\n"  # what YAML writes for it
    import yaml

    for allow_unicode in (True, False):
        dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=allow_unicode,
                                default_flow_style=False, width=10_000)
        if yaml.load(dumped, Loader=_loader()) == meta:
            break
    return dumped


def _plain_description(value: Any) -> bool:
    """Whether YAML writes ``value`` as a plain scalar on one line and reads it back as the
    same text: printable, no YAML syntax or look-alike word (the simple-line rule), and far
    shorter than the line width that would fold it."""
    return (isinstance(value, str) and len(value) <= _QUICK_MAX and value.isprintable()
            and _SIMPLE_LINE.match(f"description: {value}") is not None
            and value.lower() not in _YAML_WORDS)


def split(text: str) -> tuple[str, str, str] | None:
    """Split file text into (frontmatter yaml, body, newline style), or None without frontmatter."""
    for nl in ("\n", "\r\n"):
        opener = _DELIM + nl
        if not text.startswith(opener):
            continue
        rest = text[len(opener) :]
        if rest.startswith(_DELIM + nl):
            return "", rest[len(_DELIM + nl) :], nl
        if rest == _DELIM:
            return "", "", nl
        closer = nl + _DELIM + nl
        idx = rest.find(closer)
        if idx >= 0:
            return rest[:idx], rest[idx + len(closer) :], nl
        if rest.endswith(nl + _DELIM):
            return rest[: -len(nl + _DELIM)], "", nl
        return None
    return None


def load_yaml(raw: str) -> Any:
    """The frontmatter mapping: simple ``key: plain text`` / ``key: 'quoted text'`` /
    ``read_only: true`` / ``limit: 5`` lines are read directly (the common case, ten times
    faster, and PyYAML is not even imported); anything else goes to the YAML loader."""
    if not raw.strip():
        return {}
    if _UNUSUAL.search(raw):  # control characters and YAML's extra line breaks
        return _load_full(raw)
    meta: dict[str, Any] = {}
    for line in raw.splitlines():
        if line.startswith("read_only: ") and line[11:] in ("true", "false"):
            meta["read_only"] = line[11:] == "true"
            continue
        if line.startswith("limit: ") and line[7:].isascii() and line[7:].isdigit() \
                and not line[7:].startswith("0"):
            meta["limit"] = int(line[7:])
            continue
        quoted = _QUOTED_LINE.match(line)
        if quoted is not None and quoted.group(1) not in meta \
                and quoted.group(1) not in _YAML_WORDS:  # YAML reads 'on:' as a bool key
            meta[quoted.group(1)] = quoted.group(2).replace("''", "'")
            continue
        match = _SIMPLE_LINE.match(line)
        if match is None or match.group(1) in meta or match.group(1) in _YAML_WORDS \
                or match.group(2).lower() in _YAML_WORDS:
            return _load_full(raw)
        meta[match.group(1)] = match.group(2)
    return meta


def _load_full(raw: str) -> Any:
    """YAML's reading of the frontmatter lines, each ending with its line break as in the
    file (a block scalar's final line break is part of its value)."""
    import yaml

    return yaml.load(raw + "\n", Loader=_loader())


def load_lenient(text: str) -> tuple[dict[str, Any] | None, str, str]:
    """(frontmatter mapping, body, newline style) of a file that may be invalid, without
    validating keys or values: ``{}`` and the whole text as body without frontmatter; None
    as the mapping when the frontmatter is not a YAML mapping."""
    parts = split(text)
    if parts is None:
        return {}, text, "\r\n" if "\r\n" in text else "\n"
    raw, body, nl = parts
    try:
        meta = load_yaml(raw)
    except _yaml_error():
        return None, body, nl
    return (meta if isinstance(meta, dict) else None), body, nl


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file's frontmatter, at its 1-based line in the file."""

    code: str  # invalid-frontmatter | unknown-key | missing-description
    line: int
    message: str
    hint: str


def parse(text: str, path: str = "") -> MemoryFile:
    """Parse and validate a memory file; raise InvalidFrontmatter naming the first problem."""
    file, problems = check(text, path)
    if file is None:
        raise InvalidFrontmatter(problems[0].message, problems[0].hint)
    return file


def check(text: str, path: str = "") -> tuple[MemoryFile | None, list[Problem]]:
    """The parsed file, or every frontmatter problem found (each on its own line). A YAML
    error hides what comes after it; otherwise all problems are reported."""
    quick = _description_only(text)
    if quick is not None:
        return MemoryFile(description=quick[0], body=quick[1]), []
    where = f" in {path}" if path else ""
    parts = split(text)
    if parts is None:
        if text.split("\n", 1)[0].rstrip("\r") == _DELIM:
            return None, [Problem("invalid-frontmatter", 1,
                                  f"frontmatter{where} starts with '---' but is never closed",
                                  "add a closing '---' line after its keys")]
        return None, [Problem("invalid-frontmatter", 1, f"no YAML frontmatter{where}",
                              "start the file with '---', a 'description: ...' line, and '---'")]
    raw, body, nl = parts
    try:
        meta = load_yaml(raw)
    except _yaml_error() as exc:
        mark = getattr(exc, "problem_mark", None)
        last = raw.count("\n") + 2  # the frontmatter's last line in the file
        line = min(mark.line + 2, last) if mark is not None else 2
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem("invalid-frontmatter", line,
                              f"frontmatter{where} is not valid YAML (line {line}): {reason}",
                              "fix the YAML between the '---' lines")]
    if not isinstance(meta, dict):
        return None, [Problem("invalid-frontmatter", 2, f"frontmatter{where} is not a mapping "
                              "of keys", "write 'description: ...' lines")]
    found = _value_problems(meta, path, where)
    if found:
        lines = key_lines(raw)
        return None, [Problem(code, lines.get(str(key), 1), message, hint)
                      for key, code, message, hint in found]
    extra = {k: meta[k] for k in meta if k in SKILL_KEYS}
    return MemoryFile(
        description=meta["description"], body=body, read_only=meta.get("read_only", False),
        limit=meta.get("limit"), extra=extra, newline=nl, paths=globs_of(meta.get("paths")),
        expires=date_of(meta.get("expires")),
    ), []


def _description_only(text: str) -> tuple[str, str] | None:
    """(description, body) of a file whose whole frontmatter is one ``description:`` line
    holding plain or single-quoted printable text (what ``render`` writes for a lone
    description), the common case, read without splitting lines or checking keys; None for
    anything else (which then takes the full path, with the same result for this case)."""
    if not text.startswith(_QUICK_OPENER):
        return None
    end = text.find(_QUICK_CLOSER, len(_QUICK_OPENER))
    if end < 0:
        return None
    line = text[4:end]
    if "\n" in line or "\r" in line or _UNUSUAL.search(line):
        return None
    match = _QUOTED_LINE.match(line)  # the line starts with 'description: ' (the opener)
    if match is not None:
        value = match.group(2).replace("''", "'")
        if not value.isprintable() or not value.strip():
            return None
        return value, text[end + len(_QUICK_CLOSER):]
    match = _SIMPLE_LINE.match(line)
    if match is None or match.group(2).lower() in _YAML_WORDS:
        return None
    return match.group(2), text[end + len(_QUICK_CLOSER):]


def globs_of(value: Any) -> tuple[str, ...]:
    """The globs of a (valid) ``paths`` value: a list of strings, or one string."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def date_of(value: Any) -> date | None:
    """The day of a (valid) ``expires`` value: a YAML date or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _value_problems(meta: dict[Any, Any], path: str, where: str
                    ) -> list[tuple[Any, str, str, str]]:
    """(key, code, message, hint) of every bad key or value."""
    found: list[tuple[Any, str, str, str]] = []
    allowed = ALLOWED_KEYS + (SKILL_KEYS if path.endswith("SKILL.md") else ())
    for key in meta:
        if key not in allowed:
            found.append((key, "unknown-key", f"unknown frontmatter key {key!r}{where}",
                          f"allowed keys are {', '.join(allowed)}; remove {key!r}"))
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        found.append(("description", "missing-description",
                      f"missing or empty 'description'{where}",
                      "add 'description: <what this file is for>' to the frontmatter"))
    if not isinstance(meta.get("read_only", False), bool):
        found.append(("read_only", "invalid-frontmatter",
                      f"'read_only'{where} must be true or false", "use read_only: true"))
    limit = meta.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit <= 0):
        found.append(("limit", "invalid-frontmatter",
                      f"'limit'{where} must be a positive whole number of characters",
                      "e.g. limit: 5000"))
    if "paths" in meta:
        problem = glob_problem(meta["paths"])
        if problem:
            found.append(("paths", "invalid-frontmatter", f"'paths'{where} {problem}",
                          'e.g. paths: ["src/api/**", "migrations/*.sql"] (globs relative to '
                          "the workspace)"))
    expires = meta.get("expires")
    if "expires" in meta and (isinstance(expires, datetime) or date_of(expires) is None):
        found.append(("expires", "invalid-frontmatter",
                      f"'expires'{where} must be a day written YYYY-MM-DD",
                      "e.g. expires: 2026-06-30"))
    return found


def glob_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``paths`` list (None when it is)."""
    globs = [value] if isinstance(value, str) else value
    if not isinstance(globs, list) or not globs:
        return "must be a non-empty list of globs"
    if len(globs) > MAX_GLOBS:
        return f"holds {len(globs)} globs; at most {MAX_GLOBS}"
    for glob in globs:
        if not isinstance(glob, str) or not glob.strip():
            return "must hold only non-empty text globs"
        if len(glob) > MAX_GLOB_CHARS or _UNUSUAL.search(glob) or "\\" in glob:
            return f"has an unusable glob {glob[:60]!r}"
        if glob.startswith("~") or ".." in glob.lstrip("!").split("/"):
            return f"has a glob {glob!r} that leaves the workspace"
    return None


def key_lines(raw: str) -> dict[str, int]:
    """The file line (1-based) of each top-level frontmatter key."""
    import yaml

    node = yaml.compose(raw, Loader=_loader())
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 2 for key, _ in node.value}


def check_limit(file: MemoryFile, path: str) -> None:
    """Raise OverLimit when the body is longer than the file's ``limit``."""
    if file.limit is not None and len(file.body) > file.limit:
        raise OverLimit(
            f"{path} would be {len(file.body)} characters, over its limit of {file.limit}",
            "shorten the text, move detail into another file, or raise 'limit'",
        )


def peek_description(text: str) -> str | None:
    """Best-effort description for display (tree, projection); None when unreadable."""
    parts = split(text)
    if parts is None:
        return None
    try:
        meta = load_yaml(parts[0])
    except _yaml_error():
        return None
    if isinstance(meta, dict) and isinstance(meta.get("description"), str):
        return str(meta["description"]).strip() or None
    return None
