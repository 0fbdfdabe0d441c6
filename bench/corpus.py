"""Synthetic memory corpora and the repositories (memfs and plain git) built from them."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from memfs.repo import MemoryRepo

SYSTEM_SHARE = 0.05
SYSTEM_CAP = 20
FILES_PER_FOLDER = 50
EDIT_MARK_A = "status: open"
EDIT_MARK_B = "status: closed"
_SYLLABLES = ("ka", "lo", "mi", "ren", "tas", "vo", "zu", "pel", "dor", "quin", "sa", "te",
              "bri", "mon", "gal", "fe", "ish", "un", "ar", "ol", "ne", "cy", "ther", "wa")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def git_env() -> dict[str, str]:
    """Environment for the plain-git baseline (no system config, no prompts, C locale)."""
    return {**os.environ, **_GIT_ENV}


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def _body(rng: random.Random, vocab: list[str], index: int) -> str:
    target = rng.randint(300, 800)
    lines: list[str] = [f"# Note {index}", ""]
    size = sum(len(line) + 1 for line in lines)
    while size < target:
        line = " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 12))).capitalize() + "."
        lines.append(line)
        size += len(line) + 1
    lines.append(EDIT_MARK_A)
    return "\n".join(lines) + "\n"


def corpus(n_files: int, seed: int = 1234) -> dict[str, str]:
    """``n_files`` memory files (path -> text), about 5% of them (at most 20) under system/.

    Every body ends with the line ``EDIT_MARK_A`` so edit benchmarks have a unique target.
    """
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    n_system = min(SYSTEM_CAP, round(n_files * SYSTEM_SHARE))
    files: dict[str, str] = {}
    for i in range(n_files):
        if i < n_system:
            rel = f"system/notes/sys-{i:03d}.md"
        else:
            j = i - n_system
            folder = j // FILES_PER_FOLDER
            rel = f"topics/t{folder // 10:02d}/s{folder % 10}/note-{j:05d}.md"
        desc = f"Notes about {rng.choice(vocab)} and {rng.choice(vocab)}, topic {i}"
        files[rel] = f"---\ndescription: {desc}\n---\n{_body(rng, vocab, i)}"
    return files


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` under ``root``, creating folders."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def memory_repo(root: Path, files: dict[str, str]) -> MemoryRepo:
    """A memfs repo (2 seed files) plus ``files``, committed in one commit."""
    repo = MemoryRepo.create(root, "bench", "bench")
    write_files(repo.root, files)
    repo.git.run("add", "-A")
    repo.git.run("commit", "-q", "-m", "bench: add corpus")
    return repo


def git_repo(root: Path, files: dict[str, str]) -> Path:
    """A plain git repo holding ``files`` in one commit (the CLI baseline)."""
    root.mkdir(parents=True)
    env = git_env()
    commands = [
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "bench"],
        ["config", "user.email", "bench@local"],
        ["config", "commit.gpgsign", "false"],
    ]
    for args in commands:
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    write_files(root, files)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "bench: add corpus"], cwd=root, env=env,
                   check=True)
    return root


def working_tree_paths(root: Path) -> list[str]:
    """Every file in the working tree outside ``.git`` (absolute paths, sorted)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        found += [os.path.join(dirpath, name) for name in filenames]
    return sorted(found)
