"""What the commands share: exit statuses, opening the files they are given, disk errors in words."""

from __future__ import annotations

import argparse
import errno
from typing import TYPE_CHECKING, BinaryIO

from rnnkit.data.dayfirst import DATE_ORDERS
from rnnkit.errors import RnnkitError

if TYPE_CHECKING:
    from rnnkit.runners import Runner

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a process stopped by Ctrl-C (128 + SIGINT)
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def open_user_file(path: str) -> BinaryIO:
    """Open a file named on the command line, or raise an error naming it and the fix."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise RnnkitError(f"Cannot open {path}: {error.strerror}.", "Check the path and try again.") from error


def disk_message(error: OSError) -> str:
    """One line for a disk that is full or read-only, naming the file when known."""
    where = f" while writing {error.filename}" if error.filename else ""
    if error.errno == errno.EROFS:
        return f"The disk is read-only{where}. Point --runs-dir (or RNNKIT_RUNS_DIR) at a folder you can write to."
    return (f"There is no space left on the disk{where}. Free some space, or point --runs-dir "
            f"(or RNNKIT_RUNS_DIR) at a disk with room, then run the command again.")



def add_source_arguments(parser: argparse.ArgumentParser) -> argparse._MutuallyExclusiveGroup:
    """Where the series comes from and how it is cleaned: shared by every command that loads one.

    Returns the required group of sources, so a command can add a source of its own (``--from-run``).
    """
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a built-in dataset: electric, jena or stocks")
    source.add_argument("--csv", help="a CSV (or .xlsx) file of your own")
    parser.add_argument("--ticker", help="stock ticker for --dataset stocks (default GOOG)")
    parser.add_argument("--target", help="target column")
    parser.add_argument("--features", default="", help="extra input columns, comma-separated")
    parser.add_argument("--resample", help="aggregate to this frequency first, e.g. 1h")
    parser.add_argument("--max-filled", type=float, default=0.2, metavar="SHARE",
                        help="largest share of rows that filling gaps may invent (default 0.2)")
    parser.add_argument("--date-order", choices=DATE_ORDERS, default="auto",
                        help="how to read dates such as 01/02/2020 (default auto: from the values, said when guessed)")
    return source


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the models train: shared by the commands that train."""
    from rnnkit.runners import RUNNER_NAMES

    parser.add_argument("--runner", choices=RUNNER_NAMES,
                        help="inline (this process), process (worker processes, the default) or ray "
                             "(RNNKIT_RAY_ADDRESS, default auto); default: RNNKIT_RUNNER or process")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="models trained at the same time (default: RNNKIT_WORKERS or the number of cores)")


def runner_from_args(args: argparse.Namespace) -> Runner:
    """The runner the flags (or the environment) ask for; the caller shuts it down."""
    from rnnkit.runners import make_runner

    return make_runner(args.runner, args.workers)
