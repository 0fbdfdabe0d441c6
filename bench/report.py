"""Result rows and the plain-text table they are printed as."""

from __future__ import annotations

from dataclasses import dataclass

HEADERS = ("benchmark", "ours", "baseline", "ratio", "target", "")
WIDTHS = (36, 16, 16, 9, 10, 6)


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``met`` is None when the row has no target."""

    name: str
    ours: str
    baseline: str
    ratio: float | None
    target: str = "-"
    met: bool | None = None


def ms(seconds: float) -> str:
    """Seconds formatted as milliseconds with sensible precision."""
    value = seconds * 1000
    if value < 1:
        return f"{value:.3f} ms"
    if value < 100:
        return f"{value:.2f} ms"
    return f"{value:.0f} ms"


def secs(seconds: float) -> str:
    """Seconds formatted as seconds."""
    return f"{seconds:.2f} s"


def rate(count: int, seconds: float, unit: str = "files/s") -> str:
    """Throughput, e.g. ``12,345 files/s``."""
    return f"{count / seconds:,.0f} {unit}"


def ratio_text(ratio: float | None) -> str:
    """A ratio as ``2.31x`` (or ``-``)."""
    if ratio is None:
        return "-"
    return f"{ratio:.2g}x" if ratio < 0.1 else f"{ratio:.2f}x"


def render(rows: list[Row]) -> str:
    """The table: a header line, a rule, then one line per row."""

    def line(cells: tuple[str, ...]) -> str:
        return "".join(c.ljust(w) for c, w in zip(cells, WIDTHS, strict=True)).rstrip()

    out = [line(HEADERS), "-" * sum(WIDTHS)]
    for row in rows:
        mark = "" if row.met is None else ("met" if row.met else "MISSED")
        out.append(line((row.name, row.ours, row.baseline, ratio_text(row.ratio), row.target,
                         mark)))
    return "\n".join(out)
