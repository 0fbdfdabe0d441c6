"""Realistic-looking but fake credentials, assembled at run time (no key literal is committed:
each is a known prefix plus characters drawn from a seeded generator), and helpers the
security tests share."""

from __future__ import annotations

import base64
import os
import random
import subprocess
import sys
from pathlib import Path

MEMFS = str(Path(sys.executable).parent / "memfs")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B64 = _ALNUM + "+/"


def _draw(alphabet: str, count: int, seed: str) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(count))


def pem_body(seed: str = "pem") -> str:
    """The body and END line of an RSA private key, without its BEGIN line."""
    rng = random.Random(seed)
    der = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256)
                                                              for _ in range(1180))
    text = base64.b64encode(der).decode()
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "\n".join(lines) + "\n-----END RSA " + "PRIVATE KEY-----"


# One token per format; every value is what a detector must find.
TOKENS: dict[str, str] = {
    "aws-access-key-id": "AK" + "IA" + _draw(_UPPER, 16, "aws"),
    "github-classic": "gh" + "p_" + _draw(_ALNUM, 36, "ghp"),
    "github-fine-grained": "github" + "_pat_" + _draw(_ALNUM, 22, "fg1") + "_"
                           + _draw(_ALNUM, 59, "fg2"),
    "openai-project": "sk-" + "proj-" + _draw(_ALNUM, 48, "oai"),
    "anthropic": "sk-" + "ant-api03-" + _draw(_ALNUM, 93, "ant") + "AA",
    "slack-bot": "xo" + "xb-" + _draw("0123456789", 12, "s1") + "-"
                 + _draw("0123456789", 13, "s2") + "-" + _draw(_ALNUM, 24, "s3"),
    "stripe-live": "sk" + "_live_" + _draw(_ALNUM, 24, "stripe"),
    "gitlab-pat": "gl" + "pat-" + _draw(_ALNUM, 20, "gitlab"),
    "npm": "np" + "m_" + _draw(_ALNUM, 36, "npm"),
    "google": "AI" + "za" + _draw(_ALNUM, 35, "google"),
    "huggingface": "h" + "f_" + _draw(_ALNUM, 34, "hf"),
    "pypi": "py" + "pi-AgEIcHlwaS5vcmc" + _draw(_ALNUM, 70, "pypi"),
}
AWS_SECRET = _draw(_B64, 40, "aws-secret")
# Whole lines in the formats people paste: what the guard missed before.
LINES: dict[str, str] = {
    "aws-secret-assignment": "aws_secret_access_key" + " = " + AWS_SECRET,
    "github-fine-grained": "token: " + TOKENS["github-fine-grained"],
    "pem-body": pem_body(),
}


def secret_values() -> list[str]:
    """Every secret value, as it must never appear where it does not belong."""
    body = LINES["pem-body"].splitlines()
    return [*TOKENS.values(), AWS_SECRET, *body[:-1]]


def leaked(text: str) -> list[str]:
    """The secret values (or PEM lines) found in ``text``."""
    return [value for value in secret_values() if value in text]


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The ``memfs`` CLI as a real process."""
    return subprocess.run([MEMFS, *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, **(env or {})}, input=input)


def git(root: Path, *args: str) -> str:
    """git in ``root`` with a fixed identity (independent of memfs)."""
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=root, check=True, capture_output=True, text=True)
    return done.stdout
