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
# Triggers for the detectors whose regexes re scans slowly (no literal prefix): every match of
# the detector contains a trigger match, so the detector only runs on the lines where one
# matches. ``(triggers on the text, triggers on the lower-cased text)``, each a literal-prefixed
# regex (fast to scan for). Detectors missing here run over the whole text.
_Triggers = tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]


def _any_of(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_TRIGGERS: dict[type[RegexBasedDetector], _Triggers] = {
    AWSKeyDetector: (_any_of(r"A(?:3T|BIA|CCA|KIA|SIA)"), _any_of("aws")),
    SlackDetector: ((), _any_of("xox", r"hooks\.slack\.com")),
    StripeDetector: (_any_of("k_live_"), ()),
    JwtTokenDetector: (_any_of("eyJ"), ()),
    DiscordBotTokenDetector: (_any_of(r"M[\w-]{23}", r"N[\w-]{23}", r"O[\w-]{23}"), ()),
    MailchimpDetector: (_any_of(r"-us\d"), ()),
    TelegramBotTokenDetector: (_any_of(r":[\w-]{35}"), ()),
    ArtifactoryDetector: (_any_of(r"A(?:KC|P[\dA-F])"), ()),
    ProviderKeyDetector: (_any_of(r"sk-(?:proj|svcacct|admin)-", "AIza", "hf_", "gsk_", "xai-"),
                          ()),
    GenericTokenAssignmentDetector: ((), _any_of(r"key\s*[:=]", r"token\s*[:=]", r"secret\s*[:=]",
                                                 r"passw(?:or)?d\s*[:=]")),
}
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_EDGES = frozenset(" \t\r\n\"'=:")  # delimiters some patterns match around a secret


def _regions(detector: RegexBasedDetector, text: str, lowered: str | None
             ) -> list[tuple[int, int]]:
    """Where ``detector`` must run: the whole text, or the lines (with the newlines around
    them, so anchors and word boundaries see where the line starts) holding a trigger match."""
    triggers = _TRIGGERS.get(type(detector))
    if triggers is None or (triggers[1] and lowered is None):
        return [(0, len(text))]
    exact, folded = triggers
    hits = [m.start() for t in exact for m in t.finditer(text)]
    hits += [m.start() for t in folded for m in t.finditer(lowered or "")]
    regions: set[tuple[int, int]] = set()
    for hit in hits:
        end = text.find("\n", hit)
        regions.add((max(text.rfind("\n", 0, hit), 0), len(text) if end < 0 else end + 1))
    return sorted(regions)


def _secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The secret inside a match: the last capture group when the match ends with it (plus at
    most a closing quote or ``@``), else the whole match (e.g. GitHub's ``(ghp|...)_...``)."""
    groups = [match.span(i) for i in range(1, match.re.groups + 1)
              if match.start(i) < match.end(i)]
    if groups:
        start, end = max(groups, key=lambda span: (span[1], -span[0]))
        if match.end() - end <= 1:
            return start, end
    start, end = match.span()
    text = match.string
    while start < end and text[start] in _EDGES:
        start += 1
    while end > start and text[end - 1] in _EDGES:
        end -= 1
    return start, end


def redact(text: str) -> tuple[str, int]:
    """``text`` with every credential the detectors find replaced by ``[REDACTED:<kind>]``,
    and the number of replacements. The detectors' regexes run over the text (what they match
    line by line for ``find_secrets`` they match here too); a PEM private key is replaced whole
    (header to footer, or to the end of ``text``), not just its header."""
    text, count = _PEM_PRIVATE_KEY.subn("[REDACTED:Private Key]", text)
    lowered: str | None = text.lower()
    if lowered is not None and len(lowered) != len(text):  # a few characters lower to two
        lowered = None
    spans: list[tuple[int, int, str]] = []
    for detector in _detectors():
        kind = str(detector.secret_type)
        for start, end in _regions(detector, text, lowered):
            spans += [(*_secret_span(m), kind) for regex in detector.denylist
                      for m in regex.finditer(text, start, end)]
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        elif end > start:
            merged.append((start, end, kind))
    parts: list[str] = []
    done = 0
    for start, end, kind in merged:
        parts += [text[done:start], f"[REDACTED:{kind}]"]
        done = end
    return "".join(parts) + text[done:], count + len(merged)
