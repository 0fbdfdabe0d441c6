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


# ----- redaction --------------------------------------------------------------------------------
# Cheap triggers for the detectors whose regexes have no literal prefix (so re scans them slowly
# at every position): a text no trigger matches cannot match the detector, which is then not
# run on it. Each entry is ``(trigger on the text, trigger on the lower-cased text)``; a
# detector missing here always runs.
_TRIGGERS: dict[type[RegexBasedDetector], tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {
    AWSKeyDetector: (re.compile(r"A3T|ABIA|ACCA|AKIA|ASIA"), re.compile(r"aws")),
    SlackDetector: (None, re.compile(r"xox|hooks\.slack\.com")),
    StripeDetector: (re.compile(r"k_live_"), None),
    JwtTokenDetector: (re.compile(r"eyJ"), None),
    MailchimpDetector: (re.compile(r"-us\d"), None),
    TelegramBotTokenDetector: (re.compile(r"\d:"), None),
    ArtifactoryDetector: (re.compile(r"AKC|AP[\dA-F]"), None),
    ProviderKeyDetector: (re.compile(r"sk-(?:proj|svcacct|admin)-|AIza|hf_|gsk_|xai-"), None),
    GenericTokenAssignmentDetector: (None, re.compile(r"(?:key|token|secret|passw(?:or)?d)\s*[:=]")),
}
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)


def _may_match(detector: RegexBasedDetector, text: str, lowered: str) -> bool:
    exact, folded = _TRIGGERS.get(type(detector), (None, None))
    if exact is None and folded is None:
        return True
    return bool(exact and exact.search(text)) or bool(folded and folded.search(lowered))


def _secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The secret inside a match: the last capture group when the match ends with it (plus at
    most a closing quote or ``@``), else the whole match (e.g. GitHub's ``(ghp|...)_...``)."""
    groups = [match.span(i) for i in range(1, (match.re.groups or 0) + 1)
              if match.start(i) < match.end(i)]
    if groups:
        start, end = max(groups, key=lambda span: (span[1], -span[0]))
        if match.end() - end <= 1:
            return start, end
    return match.span()


def _redact_line(line: str, detectors: list[RegexBasedDetector]) -> tuple[str, int]:
    spans: list[tuple[int, int, str]] = []
    lowered = line.lower()
    for detector in detectors:
        if _may_match(detector, line, lowered):
            kind = str(detector.secret_type)
            spans += [(*_secret_span(m), kind) for regex in detector.denylist
                      for m in regex.finditer(line)]
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        elif end > start:
            merged.append((start, end, kind))
    for start, end, kind in reversed(merged):
        line = f"{line[:start]}[REDACTED:{kind}]{line[end:]}"
    return line, len(merged)


def redact(text: str) -> tuple[str, int]:
    """``text`` with every credential the guard's detectors find replaced by
    ``[REDACTED:<kind>]``, and the number of replacements. Lines are scanned like
    ``find_secrets`` does; a PEM private key is replaced whole (header to footer, or to the end
    of ``text``), not just the header line the detector matches."""
    text, count = _PEM_PRIVATE_KEY.subn("[REDACTED:Private Key]", text)
    lowered = text.lower()
    active = [d for d in _detectors() if _may_match(d, text, lowered)]
    if not active:
        return text, count
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        if len(line) >= 16:
            line, found = _redact_line(line, active)
            count += found
        out.append(line)
    return "".join(out), count
