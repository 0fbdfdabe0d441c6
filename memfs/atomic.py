"""Whole-file replacement that a crash or a reader never sees half done."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(target: Path, data: bytes, tmp_dir: Path | None = None,
                 prefix: str = "tmp") -> None:
    """Write ``data`` to a temporary file (in ``tmp_dir``, else beside ``target``, named
    with ``prefix``), then rename it over ``target``; the temporary file never outlives a
    failure."""
    import tempfile  # loaded by the first write (a command that only reads never needs it)

    if tmp_dir is not None:
        tmp_dir.mkdir(exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=tmp_dir or target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
