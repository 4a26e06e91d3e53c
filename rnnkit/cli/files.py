"""Opening the files named on the command line."""

from __future__ import annotations

from typing import BinaryIO

from rnnkit.errors import RnnkitError


def open_user_file(path: str) -> BinaryIO:
    """Open a file named on the command line, or raise an error naming it and the fix."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise RnnkitError(f"Cannot open {path}: {error.strerror}.", "Check the path and try again.") from error
