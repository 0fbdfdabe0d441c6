"""Credential detection: one detector set for the memory guard (refuse to commit a
credential) and for redaction (tool results, imported transcripts, anything sent to a model).

Detection is Yelp's detect-secrets (its regex-based detectors, used directly) plus detectors
of ours, written on its RegexBasedDetector API, for formats it misses (newer provider keys,
GitHub fine-grained tokens, AWS secret keys assigned without quotes, private key bodies
without their BEGIN line, and the prefixed tokens of gitleaks' default rules). The entropy
detectors are left out on purpose: commit hashes and UUIDs are normal in memory.
Errors name the kind and line, never the secret.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate
from typing import Any

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
    """Newer OpenAI-style project and service keys, other ``sk-`` keys (legacy OpenAI,
    DeepSeek, OpenRouter), Google, Hugging Face, Groq, xAI and Perplexity keys."""

    secret_type = "LLM Provider API Key"
    denylist = [
        re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
        re.compile(r"\bsk-or-v1-[a-f0-9]{64}\b"),
        re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
        re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
        re.compile(r"\bgsk_[A-Za-z0-9]{40,}\b"),
        re.compile(r"\bxai-[A-Za-z0-9]{40,}\b"),
        re.compile(r"\bpplx-[A-Za-z0-9]{48}\b"),
    ]


class GitHubFineGrainedDetector(RegexBasedDetector):
    """GitHub fine-grained personal access tokens (gitleaks: github-fine-grained-pat)."""

    secret_type = "GitHub Token"
    denylist = [re.compile(r"\bgithub_pat_\w{60,}")]


class AWSSecretKeyDetector(RegexBasedDetector):
    """An AWS secret access key assigned to its name, quoted or not (``~/.aws/credentials``,
    ``.env``, JSON from ``aws sts``)."""

    secret_type = "AWS Secret Access Key"
    denylist = [re.compile(
        r"(?i)(?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key[\"']?\s*(?::=|=>|[:=])\s*[\"']?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
    )]


class PrivateKeyTailDetector(RegexBasedDetector):
    """The END line of a private key whose BEGIN line was cut off."""

    secret_type = "Private Key"
    denylist = [re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")]


class ServiceTokenDetector(RegexBasedDetector):
    """Prefixed tokens of common services, after gitleaks' default rules: npm, PyPI, Slack
    webhooks and app tokens, Google OAuth client secrets, HashiCorp Vault and Terraform,
    DigitalOcean, Shopify, Linear, Postman, Databricks, Doppler, Grafana, Sentry, 1Password,
    age, Azure AD client secrets."""

    secret_type = "Service Token"
    denylist = [
        re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
        re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}"),
        re.compile(r"\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+"),
        re.compile(r"\bGOCSPX-[A-Za-z0-9_\-]{28}"),
        re.compile(r"\bhvs\.[A-Za-z0-9_\-]{90,}"),
        re.compile(r"\b[a-z0-9]{14}\.atlasv1\.[a-z0-9_=\-]{60,70}"),
        re.compile(r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
        re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
        re.compile(r"\blin_api_[A-Za-z0-9]{40}\b"),
        re.compile(r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
        re.compile(r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
        re.compile(r"\bdp\.pt\.[A-Za-z0-9]{43}\b"),
        re.compile(r"\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b"),
        re.compile(r"\bglc_[A-Za-z0-9+/]{32,400}={0,2}"),
        re.compile(r"\bsntry[su]_[A-Za-z0-9+/=_\-]{50,}"),
        re.compile(r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
        re.compile(r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        re.compile(r"(?<![\w~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}(?![\w~.\-])"),
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
        PrivateKeyDetector, PrivateKeyTailDetector, AWSKeyDetector, AWSSecretKeyDetector,
        AzureStorageKeyDetector, GitHubTokenDetector, GitHubFineGrainedDetector,
        GitLabTokenDetector, OpenAIDetector, SlackDetector, StripeDetector, SendGridDetector,
        TwilioKeyDetector, NpmDetector, PypiTokenDetector, JwtTokenDetector, BasicAuthDetector,
        DiscordBotTokenDetector, MailchimpDetector, SquareOAuthDetector, TelegramBotTokenDetector,
        ArtifactoryDetector, AnthropicKeyDetector, ProviderKeyDetector, ServiceTokenDetector,
        GenericTokenAssignmentDetector,
    )
    return tuple(cls() for cls in classes)


def find_secrets(text: str) -> list[tuple[int, str]]:
    """(1-based line, kind) for every line of ``text`` holding a credential (the kind of the
    first one on that line)."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    found: dict[int, str] = {}
    for start, _end, kind in _spans(text):
        found.setdefault(bisect_right(starts, start), kind)
    return sorted(found.items())


def guard(text: str, where: str) -> None:
    """Raise SecretDetected when ``text`` (destined for ``where``, a path) holds a credential."""
    hits = find_secrets(text)
    if hits:
        line, kind = hits[0]
        more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
        raise SecretDetected(
            f"refusing to store a credential in {where}: {kind} on line {line}{more}",
            "memory is committed to git; remove the secret and keep only where it lives "
            "(e.g. the environment variable's name)",
        )


