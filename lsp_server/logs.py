"""Logging: stderr (and an optional file), plus ``window/logMessage`` once a client is there.

The ``pygls`` logger stays at WARNING (at INFO it logs every payload); nothing goes to stdout.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str, log_file: str | None) -> None:
    """Root logging to stderr (and ``log_file``)."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    for noisy in ("pygls", "LiteLLM", "httpx", "httpcore", "git", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class ClientLogHandler(logging.Handler):
    """Forwards memfs records to the client as ``window/logMessage``."""

    def __init__(self, server: Any) -> None:
        super().__init__(logging.INFO)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("memfs"):
            return
        from lsprotocol import types

        kinds = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning}
        with contextlib.suppress(Exception):  # the client may be gone; logging never fails
            self.server.window_log_message(types.LogMessageParams(
                type=kinds.get(record.levelno, types.MessageType.Info),
                message=self.format(record)))
