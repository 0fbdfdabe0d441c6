"""``memfs-lsp``: stdio by default, ``--tcp HOST:PORT`` or ``--ws HOST:PORT``."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from lsp_server import logs


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:2087)")
    return host, int(port)


def _version() -> str:
    from memfs import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> None:
    """Start the server on the chosen transport; it exits when the editor goes away."""
    gc.disable()  # until the warm-up has loaded everything (lsp_server.warmup)
    parser = argparse.ArgumentParser(prog="memfs-lsp",
                                     description="memfs language server (LSP over stdio)")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout "
                           "(the default)")
    transport.add_argument("--tcp", type=_address, metavar="HOST:PORT", help="listen on TCP")
    transport.add_argument("--ws", type=_address, metavar="HOST:PORT",
                           help="listen on WebSocket")
    parser.add_argument("--log-file", help="also write logs to this file")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--version", action="version", version=f"memfs-lsp {_version()}")
    args = parser.parse_args(argv)
    logs.configure(args.log_level, args.log_file)
    from lsp_server.server import build

    server = build(_version())
    logging.getLogger("memfs.lsp").info("memfs-lsp %s starting", _version())
    if args.tcp:
        server.start_tcp(*args.tcp)
    elif args.ws:
        server.start_ws(*args.ws)
    else:
        server.start_io()
    sys.exit(0)
