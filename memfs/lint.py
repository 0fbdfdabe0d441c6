"""Lint: the deterministic half of /doctor. Reads the working tree (what the user edits).

Every finding has a code, severity, path, 1-based file line range and message.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from memfs import paths
from memfs.errors import InvalidPath
from memfs.frontmatter import check, split
from memfs.tokens import estimate_tokens

DEFAULT_SYSTEM_BUDGET = 20_000
NEAR_DUPLICATE_JACCARD = 0.8
_LINK = re.compile(r"\[\[([^\]\|#\n]+)(?:#[^\]\|\n]*)?(?:\|[^\]\n]*)?\]\]")
_WORD = re.compile(r"\w+")
_SKETCH = 16
_SHINGLE = 4

ERROR, WARNING, INFO = "error", "warning", "info"


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


def lint_text(rel: str, text: str, known: set[str] | None = None) -> list[Finding]:
    """Findings for one file's text; ``known`` (all memory paths) enables link checks."""
    findings: list[Finding] = []
    parts = split(text)
    fm_lines = 1
    if parts is not None:
        fm_lines = parts[0].count("\n") + 3 if parts[0] else 2
    file, problems = check(text, rel)
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
    if known is not None:
        for number, line in enumerate(body.splitlines(), start=offset + 1):
            for match in _LINK.finditer(line):
                target = match.group(1).strip()
                if not _link_ok(target, known):
                    findings.append(Finding(
                        "broken-link", WARNING, rel, number, number,
                        f"[[{target}]] points to no memory file"))
    return findings


def _link_ok(target: str, known: set[str]) -> bool:
    try:
        rel = paths.normalize(target.rstrip("/"), markdown=False)
    except InvalidPath:
        return False
    if rel in known or rel + ".md" in known:
        return True
    prefix = rel + "/"
    return any(k.startswith(prefix) for k in known)


def lint(root: Path, system_budget: int = DEFAULT_SYSTEM_BUDGET) -> list[Finding]:
    """Lint every file under the memory folder ``root``."""
    names, dirs = paths.walk(root)
    files: dict[str, str] = {}
    for rel in names:
        with open(root / rel, "rb") as handle:
            files[rel] = handle.read().decode("utf-8", "replace")
    known = set(files)
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
        findings += lint_text(rel, text, known)
        parts = split(text)
        bodies[rel] = parts[1] if parts else text
        stem = rel[: -len(".md")]
        if stem in dirs:
            findings.append(Finding(
                "name-clash", ERROR, rel, 1, 1,
                f"file {rel} and folder {stem}/ share a name; merge or rename one"))
    findings += _system_budget(files, system_budget)
    findings += _near_duplicates(bodies)
    if "system/persona.md" not in files:
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
    """Exact duplicates by hash; near duplicates by bottom-k sketches, then exact Jaccard."""
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
    sketches = {rel: heapq.nsmallest(_SKETCH, s) for rel, s in shingles.items()}
    buckets: dict[int, list[str]] = defaultdict(list)
    for rel, sketch in sketches.items():
        for value in sketch:
            buckets[value].append(rel)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for members in buckets.values():
        if len(members) > 64:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared[(min(a, b), max(a, b))] += 1
    for (a, b), count in sorted(shared.items()):
        if count < _SKETCH // 2 or (a, b) in reported or (b, a) in reported:
            continue
        sa, sb = shingles[a], shingles[b]
        jaccard = len(sa & sb) / len(sa | sb)
        if jaccard >= NEAR_DUPLICATE_JACCARD:
            findings.append(_dup_finding(b, a, jaccard))
    return findings


def _dup_finding(rel: str, other: str, similarity: float) -> Finding:
    kind = "duplicates" if similarity >= 1.0 else f"is {similarity:.0%} similar to"
    return Finding("near-duplicate", WARNING, rel, 1, 1,
                   f"{rel} {kind} {other}; merge them into one file")
