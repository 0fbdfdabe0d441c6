"""Lint: each rule is found with its code, severity, path and line."""

from __future__ import annotations

from pathlib import Path

from memfs.lint import lint, lint_text
from memfs.store import MemoryStore


def _write(root: Path, rel: str, text: str) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _codes(root: Path, budget: int = 20_000) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in lint(root, budget)}


def test_fresh_memory_is_clean(store: MemoryStore) -> None:
    assert lint(store.root) == []


def test_every_rule(store: MemoryStore) -> None:
    root = store.root
    para = " ".join(f"word{i}" for i in range(80))
    _write(root, "bad-yaml.md", "---\ndescription: [oops\n---\nx\n")
    _write(root, "unknown.md", "---\ndescription: d\ncolour: red\n---\nx\n")
    _write(root, "nodesc.md", "---\nread_only: true\n---\nx\n")
    _write(root, "limited.md", "---\ndescription: d\nlimit: 5\n---\ntoo long body\n")
    _write(root, "clash.md", "---\ndescription: d\n---\nx\n")
    _write(root, "clash/inner.md", "---\ndescription: d\n---\ny\n")
    _write(root, "dup1.md", f"---\ndescription: d\n---\n{para}\n")
    _write(root, "dup2.md", f"---\ndescription: e\n---\n{para} extra\n")
    _write(root, "links.md", "---\ndescription: d\n---\nsee [[dup1]] and\n[[nowhere/file]]\n")
    _write(root, "empty.md", "---\ndescription: d\n---\n\n")
    _write(root, "system/data.json", "{}")
    (root / "system" / "persona.md").unlink()
    _write(root, "system/big.md", "---\ndescription: big\n---\n" + "x" * 400)
    found = _codes(root, budget=50)
    assert {
        ("invalid-frontmatter", "bad-yaml.md"),
        ("unknown-key", "unknown.md"),
        ("missing-description", "nodesc.md"),
        ("over-limit", "limited.md"),
        ("name-clash", "clash.md"),
        ("near-duplicate", "dup2.md"),
        ("broken-link", "links.md"),
        ("empty-file", "empty.md"),
        ("non-markdown-in-system", "system/data.json"),
        ("missing-persona", "system/persona.md"),
        ("system-over-budget", "system/"),
    } <= found
    assert ("broken-link", "links.md") in found
    broken = [f for f in lint(root) if f.code == "broken-link"]
    assert len(broken) == 1 and broken[0].start_line == 5 and "nowhere/file" in broken[0].message


def test_single_file_lint_reports_file_lines() -> None:
    text = "---\ndescription: d\nlimit: 3\n---\nline one\nline two\n"
    (finding,) = lint_text("x.md", text)
    assert finding.code == "over-limit" and finding.severity == "error"
    assert (finding.start_line, finding.end_line) == (5, 6)