# ----- redaction --------------------------------------------------------------------------------
# Triggers: for every detector, patterns such that every match of one of its regexes contains a
# match of one of them (tests/security/test_secret_triggers.py checks this on samples drawn from
# every regex of every detector, and fails for a detector without triggers). All of them, with
# the two PEM scanners', make one RE2 alternation scanned once per text (or per batch of
# texts): a text it does not match holds no credential, and skips the detectors. The triggers
# are valid for both RE2 and ``re`` with the same meaning: classes are spelled out (RE2's
# ``\w \d \s`` are ASCII, ``re``'s Unicode), widened to all non-ASCII characters where a
# detector's class holds Unicode ones.
_NON_ASCII = "\x80-\U0010ffff"
_SPACE = "\t-\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # re's \s
LINES, WHOLE = True, False  # where a triggered detector runs: the lines with a trigger, or all
_TRIGGERS: dict[type[RegexBasedDetector], tuple[tuple[str, ...], bool]] = {
    PrivateKeyDetector: (("PRIVATE KEY", "PuTTY-User-Key-File-2"), WHOLE),
    PrivateKeyTailDetector: (("PRIVATE KEY",), WHOLE),
    AWSKeyDetector: (("A(?:3T|BIA|CCA|KIA|SIA)", "(?i:aws)"), LINES),
    AWSSecretKeyDetector: (("(?i:secret)",), LINES),
    AzureStorageKeyDetector: (("AccountKey=",), WHOLE),
    GitHubTokenDetector: (("gh[pousr]_",), WHOLE),
    GitHubFineGrainedDetector: (("github_pat_",), WHOLE),
    GitLabTokenDetector: (("gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-", "GR1348941"), WHOLE),
    OpenAIDetector: (("T3BlbkFJ",), WHOLE),
    SlackDetector: (("(?i:xox[aboprs]-)", r"(?i:hooks\.slack\.com)"), LINES),
    StripeDetector: (("[rs]k_live_",), LINES),
    SendGridDetector: ((r"SG\.",), WHOLE),
    TwilioKeyDetector: (("(?:AC|SK)[a-z0-9]{32}",), WHOLE),
    NpmDetector: ((":_authToken=",), WHOLE),
    PypiTokenDetector: (("pypi-AgE",), WHOLE),
    JwtTokenDetector: (("eyJ",), LINES),
    BasicAuthDetector: (("://",), WHOLE),
    DiscordBotTokenDetector: ((f"[MNO][a-zA-Z0-9_{_NON_ASCII}-]{{23}}",), LINES),
    MailchimpDetector: (("-us[0-9]",), LINES),
    SquareOAuthDetector: (("sq0csp-",), WHOLE),
    TelegramBotTokenDetector: ((":[0-9A-Za-z_-]{35}",), LINES),
    ArtifactoryDetector: ((f"A(?:KC|P[0-9A-F{_NON_ASCII}])",), LINES),
    AnthropicKeyDetector: (("sk-ant-",), WHOLE),
    ProviderKeyDetector: (("sk-", "AIza", "hf_", "gsk_", "xai-", "pplx-"), LINES),
    ServiceTokenDetector: (("npm_", "pypi-AgE", r"hooks\.slack\.com/", "xapp-", "GOCSPX-",
                            r"hvs\.", r"\.atlasv1\.", "do[opr]_v1_", "shp(?:at|ca|pa|ss)_",
                            "lin_api_", "PMAK-", "dapi", r"dp\.pt\.", "glsa_", "glc_",
                            "sntry[su]_", "ops_eyJ", "AGE-SECRET-KEY-1", "Q~"), LINES),
    GenericTokenAssignmentDetector: (
        (f"(?i:key|token|secret|passw(?:or)?d)[{_SPACE}]*[:=]",), LINES),
}
# The PEM scanners below: a private key block, and a key body (its first line: 60 or more
# base64 characters, then a line break).
_PEM_TRIGGERS = ("PRIVATE KEY", r"[A-Za-z0-9+/]{60}\r?\n")
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# A PEM body without its BEGIN line: three or more lines ending (the first) or made of (the
# rest) 60-76 base64 characters (PEM wraps at 64, OpenSSH at 70), up to the END line if there
# is one. Blocks that a BEGIN or END
# line names as something public (a certificate, a public key, a signature) are left alone.
_PEM_BODY = re.compile(
    r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{60,76}\r?\n(?:[ \t]*[A-Za-z0-9+/]{60,76}\r?\n)+"
    r"[ \t]*[A-Za-z0-9+/]{0,76}={0,2}(?:\r?\n[ \t]*(-----END [A-Z0-9 ]+-----))?"
)
_PEM_BEGIN_BEFORE = re.compile(r"-----BEGIN [A-Z0-9 ]+-----[ \t]*\r?\n?\Z")
_HEX = re.compile(r"[0-9a-fA-F\s]*")
_NEWLINE = re.compile(r"\n")
_EDGES = frozenset(" \t\r\n\"'=:")  # delimiters some patterns match around a secret
PRIVATE_KEY = "Private Key"


