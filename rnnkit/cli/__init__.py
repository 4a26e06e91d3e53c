"""Command line: ``python -m rnnkit inspect|datasets|compare|runs``, one module per command.

Errors a user can fix are printed as one line on stderr with exit status 2; a
full disk and Ctrl-C get one line too. The command never shows a traceback
for them.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence

from rnnkit.cli import compare, datasets, inspect, runs
from rnnkit.errors import RnnkitError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a process stopped by Ctrl-C (128 + SIGINT)

COMMANDS = {"inspect": inspect, "datasets": datasets, "compare": compare, "runs": runs}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rnnkit",
        description="Forecast time series with recurrent networks, honestly compared with naive baselines.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except RnnkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        print(f"error: {disk_message(error)}", file=sys.stderr)
        return EXIT_USER_ERROR


def disk_message(error: OSError) -> str:
    """One line for a disk that is full or read-only, naming the file when known."""
    where = f" while writing {error.filename}" if error.filename else ""
    if error.errno == errno.EROFS:
        return f"The disk is read-only{where}. Point --runs-dir (or RNNKIT_RUNS_DIR) at a folder you can write to."
    return (f"There is no space left on the disk{where}. Free some space, or point --runs-dir "
            f"(or RNNKIT_RUNS_DIR) at a disk with room, then run the command again.")


if __name__ == "__main__":
    sys.exit(main())
