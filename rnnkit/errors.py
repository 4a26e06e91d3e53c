"""Typed exceptions: every message names the problem and how to fix it.

The library never prints or exits; callers (the CLI, the dashboard pages) catch
:class:`RnnkitError` and show ``str(error)``, or ``problem`` and ``fix`` apart.
"""

from __future__ import annotations


class RnnkitError(Exception):
    """Base class for every error a user can cause and fix."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem.strip()
        self.fix = fix.strip()
        super().__init__(f"{self.problem} {self.fix}")

    def __reduce__(self) -> tuple[type[RnnkitError], tuple[str, str]]:
        """Pickle as ``(problem, fix)``, so the typed error crosses process boundaries (worker to server)."""
        return type(self), (self.problem, self.fix)


class DataError(RnnkitError):
    """A file or a frame cannot be turned into a clean time series."""


class EmptyFileError(DataError):
    """The file has no bytes, or a header and no data rows."""


class BinaryFileError(DataError):
    """The bytes are not a text table (or a supported spreadsheet)."""


class FileTooLargeError(DataError):
    """The file exceeds the byte, row or column limits."""


class ValuesTooLargeError(DataError):
    """Numbers too large to square and sum without overflowing (rescale them)."""


class HeavyFillingError(DataError):
    """Cleaning would invent a large share of the rows by filling gaps."""


class NoTimeColumnError(DataError):
    """No column parses as dates or times."""


class NoNumericColumnError(DataError):
    """No column holds numbers a model could learn from."""


class UnknownColumnError(DataError):
    """A column name given by the user is not in the file."""


class NonNumericTargetError(DataError):
    """The chosen target column holds text, not numbers."""


class EmptyTargetError(DataError):
    """The chosen target column has no values at all."""


class WindowError(RnnkitError):
    """Window settings that cannot work, alone or on this series."""


class SeriesTooShortError(WindowError):
    """The series (or one of its splits) has too few rows for the window."""


class SplitError(RnnkitError):
    """Train/validation/test split settings that cannot work."""


class DatasetUnavailableError(RnnkitError):
    """A built-in dataset is neither local, cached nor downloadable now."""


class UnknownDatasetError(RnnkitError):
    """A dataset key that is not in the registry."""


class WorkerLostError(RnnkitError):
    """The process (or cluster worker) running a task stopped before answering: killed, out of memory, shut down."""