@lru_cache(maxsize=1)
def _gate() -> Any:
    """Every trigger in one RE2 pattern (one linear pass, however many alternatives)."""
    import re2  # loaded with the detectors, on first use

    options = re2.Options()
    options.log_errors = False
    triggers = [t for patterns, _ in _TRIGGERS.values() for t in patterns] + [*_PEM_TRIGGERS]
    return re2.compile("|".join(f"(?:{t})" for t in dict.fromkeys(triggers)), options)


def _encoded(text: str) -> bytes:
    """``text`` as RE2 reads it (a lone surrogate, which JSON allows, becomes ``?``: no trigger
    holds one)."""
    return text.encode("utf-8", "replace")


@lru_cache(maxsize=1)
def _scanners() -> tuple[tuple[RegexBasedDetector, tuple[re.Pattern[str], ...], bool], ...]:
    """Each detector with its triggers (compiled each on its own: overlapping matches of two
    of them are both found) and whether it runs on their lines only."""
    return tuple((detector, tuple(re.compile(t) for t in _TRIGGERS[type(detector)][0]),
                  _TRIGGERS[type(detector)][1]) for detector in _detectors())


def _regions(triggers: tuple[re.Pattern[str], ...], text: str, lines: bool
             ) -> list[tuple[int, int]]:
    """Where a detector must run: nowhere without a trigger match, else the whole text or the
    lines (with the newlines around them, so anchors and word boundaries see where the line
    starts) holding one."""
    if not lines:
        return [(0, len(text))] if any(t.search(text) for t in triggers) else []
    regions: list[tuple[int, int]] = []
    for hit in sorted(m.start() for t in triggers for m in t.finditer(text)):
        if regions and hit < regions[-1][1]:
            continue  # on the line found already (its ends are looked up once per line)
        end = text.find("\n", hit)
        regions.append((max(text.rfind("\n", 0, hit), 0), len(text) if end < 0 else end + 1))
    return regions


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


def _pem_bodies(text: str) -> list[tuple[int, int, str]]:
    """Private key bodies whose BEGIN line is missing."""
    found: list[tuple[int, int, str]] = []
    for match in _PEM_BODY.finditer(text):
        block = match.group(0)
        end_line = match.group(1)
        if _HEX.fullmatch(block) or block.lower() == block or block.upper() == block:
            continue  # hex digests and the like, not base64 of key material
        if end_line is not None and "PRIVATE KEY" not in end_line:
            continue
        if end_line is None and _PEM_BEGIN_BEFORE.search(text, 0, match.start()):
            continue
        found.append((match.start(), match.end(), PRIVATE_KEY))
    return found


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every credential in ``text``, sorted and merged where they
    overlap. The detectors' regexes run over the text (what they would match line by line
    they match here too); a PEM private key is one span, header to footer (or to the end of
    ``text``), and so is a key body without its header. A text no trigger matches is not
    scanned further."""
    if _gate().search(_encoded(text)) is None:
        return []
    spans = [(m.start(), m.end(), PRIVATE_KEY) for m in _PEM_PRIVATE_KEY.finditer(text)]
    spans += _pem_bodies(text)
    for detector, triggers, lines in _scanners():
        kind = str(detector.secret_type)
        valid = (JwtTokenDetector.is_formally_valid if isinstance(detector, JwtTokenDetector)
                 else None)
        for start, end in _regions(triggers, text, lines):
            spans += [(*_secret_span(m), kind) for regex in detector.denylist
                      for m in regex.finditer(text, start, end)
                      if valid is None or valid(m.group(0))]
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        elif end > start:
            merged.append((start, end, kind))
    return merged


def redact(text: str, *, keep_lines: bool = False) -> tuple[str, int]:
    """``text`` with every credential the detectors find replaced by ``[REDACTED:<kind>]``,
    and the number of replacements. With ``keep_lines`` a credential spanning lines (a
    private key) leaves its line breaks, so the lines after it keep their numbers."""
    parts: list[str] = []
    done = 0
    spans = _spans(text)
    for start, end, kind in spans:
        breaks = "\n" * text.count("\n", start, end) if keep_lines else ""
        parts += [text[done:start], f"[REDACTED:{kind}]", breaks]
        done = end
    return "".join(parts) + text[done:], len(spans)


def redact_all(texts: Sequence[str]) -> list[str]:
    """``redact(text)[0]`` for each of ``texts``, cheaper than one by one: one trigger scan
    over them all (joined by NUL, which no trigger matches, so none spans two texts) picks the
    texts the detectors must read; the others are returned as they are."""
    encoded = [_encoded(text) for text in texts]
    starts = list(accumulate((len(e) + 1 for e in encoded), initial=0))
    joined = b"\0".join(encoded)
    gate = _gate()
    flagged: list[int] = []
    found = gate.search(joined)
    while found is not None:  # one search per flagged text: the rest of it is not scanned
        index = bisect_right(starts, found.start()) - 1
        flagged.append(index)
        found = gate.search(joined, starts[index + 1]) if index + 1 < len(texts) else None
    done = list(texts)
    for index in flagged:
        done[index] = redact(texts[index])[0]
    return done
