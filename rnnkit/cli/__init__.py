"""Command line: ``python -m rnnkit inspect|datasets|compare|search|runs|worker``, one module per command.

Errors a user can fix are printed as one line on stderr with exit status 2; a
full disk and Ctrl-C get one line too. The command never shows a traceback
for them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rnnkit.cli import compare, datasets, inspect, runs, search, worker
from rnnkit.cli.common import (
    DISK_ERRNOS,
    EXIT_INTERRUPTED,
    EXIT_USER_ERROR,
    disk_message,
)
from rnnkit.errors import RnnkitError

COMMANDS = {"inspect": inspect, "datasets": datasets, "compare": compare, "search": search, "runs": runs,
            "worker": worker}


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
        if error.errno not in DISK_ERRNOS:
            raise
        print(f"error: {disk_message(error)}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
