"""Export memory: a tar.gz of the committed tree, or one AGENTS.md / CLAUDE.md file that other
coding agents can read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from memfs.errors import InvalidArgument, InvalidFrontmatter
from memfs.frontmatter import parse
from memfs.objects import reader_for
from memfs.repo import MemoryRepo

FORMATS = ("tar.gz", "agents-md", "claude-md")


def export_archive(repo: MemoryRepo, target: Path) -> Path:
    """Write the tree at HEAD as ``target`` (tar.gz, files under ``memory/``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.git.run("archive", "--format=tar.gz", "--prefix=memory/", "-o", str(target), "HEAD")
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


def export(repo: MemoryRepo, fmt: str, target: Path, agent_name: str) -> Path:
    """Export in one of FORMATS to ``target``."""
    if fmt == "tar.gz":
        return export_archive(repo, target)
    if fmt in ("agents-md", "claude-md"):
        title = "AGENTS.md" if fmt == "agents-md" else "CLAUDE.md"
        Path(target).write_text(render_markdown(repo, agent_name, title), encoding="utf-8")
        return Path(target)
    raise InvalidArgument(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
