"""Issue 9 item 4: the guard checks what is committed (the resulting content, every path,
every commit message) and every incoming commit (Letta import, restore, remote pull,
reflection merge), and finds the formats it used to miss."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.reflection import merge_branch
from agent.runtime import Runtime
from memfs import remote
from memfs.errors import InvalidArgument, SecretDetected
from memfs.home import memory_dir
from memfs.letta_import import import_letta
from memfs.secrets import find_secrets, redact
from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect
from tests.memfs.conftest import commit_count
from tests.security.keys import AWS_SECRET, LINES, TOKENS, git, leaked, run

PATH_SAFE = [k for k in TOKENS if k != "pypi"]  # a token that can be a file name


def history_text(root: Path) -> str:
    """Everything memory's history holds: every path, message and blob of every commit."""
    return git(root, "log", "--all", "-p", "--format=%H %an %ae%n%B", "--name-only")


def test_guard_finds_the_formats_it_used_to_miss() -> None:
    for line in LINES.values():
        assert find_secrets(f"notes\n{line}\n"), line
        assert leaked(redact(f"notes\n{line}\n")[0]) == []
    assert find_secrets("-----END OPENSSH " + "PRIVATE KEY-----")


def test_normal_memory_text_is_not_a_secret() -> None:
    text = "\n".join([
        "Commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it; run 123e4567-e89b-12d3-"
        "a456-426614174000.",
        *["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" for _ in range(4)],
        "-----BEGIN CERTIFICATE-----",
        *[LINES["pem-body"].splitlines()[i] for i in range(4)],
        "-----END CERTIFICATE-----",
        "The deploy key lives in $AWS_SECRET_ACCESS_KEY; never paste it.",
    ])
    assert find_secrets(text) == []


@pytest.mark.parametrize("kind", PATH_SAFE)
def test_a_key_in_a_path_is_refused(store: MemoryStore, kind: str) -> None:
    before = commit_count(store.root)
    with pytest.raises(SecretDetected, match="file path") as caught:
        store.create(f"notes/{TOKENS[kind]}.md", "Notes", "hello\n", "add notes")
    assert TOKENS[kind] not in str(caught.value)
    assert commit_count(store.root) == before
    assert leaked(history_text(store.root)) == []


@pytest.mark.parametrize("kind", [*TOKENS, *LINES])
def test_a_key_in_the_reason_is_refused(store: MemoryStore, kind: str) -> None:
    secret = TOKENS.get(kind) or LINES[kind]
    before = commit_count(store.root)
    with pytest.raises(SecretDetected, match="commit message"):
        store.create("notes/a.md", "Notes", "hello\n", f"remember the key {secret}")
    assert commit_count(store.root) == before
    assert not (store.root / "notes" / "a.md").exists()


def test_a_rename_target_with_a_key_is_refused(store: MemoryStore) -> None:
    store.create("notes/a.md", "Notes", "hello\n", "add")
    with pytest.raises(SecretDetected, match="file path"):
        store.rename("notes/a.md", f"notes/{TOKENS['github-classic']}.md", "move")
    assert store.read("notes/a.md").body == "hello\n"
    assert leaked(history_text(store.root)) == []


def test_a_key_assembled_across_two_edits_is_refused(store: MemoryStore) -> None:
    key = TOKENS["aws-access-key-id"]
    store.create("notes/a.md", "Notes", f"id {key[:10]}END\n", "first half")
    with pytest.raises(SecretDetected, match="notes/a.md"):
        store.str_replace("notes/a.md", "END", key[10:], "second half")
    assert leaked(history_text(store.root)) == []


def test_a_key_pasted_by_hand_is_not_committed_by_the_next_edit(store: MemoryStore) -> None:
    store.create("notes/a.md", "Notes", "one\ntwo\n", "add")
    path = store.root / "notes" / "a.md"
    path.write_text(path.read_text() + LINES["aws-secret-assignment"] + "\n")
    with pytest.raises(SecretDetected, match="notes/a.md"):
        store.str_replace("notes/a.md", "one", "uno", "translate")
    assert leaked(history_text(store.root)) == []
    assert AWS_SECRET in path.read_text(), "the user's own working tree is left as it was"


# ----- incoming commits ---------------------------------------------------------------------------
def letta_repo(root: Path) -> Path:
    """A Letta Code memory folder with a git history."""
    (root / "system").mkdir(parents=True)
    (root / "system" / "persona.md").write_text("---\ndescription: Who I am\n---\nA helper.\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_letta_import_refuses_a_key_in_old_history_and_imports_without_it(
    tmp_path: Path
) -> None:
    src = letta_repo(tmp_path / "letta")
    notes = src / "notes.md"
    notes.write_text(f"---\ndescription: Notes\n---\n{LINES['github-fine-grained']}\n")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "add notes")
    bad = git(src, "rev-parse", "HEAD").strip()
    notes.write_text("---\ndescription: Notes\n---\nnothing secret\n")
    git(src, "commit", "-q", "-am", "scrub notes")
    done = run("memory", "import", str(src))
    assert done.returncode == 1
    assert bad[:10] in done.stderr and "notes.md" in done.stderr
    assert "--no-history" in done.stderr
    assert not memory_dir("memory-agent").exists()
    done = run("memory", "import", "--no-history", str(src))
    assert done.returncode == 0, done.stderr
    root = memory_dir("memory-agent")
    assert commit_count(root) == 1 and leaked(history_text(root)) == []
    assert (root / "notes.md").read_text().endswith("nothing secret\n")


