"""Lint: the deterministic half of /doctor. Reads the working tree (what the user edits).

Every finding has a code, severity, path, 1-based file line range and message. Given the
workspace, lint also reports memory that has gone stale: a cited workspace path that no
longer exists (``stale-citation``), ``paths:`` globs that match no file (``unmatched-glob``)
and a file past its ``expires:`` day (``expired``), except in ``archive/``, where retired
memory goes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from memfs import paths
from memfs.errors import InvalidPath
from memfs.frontmatter import check, key_lines, split
from memfs.scope import unmatched
from memfs.tokens import DEFAULT_SYSTEM_BUDGET, estimate_tokens
from memfs.workspace import WorkspaceView

NEAR_DUPLICATE_JACCARD = 0.8
_LINK = re.compile(r"\[\[([^\]\|#\n]+)(?:#[^\]\|\n]*)?(?:\|[^\]\n]*)?\]\]")
_WORD = re.compile(r"\w+")
# A workspace path cited in backticks or as a markdown link target: no spaces, at least one
# '/', optionally followed by :LINE[:COL] or #L...
_CITATION = re.compile(r"`([^`\s]+/[^`\s]*)`|\]\(([^)\s]+/[^)\s]*)\)")
_LOCATION = re.compile(r"(?::\d+(?:[:-]\d+)?|#L\d+(?:-L?\d+)?)$")
_NOT_A_PATH = re.compile(r"[*?\[\]{}<>|$@=,;'\"()]|://|^[-~/.]|\.\.")
_BANDS, _ROWS = 12, 4  # MinHash LSH: a pair at Jaccard 0.8 shares a band with p = 0.998
_BUCKET_CAP = 64  # a band bucket larger than this is boilerplate, not a duplicate group
_SHINGLE = 4

ERROR, WARNING, INFO = "error", "warning", "info"
ARCHIVE = "archive/"  # where doctor and reflection retire memory (no staleness reported there)


@dataclass(frozen=True)
class Finding:
    """One lint result."""

    code: str
    severity: str
    path: str
    start_line: int
    end_line: int
    message: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.path}:{self.start_line}: {self.severity}: {self.message} [{self.code}]"


def lint_text(rel: str, text: str, known: set[str] | None = None, *,
              workspace: WorkspaceView | None = None, today: date | None = None
              ) -> list[Finding]:
    """Findings for one file's text; ``known`` (all memory paths) enables link checks;
    ``workspace`` the checks of citations and ``paths:`` globs; ``today`` of ``expires``."""
    findings: list[Finding] = []
    if rel.startswith(ARCHIVE):  # retired memory: what it cites or when it expired is history
        workspace, today = None, None
    parts = split(text)
    fm_lines = 1
    if parts is not None:
        fm_lines = parts[0].count("\n") + 3 if parts[0] else 2
    file, problems = check(text, rel)
    if file is not None and parts is not None and (file.paths or file.expires):
        lines = key_lines(parts[0])
        if today is not None and file.expired(today):
            assert file.expires is not None
            at = lines.get("expires", 1)
            findings.append(Finding(
                "expired", WARNING, rel, at, at,
                f"{rel} expired on {file.expires.isoformat()} and is no longer in context: "
                "review it (update it and move 'expires' on, or archive it)"))
        if workspace is not None and file.paths:
            at = lines.get("paths", 1)
            findings += [Finding("unmatched-glob", WARNING, rel, at, at,
                                 f"paths glob {glob!r} matches no file in the workspace")
                         for glob in unmatched(file.paths, workspace.files())]
    findings += [Finding(p.code, ERROR, rel, p.line, p.line, f"{p.message}: {p.hint}")
                 for p in problems]
    body = file.body if file else (parts[1] if parts else text)
    offset = fm_lines if parts is not None else 0
    if not body.strip():
        findings.append(Finding("empty-file", WARNING, rel, 1, 1, f"{rel} has no content"))
    if file and file.limit is not None and len(file.body) > file.limit:
        findings.append(Finding(
            "over-limit", ERROR, rel, offset + 1, offset + max(body.count("\n"), 1),
            f"{rel} is {len(file.body)} characters, over its limit of {file.limit}"))
    if known is not None or workspace is not None:
        for number, line in enumerate(body.splitlines(), start=offset + 1):
            for match in _LINK.finditer(line) if known is not None else ():
                target = match.group(1).strip()
                if known is not None and not _link_ok(target, known):
                    findings.append(Finding(
                        "broken-link", WARNING, rel, number, number,
                        f"[[{target}]] points to no memory file"))
            if workspace is not None and "/" in line:
                for cited in citations(line):
                    if workspace.gone(cited):
                        findings.append(Finding(
                            "stale-citation", WARNING, rel, number, number,
                            f"cites {cited}, which no longer exists in the workspace: update "
                            "or archive this memory"))
    return findings


def citations(line: str) -> list[str]:
    """The workspace paths a line of memory cites (in backticks or as link targets)."""
    found: list[str] = []
    for match in _CITATION.finditer(line):
        token = _LOCATION.sub("", match.group(1) or match.group(2)).removeprefix("./")
        if token and not _NOT_A_PATH.search(token) and token not in found:
            found.append(token)
    return found


def _link_ok(target: str, known: set[str]) -> bool:
    try:
        rel = paths.normalize(target.rstrip("/"), markdown=False)
    except InvalidPath:
        return False
    if rel in known or rel + ".md" in known:
        return True
    prefix = rel + "/"
    return any(k.startswith(prefix) for k in known)


def lint(root: Path, system_budget: int = DEFAULT_SYSTEM_BUDGET, *,
         workspace: Path | None = None, today: date | None = None, project: bool = False,
         other_tier: set[str] | None = None) -> list[Finding]:
    """Lint every file under the memory folder ``root``. With ``workspace``: citations and
    ``paths:`` globs; ``today`` (default: the local date) for ``expires``. ``project``: this
    is project memory (no persona expected; ``[[project/...]]`` links resolve here);
    ``other_tier``: the paths links may reach in the other tier (``project/...`` ones from
    an agent's memory)."""
    names, dirs = paths.walk(root)
    files: dict[str, str] = {}
    for rel in names:
        with open(root / rel, "rb") as handle:
            files[rel] = handle.read().decode("utf-8", "replace")
    known = set(files) | (other_tier or set())
    if project:
        known |= {"project/" + rel for rel in files}
    view = WorkspaceView(workspace) if workspace is not None else None
    today = today or date.today()
    findings: list[Finding] = []
    bodies: dict[str, str] = {}
    for rel in sorted(files):
        text = files[rel]
        if not rel.endswith(".md"):
            if rel.startswith("system/"):
                findings.append(Finding(
                    "non-markdown-in-system", WARNING, rel, 1, 1,
                    f"{rel} is not markdown; only .md files under system/ reach the prompt"))
            continue
        findings += lint_text(rel, text, known, workspace=view, today=today)
        parts = split(text)
        bodies[rel] = parts[1] if parts else text
        stem = rel[: -len(".md")]
        if stem in dirs:
            findings.append(Finding(
                "name-clash", ERROR, rel, 1, 1,
                f"file {rel} and folder {stem}/ share a name; merge or rename one"))
    findings += _system_budget(files, system_budget)
    findings += _near_duplicates(bodies)
    if "system/persona.md" not in files and not project:
        findings.append(Finding("missing-persona", WARNING, "system/persona.md", 1, 1,
                                "system/persona.md is missing: the agent has no stated identity"))
    return sorted(findings, key=lambda f: (f.path, f.start_line, f.code))


def _system_budget(files: dict[str, str], budget: int) -> list[Finding]:
    sizes = {rel: estimate_tokens(len(text.encode("utf-8")))
             for rel, text in files.items() if rel.startswith("system/") and rel.endswith(".md")}
    total = sum(sizes.values())
    if total <= budget:
        return []
    largest = ", ".join(f"{rel} ({tok})" for rel, tok in
                        sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
    return [Finding("system-over-budget", WARNING, "system/", 1, 1,
                    f"system/ is about {total} tokens, over the budget of {budget}; largest: "
                    f"{largest}. Move detail into reference files outside system/")]


def _shingles(body: str) -> set[int]:
    words = _WORD.findall(body.lower())
    if len(words) < _SHINGLE:
        return {hash(tuple(words))} if words else set()
    return set(map(hash, zip(words, words[1:], words[2:], words[3:], strict=False)))


def _near_duplicates(bodies: dict[str, str]) -> list[Finding]:
    """Exact duplicates by hash; near duplicates by MinHash with banded locality-sensitive
    hashing (candidates share a band: linear in the number of files for unrelated ones),
    then exact Jaccard."""
    findings: list[Finding] = []
    by_hash: dict[str, list[str]] = defaultdict(list)
    for rel, body in bodies.items():
        normal = " ".join(body.split()).lower()
        if len(normal) >= 40:
            by_hash[hashlib.sha1(normal.encode()).hexdigest()].append(rel)
    reported: set[tuple[str, str]] = set()
    for group in by_hash.values():
        for other in group[1:]:
            reported.add((group[0], other))
            findings.append(_dup_finding(other, group[0], 1.0))
    shingles = {rel: s for rel, body in bodies.items() if len(s := _shingles(body)) >= 8}
    for a, b in sorted(_candidates(shingles)):
        if (a, b) in reported or (b, a) in reported:
            continue
        sa, sb = shingles[a], shingles[b]
        jaccard = len(sa & sb) / len(sa | sb)
        if jaccard >= NEAR_DUPLICATE_JACCARD:
            findings.append(_dup_finding(b, a, jaccard))
    return findings


def _candidates(shingles: dict[str, set[int]]) -> set[tuple[str, str]]:
    """Pairs (a < b) whose MinHash signatures agree on a whole band."""
    if len(shingles) < 2:
        return set()
    import numpy as np  # only lint needs it; kept off every start path

    names = sorted(shingles)
    sizes = np.fromiter((len(shingles[n]) for n in names), dtype=np.int64, count=len(names))
    values = np.fromiter((h for n in names for h in shingles[n]), dtype=np.int64,
                         count=int(sizes.sum())).view(np.uint64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rng = np.random.default_rng(20261202)  # fixed: the same files give the same findings
    count = _BANDS * _ROWS
    mult = rng.integers(1, 2**63, size=count, dtype=np.uint64) | np.uint64(1)
    add = rng.integers(0, 2**63, size=count, dtype=np.uint64)
    mix = rng.integers(1, 2**63, size=_ROWS, dtype=np.uint64) | np.uint64(1)
    keys = np.zeros((len(names), _BANDS), dtype=np.uint64)
    for i in range(count):
        minima = np.minimum.reduceat((values * mult[i] + add[i]) >> np.uint64(32), starts)
        keys[:, i // _ROWS] ^= minima * mix[i % _ROWS]  # one key per band
    pairs: set[tuple[str, str]] = set()
    for band in range(_BANDS):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        edges = np.flatnonzero(np.diff(ordered)) + 1
        firsts = np.concatenate(([0], edges))
        lasts = np.concatenate((edges, [len(order)]))
        sizes = lasts - firsts
        for run in np.flatnonzero((sizes >= 2) & (sizes <= _BUCKET_CAP)).tolist():
            members = [names[i] for i in order[firsts[run]:lasts[run]].tolist()]
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    return pairs


def _dup_finding(rel: str, other: str, similarity: float) -> Finding:
    kind = "duplicates" if similarity >= 1.0 else f"is {similarity:.0%} similar to"
    return Finding("near-duplicate", WARNING, rel, 1, 1,
                   f"{rel} {kind} {other}; merge them into one file")
