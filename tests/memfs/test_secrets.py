"""Secret guard: credentials are refused, named by kind and line, never echoed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from memfs.errors import SecretDetected
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count

SECRETS = {
    "AWS": "aws key AKIAIOSFODNN7EXAMPLE",
    "GitHub": "token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "Anthropic": "ANTHROPIC_API_KEY=sk-ant-api03-" + "x7Yq2Lm9Pw4Rt8Zk3Vn6Bc1Hd5Fg0Js2Ka4",
    "OpenAI": "key sk-proj-" + "Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi6",
    "Private key": "-----BEGIN RSA PRIVATE KEY-----",
    "Slack": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "Stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "Assignment": "DB_PASSWORD=" + "s3cr3tValue9876543210",
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_credentials_are_refused(store: MemoryStore, kind: str) -> None:
    line = SECRETS[kind]
    before = commit_count(store.root)
    with pytest.raises(SecretDetected) as caught:
        store.create("notes/creds.md", "Credentials", f"intro\n{line}\n", "store creds")
    message = str(caught.value)
    assert "line 5" in message  # of the file: three lines of frontmatter come first
    secret_part = line.split()[-1].split("=")[-1]
    assert secret_part not in message
    assert commit_count(store.root) == before
    assert not (store.root / "notes" / "creds.md").exists()


def test_every_edit_path_is_guarded(store: MemoryStore) -> None:
    store.create("n.md", "Notes", "placeholder\n", "add")
    key = "AKIAIOSFODNN7EXAMPLE"
    actions: tuple[Callable[[], object], ...] = (
        lambda: store.str_replace("n.md", "placeholder", key, "r"),
        lambda: store.insert("n.md", 1, key, "r"),
        lambda: store.update_description("n.md", f"keys {key}", "r"),
        lambda: store.write("n.md", "Notes", key, "r"),
    )
    for action in actions:
        with pytest.raises(SecretDetected):
            action()
    assert store.read("n.md").body == "placeholder\n"


def test_ordinary_technical_text_is_allowed(store: MemoryStore) -> None:
    body = (
        "Commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed the bug.\n"
        "Run id 123e4567-e89b-12d3-a456-426614174000.\n"
        "The API key lives in $OPENAI_API_KEY; never paste it.\n"
        "password: ask the user (stored in their keychain)\n"
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    )
    store.create("notes/ok.md", "Safe notes", body, "add safe notes")