def test_letta_import_refuses_a_key_in_a_non_markdown_file(tmp_path: Path) -> None:
    src = letta_repo(tmp_path / "letta")
    (src / "tools.json").write_text('{"npm": "' + TOKENS["npm"] + '"}\n')
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "tools")
    with pytest.raises(SecretDetected, match="tools.json"):
        import_letta(src, memory_dir("a"), "A", "a")
    with pytest.raises(SecretDetected, match="tools.json"):
        import_letta(src, memory_dir("a"), "A", "a", history=False)
    assert not memory_dir("a").exists()


def test_letta_import_refuses_a_key_in_a_commit_message(tmp_path: Path) -> None:
    src = letta_repo(tmp_path / "letta")
    (src / "notes.md").write_text("---\ndescription: Notes\n---\nfine\n")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", f"add notes\n\nused {TOKENS['slack-bot']}")
    with pytest.raises(SecretDetected, match="message"):
        import_letta(src, memory_dir("a"), "A", "a")
    assert not memory_dir("a").exists()


def crafted_memory(tmp_path: Path, path: str, content: str) -> Path:
    """A memory-like repo whose last commit puts ``content`` at ``path``."""
    repo = letta_repo(tmp_path / "crafted")
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "innocent update")
    return repo


def test_restore_of_a_crafted_bundle_is_refused(store: MemoryStore, tmp_path: Path) -> None:
    repo = crafted_memory(tmp_path, "system/keys.md",
                          f"---\ndescription: Keys\n---\n{LINES['pem-body']}\n")
    bundle = tmp_path / "crafted.bundle"
    git(repo, "bundle", "create", "-q", str(bundle), "--all")
    head = store.repo.head()
    done = run("memory", "restore", "--force", str(bundle))
    assert done.returncode == 1 and "system/keys.md" in done.stderr
    assert "Private Key" in done.stderr and "restore another backup" in done.stderr
    assert store.repo.head() == head and not (store.root / "system" / "keys.md").exists()


def test_remote_pull_of_a_key_is_refused(store: MemoryStore, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    remote.set_url(store.repo, str(bare))
    remote.push(store.repo)
    clone = tmp_path / "attacker"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    (clone / "system" / "setup.md").write_text(
        f"---\ndescription: Setup\n---\n{LINES['aws-secret-assignment']}\n")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "setup notes")
    bad = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "push", "-q", "origin", "main")
    head = store.repo.head()
    done = run("memory", "remote", "pull")
    assert done.returncode == 1
    assert bad[:10] in done.stderr and "system/setup.md" in done.stderr
    assert store.repo.head() == head and not (store.root / "system" / "setup.md").exists()
    assert leaked(git(store.root, "log", "-p", "main")) == []


def test_reflection_branch_with_a_key_is_not_merged(store: MemoryStore) -> None:
    git(store.root, "checkout", "-q", "-b", "memfs/reflection/x")
    (store.root / "system" / "human.md").write_text(
        f"---\ndescription: The user\n---\nkey {TOKENS['anthropic']}\n")
    git(store.root, "commit", "-q", "-am", "chore(reflection): learn")
    git(store.root, "checkout", "-q", "main")
    head = store.repo.head()
    with pytest.raises(SecretDetected, match="system/human.md"):
        merge_branch(store.repo, "memfs/reflection/x", "summary")
    assert store.repo.head() == head


def test_reflection_merge_subject_is_redacted(store: MemoryStore) -> None:
    git(store.root, "checkout", "-q", "-b", "memfs/reflection/y")
    store.create("notes/r.md", "Notes", "fine\n", "chore(reflection): learn")
    git(store.root, "checkout", "-q", "main")
    store.create("notes/main.md", "Notes", "meanwhile\n", "meanwhile")  # no fast-forward
    merge_branch(store.repo, "memfs/reflection/y", f"Saved {TOKENS['github-classic']} ok")
    subject = git(store.root, "log", "-1", "--format=%s")
    assert subject.startswith("merge(reflection): Saved [REDACTED:GitHub Token]")
    assert leaked(history_text(store.root)) == []


def test_no_history_import_still_refuses_a_current_key(tmp_path: Path) -> None:
    src = letta_repo(tmp_path / "letta")
    (src / "k.md").write_text(f"---\ndescription: K\n---\n{TOKENS['openai-project']}\n")
    with pytest.raises(SecretDetected, match="k.md"):
        import_letta(src, memory_dir("a"), "A", "a", history=False)
    with pytest.raises(InvalidArgument):
        import_letta(tmp_path / "missing", memory_dir("a"), "A", "a")


async def test_a_hostile_reflection_lands_no_key(model: ScriptedModel, workspace: Path) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"maxRetries": 1})
    key = TOKENS["github-fine-grained"]

    def create(path: str, reason: str) -> ToolCall:
        return ToolCall("memory", {"command": "create", "path": path, "description": "Notes",
                                   "content": "fine\n", "reason": reason})

    model.script("hi", Reply(tool_calls=[
        create(f"notes/{key}.md", "learn"), create("notes/a.md", f"learn {key}"),
        create("notes/b.md", "learn")]), f"Merged {key} into notes.")
    await collect(runtime.chat("hello"))
    store = runtime.memory(runtime.agent())
    store.create("notes/meanwhile.md", "Notes", "x\n", "meanwhile")  # forces a merge commit
    outcome = await runtime.reflect()
    assert outcome.status == "merged" and outcome.files == ["notes/b.md"]
    results = [str(m["content"]) for m in model.requests[-1]["messages"] if m["role"] == "tool"]
    assert [r.startswith("error") for r in results] == [True, True, False]
    assert leaked(history_text(store.root)) == []
