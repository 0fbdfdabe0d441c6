"""Result rows, the plain-text table they are printed as, and the README block that shows the
latest figures (``bench/results.json`` keeps the rows of each benchmark's latest full run, so
running one benchmark refreshes its rows and keeps the others)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by make bench) -->"
END = "<!-- bench:end -->"

HEADERS = ("benchmark", "ours", "baseline", "ratio", "target", "")
WIDTHS = (36, 16, 16, 9, 10, 6)


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``met`` is None when the row has no target; a ``note``
    is printed as a numbered footnote under the table."""

    name: str
    ours: str
    baseline: str
    ratio: float | None
    target: str = "-"
    met: bool | None = None
    note: str = ""


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
    """The table: a header line, a rule, one line per row, then the rows' footnotes."""
    notes: list[str] = []
    cells: list[tuple[str, ...]] = []
    for row in rows:
        mark = "" if row.met is None else ("met" if row.met else "MISSED")
        target = row.target
        if row.note:
            notes.append(row.note)
            target = f"{target} [{len(notes)}]"
        cells.append((row.name, row.ours, row.baseline, ratio_text(row.ratio), target, mark))
    widths = [max(minimum, *(len(c[i]) + 2 for c in cells)) if cells else minimum
              for i, minimum in enumerate(WIDTHS)]

    def line(values: tuple[str, ...]) -> str:
        return "".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(HEADERS), "-" * sum(widths), *(line(c) for c in cells)]
    out += [f"[{number}] {text}" for number, text in enumerate(notes, 1)]
    return "\n".join(out)


def load_results(path: Path) -> dict[str, Any]:
    """``{"header": [lines], "rows": {benchmark: [row dicts]}}`` of earlier runs, or empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"header": [], "rows": {}}
    return data if isinstance(data, dict) else {"header": [], "rows": {}}


def save_results(path: Path, header: list[str], found: dict[str, list[Row]],
                 order: list[str]) -> list[Row]:
    """Merge this run's rows (by benchmark) into ``path``; returns every row, in ``order``."""
    data = load_results(path)
    rows: dict[str, list[dict[str, Any]]] = dict(data.get("rows") or {})
    for name, benchmark_rows in found.items():
        rows[name] = [asdict(r) for r in benchmark_rows]
    names = [n for n in order if n in rows] + sorted(n for n in rows if n not in order)
    merged = {n: rows[n] for n in names}
    path.write_text(json.dumps({"header": header, "rows": merged}, indent=1) + "\n",
                    encoding="utf-8")
    return [Row(**r) for n in names for r in merged[n]]


def write_readme(readme: Path, header: list[str], rows: list[Row]) -> bool:
    """Replace the table between the README's markers; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return False
    block = "\n".join([BEGIN, "```text", *header, "", render(rows), "```", END])
    readme.write_text(text[:start] + block + text[end + len(END):], encoding="utf-8")
    return True
