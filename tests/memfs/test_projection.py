"""Prompt projection: from HEAD, system in full, a bounded tree, skills, cached by HEAD."""

from __future__ import annotations

from xml.sax import saxutils

from hypothesis import given
from hypothesis import strategies as st

from memfs.projection import TREE_MAX_CHILDREN, ProjectionCache, project, quoteattr
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore


def _bulk(repo: MemoryRepo, files: dict[str, str]) -> None:
    for rel, description in files.items():
        target = repo.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"---\ndescription: {description}\n---\nbody of {rel}\n")
    repo.git.run("add", "-A")
    repo.git.run("commit", "-q", "-m", "bulk")


def test_system_files_in_full_and_others_as_a_tree(store: MemoryStore) -> None:
    store.create("system/style.md", "Coding style", "Use tabs.\nNo emojis.\n", "add style")
    store.create("projects/alpha/notes.md", "Alpha notes", "secret-ish detail\n", "add")
    store.create("reference.md", "Reference material", "ref body\n", "add")
    store.create("skills/deploy/SKILL.md", "How to deploy the app", "steps\n", "add skill")
    text = project(store.repo).text
    assert "Use tabs.\nNo emojis.\n" in text
    assert 'description="Coding style"' in text
    assert "secret-ish detail" not in text and "ref body" not in text
    tree = text.split("<memory_tree>")[1].split("</memory_tree>")[0]
    assert tree.index("projects/") < tree.index("  alpha/") < tree.index("    notes.md: Alpha")
    assert tree.index("projects/") < tree.index("reference.md: Reference material")
    assert "- deploy: How to deploy the app (skills/deploy/SKILL.md)" in text
    assert "SKILL.md:" not in tree


def test_projection_reads_head_not_the_working_tree(store: MemoryStore) -> None:
    (store.root / "system" / "human.md").write_text(
        "---\ndescription: d\n---\nUNCOMMITTED\n")
    assert "UNCOMMITTED" not in project(store.repo).text
    store.str_replace("system/persona.md", "coding agent", "careful coding agent", "tune")
    assert "careful coding agent" in project(store.repo).text


def test_cached_by_head(store: MemoryStore) -> None:
    cache = ProjectionCache()
    first = project(store.repo, cache)
    assert project(store.repo, cache) is first
    store.create("n.md", "New", "x\n", "add")
    second = project(store.repo, cache)
    assert second is not first and second.head != first.head
    assert "n.md: New" in second.text


def test_token_estimates(store: MemoryStore) -> None:
    proj = project(store.repo)
    for entry in proj.files:
        assert entry.tokens == (entry.size + 3) // 4
    assert proj.system_tokens == sum(f.tokens for f in proj.files if f.in_context)
    assert proj.tokens >= proj.system_tokens


def test_per_folder_limit_marker(store: MemoryStore) -> None:
    _bulk(store.repo, {f"many/n{i:03}.md": f"note {i}" for i in range(TREE_MAX_CHILDREN + 7)})
    proj = project(store.repo)
    assert "  ... (7 more entries)" in proj.text
    assert proj.tree_truncated
    assert "n049.md" in proj.text and "n050.md" not in proj.text


def test_line_and_character_limits_marker(store: MemoryStore) -> None:
    files = {f"f{i // 40:02}/n{i % 40:02}.md": f"note {i} " + "x" * 20 for i in range(800)}
    _bulk(store.repo, files)
    proj = project(store.repo)
    tree = proj.text.split("<memory_tree>")[1].split("</memory_tree>")[0]
    lines = tree.strip("\n").splitlines()
    assert len(lines) <= 501 and len(tree) <= 20_000
    assert lines[-1].startswith("... (tree truncated after")
    assert "memory_search" in lines[-1]


def test_invalid_file_is_still_projected_with_its_problem(store: MemoryStore) -> None:
    (store.root / "system" / "broken.md").write_text("no frontmatter here\n")
    store.repo.git.run("add", "-A")
    store.repo.git.run("commit", "-q", "-m", "broken")
    text = project(store.repo).text
    assert "no frontmatter here" in text and 'problem="no YAML frontmatter' in text


def test_packed_objects_project_the_same(store: MemoryStore) -> None:
    """After git packs the objects (auto-gc, clone, restore) the projection is unchanged."""
    _bulk(store.repo, {f"topic/n{i}.md": f"note {i}" for i in range(30)})
    loose = project(store.repo, ProjectionCache()).text
    store.repo.git.run("gc", "-q", "--prune=now")
    assert not any((store.root / ".git" / "objects").glob("[0-9a-f][0-9a-f]/*"))
    assert project(store.repo, ProjectionCache()).text == loose


@given(st.text(alphabet="ab &<>\"'\n\r\t;#ü", max_size=20))
def test_attribute_quoting_is_the_standard_librarys(text: str) -> None:
    """The projection quotes attributes itself (xml.sax.saxutils imports urllib, http and
    ssl) and must quote them exactly as that module would."""
    assert quoteattr(text) == saxutils.quoteattr(text)


def test_packed_and_loose_objects_together_project_what_is_committed(store: MemoryStore
                                                                     ) -> None:
    """A packed memory edited since (new blobs loose beside the pack, some in fan-out
    folders holding other objects too) projects every file as committed."""
    _bulk(store.repo, {f"system/n{i}.md": f"note {i}" for i in range(120)})
    store.repo.git.run("gc", "-q", "--prune=now")
    for i in range(0, 120, 7):
        store.str_replace(f"system/n{i}.md", f"body of system/n{i}.md", f"edited {i}", "edit")
    store.create("system/later.md", "Added after the pack", "LATER BODY\n", "add")
    objects = store.root / ".git" / "objects"
    assert any(objects.glob("pack/*.pack")) and any(objects.glob("[0-9a-f][0-9a-f]/*"))
    text = project(store.repo, ProjectionCache()).text
    assert "LATER BODY" in text and 'files="123"' in text
    for i in range(120):
        assert (f"edited {i}\n" if i % 7 == 0 else f"body of system/n{i}.md\n") in text
