"""Export memory: a tar.gz of the committed tree in Letta Code's format, or one AGENTS.md /
CLAUDE.md file that other coding agents can read (with the project's shared memory too).

``paths`` and ``expires`` are our additions to Letta's format, which refuses unknown keys: the
tar.gz leaves them out of the files that have them (``letta_dropped`` says which), and a
markdown export turns them into a note above the file."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from memfs import paths as memory_paths
from memfs.errors import AlreadyExists, InvalidArgument, InvalidFrontmatter
from memfs.frontmatter import load_lenient, parse, render_meta, split
from memfs.objects import reader_for
from memfs.repo import MemoryRepo

FORMATS = ("tar.gz", "agents-md", "claude-md")
OUR_KEYS = ("paths", "expires")  # frontmatter keys Letta Code does not know


@dataclass(frozen=True)
class Dropped:
    """Frontmatter keys a Letta-format export left out of one file."""

    path: str
    keys: list[str]


def _ours(text: str) -> list[str]:
    """Our keys (``paths``, ``expires``) in a file's frontmatter."""
    parts = split(text)
    if parts is None or not any(key in parts[0] for key in OUR_KEYS):
        return []
    meta = load_lenient(text)[0] or {}
    return [key for key in OUR_KEYS if key in meta]


def _for_letta(text: str) -> str:
    """``text`` without our keys (unchanged, byte for byte, when it has none)."""
    if not _ours(text):
        return text
    meta, body, nl = load_lenient(text)
    assert meta is not None
    kept = {k: v for k, v in meta.items() if k not in OUR_KEYS}
    return render_meta(kept, body, nl)


def letta_dropped(repo: MemoryRepo) -> list[Dropped]:
    """What a Letta-format export of HEAD leaves out, file by file."""
    reader = reader_for(repo.common_dir)
    entries = [(p, sha) for p, sha in reader.files(repo.head()) if p.endswith(".md")]
    blobs = reader.blobs([sha for _, sha in entries])
    found = [Dropped(p, _ours(blobs.get(sha, b"").decode("utf-8", "replace")))
             for p, sha in entries]
    return [d for d in found if d.keys]


def export_archive(repo: MemoryRepo, target: Path) -> Path:
    """Write the tree at HEAD as ``target`` (tar.gz, files under ``memory/``), in Letta
    Code's format: our frontmatter keys are left out (see ``letta_dropped``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        if letta_dropped(repo):
            _archive_without_our_keys(repo, Path(tmp))
        else:
            repo.git.run("archive", "--format=tar.gz", "--prefix=memory/", "-o", tmp, "HEAD")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _archive_without_our_keys(repo: MemoryRepo, target: Path) -> None:
    reader = reader_for(repo.common_dir)
    entries = reader.files(repo.head())
    blobs = reader.blobs([sha for _, sha in entries])
    stamp = int(datetime.now(UTC).timestamp())
    with tarfile.open(target, "w:gz") as tar:
        for path, sha in sorted(entries):
            data = blobs.get(sha, b"")
            if path.endswith(".md"):
                data = _for_letta(data.decode("utf-8", "replace")).encode("utf-8")
            info = tarfile.TarInfo(f"memory/{path}")
            info.size, info.mtime, info.mode = len(data), stamp, 0o644
            tar.addfile(info, io.BytesIO(data))


def render_markdown(repo: MemoryRepo, agent_name: str, title: str = "AGENTS.md",
                    project: Path | None = None) -> str:
    """One markdown document with every memory file at HEAD: ``system/`` first, then the rest;
    then, given ``project`` (a project memory folder), the project's shared memory as it is
    on disk. A scoped or expiring file gets a note saying so."""
    head = repo.head()
    reader = reader_for(repo.common_dir)
    entries = [(path, sha) for path, sha in reader.files(head) if path.endswith(".md")]
    entries.sort(key=lambda e: (not e[0].startswith("system/"), e[0]))
    blobs = reader.blobs([sha for _, sha in entries])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out = [
        f"# Memory of {agent_name}",
        "",
        f"<!-- {title} exported by memfs from memory commit {head[:12]} on {stamp}. "
        "Edit the memory with `memfs memory`, not this file. -->",
        "",
        "Files under `system/` are this agent's always-on context; the rest is reference "
        "material to consult when relevant.",
    ]
    for path, sha in entries:
        out += _section(path, blobs.get(sha, b"").decode("utf-8", "replace"), "##")
    if project is not None:
        names = sorted((p for p in memory_paths.walk(project)[0] if p.endswith(".md")),
                       key=lambda p: (not p.startswith("system/"), p))
        out += ["", "# Project memory", "",
                "Shared with everyone on this repository (`.memfs/memory/`, reviewed and "
                "committed like code)."]
        for path in names:
            out += _section("project/" + path, (project / path).read_bytes().decode(
                "utf-8", "replace"), "##")
    return "\n".join(out) + "\n"


def _section(path: str, text: str, level: str) -> list[str]:
    try:
        file = parse(text, path)
        description, body = file.description, file.body
        notes = ([f"Applies when working on files matching: {', '.join(file.paths)}"]
                 if file.paths else [])
        notes += [f"Expires on {file.expires.isoformat()}"] if file.expires else []
    except InvalidFrontmatter:
        description, body, notes = "", text, []
    out = ["", f"{level} {path}", ""]
    if description:
        out += [f"> {description.splitlines()[0]}", ""]
    out += [f"_{note}._" for note in notes] + ([""] if notes else [])
    out.append(body.rstrip("\n"))
    return out


def export(repo: MemoryRepo, fmt: str, target: Path, agent_name: str, force: bool = False,
           project: Path | None = None) -> Path:
    """Export in one of FORMATS to ``target`` (markdown ones with the project memory folder
    ``project`` too); an existing file is replaced only with ``force`` (the refusal says
    what is there)."""
    if fmt not in FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    target = Path(target)
    if (target.exists() or target.is_symlink()) and not force:
        raise AlreadyExists(f"{target} already exists ({_describe(target)}); exporting would "
                            "replace it", "pass --force to replace it, -o FILE to write "
                            "elsewhere, or -o - to print it")
    if fmt == "tar.gz":
        return export_archive(repo, target)
    title = "AGENTS.md" if fmt == "agents-md" else "CLAUDE.md"
    text = render_markdown(repo, agent_name, title, project)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)  # replaces a link itself, never the file it points to
    return target


def _describe(path: Path) -> str:
    """What an existing export target holds, for the refusal."""
    if path.is_symlink():
        return f"a link to {os.readlink(path)}"
    if path.is_dir():
        return "a folder"
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(4096).decode("utf-8", "replace")
    origin = "an earlier memfs export" if "exported by memfs" in head else "not written by memfs"
    return f"{size} bytes, {origin}"
