"""Search patterns a model (or a user) supplies, compiled with RE2: matching takes time linear
in the text, so no pattern, however crafted (``(a+)+$``), can stall a search. RE2 has no
backreferences and no look-around; such a pattern is refused with the reason."""

from __future__ import annotations

import re
from typing import Protocol, cast

from memfs.errors import InvalidArgument

MAX_PATTERN_CHARS = 1_000
_BACKREF = re.compile(r"invalid escape sequence: \\\d")
_HINT = ("RE2 syntax: no look-ahead/look-behind ((?=...), (?!...), (?<=...)) and no "
         "backreferences (\\1); search for a plain substring, or simplify the pattern")


class Matcher(Protocol):
    """What a compiled pattern offers: ``search(line)`` is truthy on a match."""

    def search(self, text: str) -> object: ...


def compile_pattern(query: str, *, regex: bool, ignore_case: bool = True) -> Matcher:
    """A matcher for ``query``: a regex (RE2 syntax) or, without ``regex``, a literal."""
    import re2  # imported on first search: keeps starts fast

    if len(query) > MAX_PATTERN_CHARS:
        raise InvalidArgument(f"search pattern longer than {MAX_PATTERN_CHARS} characters",
                              "search for something shorter")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    options.literal = not regex
    try:
        return cast(Matcher, re2.compile(query, options))
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise InvalidArgument(f"invalid regex {query!r}: {_explain(detail)}",
                              _HINT) from None


def _explain(detail: str) -> str:
    """RE2's error, with the unsupported feature named when it is one."""
    for marker, feature in (("(?=", "look-ahead"), ("(?!", "negative look-ahead"),
                            ("(?<=", "look-behind"), ("(?<!", "negative look-behind")):
        if marker in detail:
            return f"{feature} '{marker}...' is not supported"
    if _BACKREF.search(detail):
        return "backreferences (\\1...) are not supported"
    return detail

