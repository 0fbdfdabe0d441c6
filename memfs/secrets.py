"""Secret guard: refuse to commit credentials into memory.

Detection is Yelp's detect-secrets (its regex-based detectors, used directly, plus a few
detectors of ours for newer provider keys written on its RegexBasedDetector API). The
entropy detectors are left out on purpose: commit hashes and UUIDs are normal in memory.
Errors name the kind and line, never the secret.
"""

from __future__ import annotations

import re
from functools import lru_cache

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from memfs.errors import SecretDetected


class AnthropicKeyDetector(RegexBasedDetector):
    """Anthropic API keys."""

    secret_type = "Anthropic API Key"
    denylist = [re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}")]


class ProviderKeyDetector(RegexBasedDetector):
    """Newer OpenAI-style project and service keys, Google, Hugging Face, Groq, xAI keys."""

    secret_type = "LLM Provider API Key"
    denylist = [
        re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
        re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
        re.compile(r"\bgsk_[A-Za-z0-9]{40,}\b"),
        re.compile(r"\bxai-[A-Za-z0-9]{40,}\b"),
    ]


class GenericTokenAssignmentDetector(RegexBasedDetector):
    """`API_KEY=...` / `token: ...` style assignments of a long opaque value."""

    secret_type = "Secret Assignment"
    denylist = [
        re.compile(
            r"(?i)\b[a-z0-9_]*(?:api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|"
            r"client[_-]?secret|password|passwd)\b\s*[:=]\s*[\"']?(?=[A-Za-z0-9_\-+/=.]*\d)"
            r"(?=[A-Za-z0-9_\-+/=.]*[A-Za-z])[A-Za-z0-9_\-+/=.]{16,}"
        )
    ]


@lru_cache(maxsize=1)
def _detectors() -> tuple[RegexBasedDetector, ...]:
    classes = (
        PrivateKeyDetector, AWSKeyDetector, AzureStorageKeyDetector, GitHubTokenDetector,
        GitLabTokenDetector, OpenAIDetector, SlackDetector, StripeDetector, SendGridDetector,
        TwilioKeyDetector, NpmDetector, PypiTokenDetector, JwtTokenDetector, BasicAuthDetector,
        DiscordBotTokenDetector, MailchimpDetector, SquareOAuthDetector, TelegramBotTokenDetector,
        ArtifactoryDetector, AnthropicKeyDetector, ProviderKeyDetector,
        GenericTokenAssignmentDetector,
    )
    return tuple(cls() for cls in classes)


def find_secrets(text: str) -> list[tuple[int, str]]:
    """(1-based line, kind) for every credential found in ``text``."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) < 16:
            continue
        for detector in _detectors():
            if any(True for _ in detector.analyze_string(line)):
                found.append((number, str(detector.secret_type)))
                break
    return found


def guard(text: str, path: str) -> None:
    """Raise SecretDetected when ``text`` (destined for ``path``) holds a credential."""
    hits = find_secrets(text)
    if hits:
        line, kind = hits[0]
        more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
        raise SecretDetected(
            f"refusing to store a credential in {path}: {kind} on line {line}{more}",
            "memory is committed to git; remove the secret and keep only where it lives "
            "(e.g. the environment variable's name)",
        )
