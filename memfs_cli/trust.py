"""``memfs trust [DIR]``, ``--revoke``, ``--list``: which project folders may choose settings
that send data elsewhere (model, apiBase, agent, ...). See SECURITY.md."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from agent import settings, trust
from memfs.errors import InvalidArgument
from memfs_cli.output import emit, emit_json, fail
from memfs_cli.workspace import workspace_of


def _folder(args: argparse.Namespace) -> Path:
    if args.folder:
        path = Path(args.folder).expanduser()
        if not path.is_dir():
            raise InvalidArgument(f"{path} is not a folder", "pass a project folder")
        return path.resolve()
    return workspace_of(args) or Path.cwd().resolve()


def cmd_trust(args: argparse.Namespace) -> int:
    if args.list:
        folders = trust.trusted_folders()
        if args.json:
            emit_json([{"path": t.path, "since": t.since} for t in folders])
        else:
            emit("\n".join(f"{t.path}  (since "
                           f"{datetime.fromtimestamp(t.since).strftime('%Y-%m-%d %H:%M')})"
                           for t in folders) or "no trusted folders")
        return 0
    folder = _folder(args)
    if args.revoke:
        if not trust.revoke(folder):
            return fail(f"{folder} was not trusted (list trusted folders with "
                        "'memfs trust --list')")
        emit(f"no longer trusting {folder}; only harmless settings apply from its .memfs/")
        return 0
    withheld = settings.load(folder, trusted=False).withheld
    trust.trust(folder)
    keys = ", ".join(f"'{w.key}'" for w in withheld)
    emit(f"trusted {folder}" + (f"; its project settings now apply ({keys})" if keys else ""))
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``trust`` command."""
    p = groups.add_parser(
        "trust", help="let a project folder's .memfs/ settings choose the model, apiBase, "
        "agent (--revoke, --list)",
        description="Settings in a project's .memfs/settings.json and settings.local.json are "
        "untrusted until you trust the folder: only harmless keys (limits, thresholds, "
        "sleeptime) apply; model, apiBase, agent and any key that sends data elsewhere are "
        "withheld. Trusted folders are kept in $XDG_CONFIG_HOME/memfs/trusted-folders.json.")
    p.add_argument("folder", nargs="?", help="the project folder (default: the current git "
                   "repository, else the current folder)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--revoke", action="store_true", help="stop trusting the folder")
    action.add_argument("--list", action="store_true", help="list trusted folders")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_trust)
