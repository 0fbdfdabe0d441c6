"""The credential scan's prefilter (issue 15): a text that no trigger matches skips the
detectors, so every credential a detector finds must hold a trigger match. Checked on
samples drawn from every regex of every detector (and the PEM scanners), on the fixed
credentials of the other security tests, and for the two places RE2 and ``re`` could read a
trigger differently (case folding, white space). A detector added without triggers fails here."""

from __future__ import annotations

import re
import sys

import pytest
import re2
from detect_secrets.plugins.jwt import JwtTokenDetector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memfs.secrets import (
    _PEM_BODY,
    _PEM_PRIVATE_KEY,
    _PEM_TRIGGERS,
    _SPACE,
    _TRIGGERS,
    _detectors,
    _encoded,
    _gate,
    _secret_span,
    _spans,
    find_secrets,
    redact,
    redact_all,
)
from tests.memfs.test_secrets import SECRETS
from tests.security.keys import LINES, TOKENS

REGEXES = [(type(d).__name__, i, regex) for d in _detectors() for i, regex in
           enumerate(d.denylist)]
SAMPLES = settings(max_examples=25, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def covered(spans: list[tuple[int, int, str]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e, _ in spans)


def test_every_detector_has_triggers() -> None:
    names = {type(d) for d in _detectors()}
    assert names == set(_TRIGGERS), "give each detector its triggers in memfs/secrets.py"
    assert all(patterns for patterns, _ in _TRIGGERS.values())


@pytest.mark.parametrize(("name", "index", "regex"), REGEXES,
                         ids=[f"{name}-{index}" for name, index, _ in REGEXES])
@SAMPLES
@given(data=st.data())
def test_every_match_of_every_detector_passes_the_prefilter(
    name: str, index: int, regex: re.Pattern[str], data: st.DataObject
) -> None:
    sample = data.draw(st.from_regex(regex, fullmatch=True))
    detector = next(d for d in _detectors() if type(d).__name__ == name)
    patterns, lines = _TRIGGERS[type(detector)]
    text = f"notes\n{sample}\nend"
    assert _gate().search(_encoded(text)) is not None
    valid = detector.is_formally_valid if isinstance(detector, JwtTokenDetector) else None
    spans = _spans(text)
    for match in regex.finditer(text):
        assert any(re.search(p, match.group(0)) for p in patterns), match.group(0)
        if valid is not None and not valid(match.group(0)):
            continue
        if lines and "\n" in match.group(0):
            continue  # a line-scanned detector reads the lines holding a trigger, one by one
        assert covered(spans, *_secret_span(match)), (match.group(0), spans)


@pytest.mark.parametrize("scanner", [_PEM_PRIVATE_KEY, _PEM_BODY], ids=["block", "body"])
@SAMPLES
@given(data=st.data())
def test_private_key_scanners_pass_the_prefilter(scanner: re.Pattern[str],
                                                 data: st.DataObject) -> None:
    sample = data.draw(st.from_regex(scanner, fullmatch=True))
    for match in scanner.finditer(sample):
        assert _gate().search(_encoded(match.group(0))) is not None
        assert any(re.search(p, match.group(0)) for p in _PEM_TRIGGERS)


def test_the_other_tests_credentials_pass_the_prefilter() -> None:
    for text in [*TOKENS.values(), *LINES.values(), *SECRETS.values()]:
        assert _gate().search(_encoded(text)) is not None, text
        assert find_secrets(text), text


def test_re2_reads_the_triggers_case_and_spaces_as_re_does() -> None:
    """RE2 folds case and reads classes by its own tables; the prefilter must match at least
    what ``re`` (the detectors' engine) does, for every character."""
    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    options = re2.Options()
    options.log_errors = False

    def both(pattern: str) -> tuple[set[str], set[str]]:
        return (set(re.findall(pattern, text)),
                {m.group() for m in re2.compile(pattern, options).finditer(text)})

    python_space, re2_space = both(f"[{_SPACE}]")
    assert python_space == re2_space == set(re.findall(r"\s", text))
    folded = {c for patterns, _ in _TRIGGERS.values() for p in patterns if "(?i:" in p
              for c in p.replace("(?i:", "") if c.isascii() and c.isalpha()}
    assert folded >= set("awsecrtkyopd")
    for letter in sorted(folded):
        python, ours = both(f"(?i:{letter})")
        assert python <= ours, letter


def test_redacting_many_texts_at_once_is_redacting_each() -> None:
    key = TOKENS["github-classic"]
    texts = ["", key, f"{key}\n", "plain words", f"a\x00{key}\x00b", "\ud800 lone surrogate",
             f"\ud800{key}", "password", "=Sup3rS3cretValue123", "x" * 5000 + key,
             LINES["pem-body"], "tail " + TOKENS["aws-access-key-id"]]
    assert redact_all(texts) == [redact(t)[0] for t in texts]
    assert redact_all([]) == []
    assert all(key not in t for t in redact_all(texts))
