"""What may enter memory's history: the secret guard applied to what is committed, not to
what was typed.

``check_commit`` runs inside every memfs commit (``memfs.repo.Transaction``): the resulting
content of every committed file, every path and the commit message. ``check_incoming`` runs
before commits made elsewhere land (Letta import, restore of a bundle, remote pull, a
reflection's branch): commit by commit, the content of every blob it adds or changes, every
path it touches and its message and author lines. A refusal names the commit and the path,
never the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from memfs import paths
from memfs.errors import InvalidPath, SecretDetected
from memfs.git import Git
from memfs.secrets import find_secrets, guard, redact

_ZERO = "0" * 40
_GITLINK = "160000"


def check_message(message: str, what: str = "the commit message (the edit's reason)") -> None:
    """Refuse a commit message holding a credential."""
    hits = find_secrets(message)
    if hits:
        line, kind = hits[0]
        raise SecretDetected(
            f"refusing to commit a credential in {what}: {kind} on line {line}",
            "say why without the secret; memory's history is kept in git",
        )


def check_path(path: str) -> None:
    """Refuse a path holding a credential (named with the credential redacted)."""
    hits = find_secrets(path)
    if hits:
        raise SecretDetected(
            f"refusing to commit a credential in a file path: {hits[0][1]} in "
            f"{redact(path)[0]!r}",
            "choose a path without the secret; paths are kept in memory's history",
        )


def check_commit(files: Mapping[str, bytes | None], message: str, new_paths: set[str]) -> None:
    """Check one commit about to be made: ``files`` maps each committed path to its resulting
    bytes (None when the commit removes it); ``new_paths`` are the paths it creates."""
    check_message(message)
    for rel, data in files.items():
        check_path(rel)
        if rel in new_paths:
            paths.check_new_name(rel)
        if data is not None:
            guard(data.decode("utf-8", "replace"), rel)


@dataclass(frozen=True)
class _Commit:
    sha: str
    subject: str
    header: str  # author and committer lines, then the message


def check_incoming(git: Git, revisions: list[str], source: str, hint: str) -> int:
    """Scan the commits ``git rev-list REVISIONS`` lists (e.g. ``["HEAD"]`` for a whole
    history, ``["origin/main", "^HEAD"]`` for what a pull brings) before they land; raise
    SecretDetected naming the first bad commit and path, with ``hint`` saying how to proceed.
    ``source`` names where the commits come from. Returns how many commits were checked."""
    shas = [s for s in git.text("rev-list", "--reverse", *revisions, "--").split() if s]
    if not shas:
        return 0
    commits = _commits(git, shas)
    changes = _changes(git, shas)
    blobs = _batch(git, sorted({blob for entries in changes.values() for _, blob in entries}))
    for sha in shas:
        commit = commits[sha]
        where = f"{redact(source)[0]}: commit {sha[:10]} ({redact(commit.subject)[0][:60]!r})"
        try:
            check_message(commit.header, "its message or author")
            for rel, blob in changes.get(sha, []):
                check_path(rel)
                paths.check_characters(rel)
                if blob in blobs:
                    guard(blobs[blob].decode("utf-8", "replace"), rel)
        except (SecretDetected, InvalidPath) as exc:
            raise type(exc)(f"{where}: {exc.message}; nothing was changed", hint) from None
    return len(shas)


def _commits(git: Git, shas: list[str]) -> dict[str, _Commit]:
    found: dict[str, _Commit] = {}
    for sha, data in _batch(git, shas).items():
        text = data.decode("utf-8", "replace")
        head, _, message = text.partition("\n\n")
        people = [line for line in head.splitlines()
                  if line.startswith(("author ", "committer "))]
        subject = message.strip().splitlines()[0] if message.strip() else ""
        found[sha] = _Commit(sha, subject, "\n".join(people + [message]))
    return found


def _changes(git: Git, shas: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Per commit, (path, new blob) of every file it adds or changes (against each parent,
    so a merge that brings content of its own is seen too); deletions carry no blob."""
    out = git.run("diff-tree", "--stdin", "-m", "-r", "-z", "--root", "--no-renames",
                  "--no-abbrev", input="\n".join(shas).encode() + b"\n")
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    found: dict[str, list[tuple[str, str]]] = {}
    current = ""
    index = 0
    while index < len(tokens):
        token = tokens[index].strip("\n")
        index += 1
        if token.startswith(":"):
            fields = token[1:].split()
            rel = tokens[index] if index < len(tokens) else ""
            index += 1
            blob = fields[3] if len(fields) > 3 else _ZERO
            if blob != _ZERO and fields[1] != _GITLINK:
                found.setdefault(current, []).append((rel, blob))
            elif rel:
                found.setdefault(current, []).append((rel, _ZERO))
        elif token:
            current = token.split()[0]
    return found


def _batch(git: Git, shas: list[str]) -> dict[str, bytes]:
    """The raw contents of objects, read in one ``git cat-file --batch``."""
    if not shas:
        return {}
    out = git.run("cat-file", "--batch", input="\n".join(shas).encode() + b"\n")
    found: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].decode("ascii", "replace").split()
        pos = end + 1
        if len(header) < 3:  # "<sha> missing"
            continue
        size = int(header[2])
        found[header[0]] = out[pos:pos + size]
        pos += size + 1
    return found
