"""Deterministic project context for /init: git facts, docs, build files, commands, layout,
languages. No model involved. Every file is read through its real path and only when that
lies inside the workspace: a link out of it (``AGENTS.md`` -> ``~/.ssh/id_rsa``, a rules
folder -> ``/etc``) is not followed."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from memfs.paths import inside

DOCS = ("README.md", "README.rst", "README", "CONTRIBUTING.md", "AGENTS.md", "CLAUDE.md",
        ".github/copilot-instructions.md")
RULE_DIRS = (".claude/rules", ".cursor/rules")
BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "package.json",
               "Cargo.toml", "go.mod", "Makefile", "justfile", "CMakeLists.txt", "pom.xml",
               "build.gradle", "build.gradle.kts", "Gemfile", "composer.json", "mix.exs",
               "Dockerfile", "docker-compose.yml", "tox.ini", "noxfile.py",
               ".pre-commit-config.yaml")
LANGUAGES = {".py": "Python", ".ts": "TypeScript", ".tsx": "TypeScript", ".js": "JavaScript",
             ".rs": "Rust", ".go": "Go", ".java": "Java", ".kt": "Kotlin", ".c": "C",
             ".h": "C", ".cpp": "C++", ".cc": "C++", ".rb": "Ruby", ".php": "PHP",
             ".cs": "C#", ".swift": "Swift", ".lua": "Lua", ".sh": "Shell", ".ex": "Elixir",
             ".scala": "Scala", ".md": "Markdown"}
DOC_CHARS = {"quick": 4_000, "standard": 12_000, "deep": 30_000}
BUILD_FILE_CHARS = 1_000_000


@dataclass
class ProjectContext:
    """What /init learned about a workspace without a model."""

    name: str
    root: Path
    branch: str = ""
    status: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    docs: dict[str, str] = field(default_factory=dict)
    build_files: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)


def slug(name: str) -> str:
    """A memory folder name for a project."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=root,
                          capture_output=True, text=True, timeout=30)
    return done.stdout if done.returncode == 0 else ""


def _file(root: Path, name: str) -> Path | None:
    """The real path of the regular file ``name`` names, when it lies inside ``root``."""
    real = inside(root, root / name)
    return real if real is not None and real.is_file() else None


def _read(root: Path, name: str, limit: int) -> str | None:
    """At most ``limit`` characters of a file inside ``root`` (None when there is none)."""
    real = _file(root, name)
    if real is None:
        return None
    with real.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(limit)


def _files(root: Path) -> list[str]:
    listed = _git(root, "ls-files", "--cached", "--others", "--exclude-standard")
    if listed:
        return listed.splitlines()
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts][:20_000]


def gather(root: Path, depth: str = "standard", trusted: bool = False) -> ProjectContext:
    """Collect the project's facts. ``git status`` runs only in a folder the user trusted:
    it may run the clean filters the repository's own config names on changed files, and
    nothing a project configures runs before that (log, shortlog and ls-files run none)."""
    root = Path(root).resolve()
    ctx = ProjectContext(name=root.name, root=root)
    limit = DOC_CHARS.get(depth, DOC_CHARS["standard"])
    ctx.branch = _git(root, "branch", "--show-current").strip()
    if trusted:
        ctx.status = _git(root, "status", "--short", "--ignore-submodules=all").splitlines()[:50]
    ctx.commits = _git(root, "log", "-20", "--format=%h %ad %an: %s", "--date=short").splitlines()
    ctx.contributors = [line.strip() for line in
                        _git(root, "shortlog", "-sne", "HEAD").splitlines()[:20]]
    for name in DOCS:
        text = _read(root, name, limit)
        if text is not None:
            ctx.docs[name] = text
    for folder in RULE_DIRS:
        real = inside(root, root / folder)
        rules = sorted(p.name for p in real.iterdir()) if real and real.is_dir() else []
        for rule in rules[:20]:
            text = _read(root, f"{folder}/{rule}", limit)
            if text is not None:
                ctx.docs[f"{folder}/{rule}"] = text
    ctx.build_files = [name for name in BUILD_FILES if _file(root, name) is not None]
    ctx.commands = commands(root)
    ctx.layout = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir()
                        if p.name != ".git")[:80]
    counts = Counter(LANGUAGES.get(Path(f).suffix) for f in _files(root))
    counts.pop(None, None)
    ctx.languages = {str(k): v for k, v in counts.most_common(8)}
    return ctx


def commands(root: Path) -> list[str]:
    """Build, test and run commands the project declares."""
    found: list[str] = []
    makefile = _read(root, "Makefile", BUILD_FILE_CHARS)
    if makefile is not None:
        targets = re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(?!=)", makefile, flags=re.M)
        found += [f"make {t}" for t in dict.fromkeys(targets)][:15]
    package = _read(root, "package.json", BUILD_FILE_CHARS)
    if package is not None:
        try:
            scripts = json.loads(package).get("scripts") or {}
            found += [f"npm run {name}" for name in list(scripts)[:15]]
        except (ValueError, AttributeError, RecursionError):
            pass
    pyproject = _read(root, "pyproject.toml", BUILD_FILE_CHARS)
    if pyproject is not None:
        try:
            data = tomllib.loads(pyproject)
            found += [f"{name} (console script)" for name in
                      (data.get("project", {}).get("scripts") or {})][:10]
            if "pytest" in pyproject:
                found.append("pytest")
        except (tomllib.TOMLDecodeError, AttributeError, RecursionError):
            pass
    if _file(root, "Cargo.toml") is not None:
        found += ["cargo build", "cargo test"]
    if _file(root, "go.mod") is not None:
        found += ["go build ./...", "go test ./..."]
    return found


def render(ctx: ProjectContext) -> str:
    """The context as markdown for the model (or for the no-model reference files)."""
    parts = [f"# Project: {ctx.name}", f"path: {ctx.root}"]
    if ctx.branch:
        parts.append(f"git branch: {ctx.branch}")
    if ctx.languages:
        parts.append("languages: " + ", ".join(f"{k} ({v} files)"
                                               for k, v in ctx.languages.items()))
    if ctx.layout:
        parts += ["", "## Top-level layout", " ".join(ctx.layout)]
    if ctx.build_files:
        parts += ["", "## Build and config files", ", ".join(ctx.build_files)]
    if ctx.commands:
        parts += ["", "## Commands found", *[f"- `{c}`" for c in ctx.commands]]
    if ctx.contributors:
        parts += ["", "## Contributors (git shortlog)", *ctx.contributors]
    if ctx.commits:
        parts += ["", "## Recent commits", *ctx.commits]
    if ctx.status:
        parts += ["", "## Uncommitted changes", *ctx.status]
    for name, text in ctx.docs.items():
        parts += ["", f"## {name}", text.strip()]
    return "\n".join(parts)
