"""The ``memfs`` command line: ``memfs [--agent ID] memory <command> ...``.

Exit codes: 0 success; 1 a refusal (one line on stderr saying what and how to fix);
2 a usage error. ``--json`` wherever output is structured.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memfs`` console script."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(version_text())  # answered before the command modules (and their imports) load
        return 0
    from memfs.errors import MemfsError
    from memfs_cli import memory_status
    from memfs_cli.output import fail

    args = memory_status.quick_args(list(sys.argv[1:] if argv is None else argv))
    if args is None:  # every command but the plain 'memory status' (which starts light)
        from memfs_cli.parser import build_parser  # argparse: 'memory status' does without

        args = build_parser().parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
    except MemfsError as exc:
        code = fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", code=130)
    except BrokenPipeError:
        return 0
    if argv is None and args.handler is memory_status.quick_status:
        memory_status.leave(code)  # the console script's 'memory status' ends here
    return code


def version_text() -> str:
    """The line ``memfs --version`` prints."""
    from memfs import __version__

    return f"memfs {__version__}"


if __name__ == "__main__":
    sys.exit(main())
