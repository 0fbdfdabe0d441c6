"""Export memory: a tar.gz of the committed tree, or one AGENTS.md / CLAUDE.md file that other
coding agents can read."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from memfs.errors import AlreadyExists, InvalidArgument, InvalidFrontmatter
from memfs.frontmatter import parse
from memfs.objects import reader_for
from memfs.repo import MemoryRepo

FORMATS = ("tar.gz", "agents-md", "claude-md")


def export_archive(repo: MemoryRepo, target: Path) -> Path:
    """Write the tree at HEAD as ``target`` (tar.gz, files under ``memory/``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        repo.git.run("archive", "--format=tar.gz", "--prefix=memory/", "-o", tmp, "HEAD")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def render_markdown(repo: MemoryRepo, agent_name: str, title: str = "AGENTS.md") -> str:
    """One markdown document with every memory file at HEAD: ``system/`` first, then the rest."""
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
        text = blobs.get(sha, b"").decode("utf-8", "replace")
        try:
            file = parse(text, path)
            description, body = file.description, file.body
        except InvalidFrontmatter:
            description, body = "", text
        out += ["", f"## {path}", ""]
        if description:
            out += [f"> {description.splitlines()[0]}", ""]
        out.append(body.rstrip("\n"))
    return "\n".join(out) + "\n"


def export(repo: MemoryRepo, fmt: str, target: Path, agent_name: str, force: bool = False
           ) -> Path:
    """Export in one of FORMATS to ``target``; an existing file is replaced only with
    ``force`` (the refusal says what is there)."""
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
    text = render_markdown(repo, agent_name, title)
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
