"""Which memory allocator the pool's worker processes start with: TCMalloc when the system has it.

TensorFlow makes and frees many buffers at every step of a recurrent network.
Started with TCMalloc, workers ran the tasks of ``bench/throughput.py``'s Jena
comparison faster on one thread, and hold a little more memory; that bench
measures both against the system allocator in the same run (the README shows
the figures). An allocator is chosen when a process starts (``LD_PRELOAD``), so
the web server keeps its own and only the workers it spawns get TCMalloc.
TCMalloc comes from the system (Debian and Ubuntu: ``apt-get install
libtcmalloc-minimal4``); without it workers use the system allocator, a little
slower.

``RNNKIT_WORKER_MALLOC`` chooses: ``auto`` (the default: TCMalloc when found,
unless ``LD_PRELOAD`` already names a library, which is then left as it is),
``system`` (preload nothing), or the path of a shared library to preload.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
import sys

from rnnkit.errors import RnnkitError

MALLOC_ENV = "RNNKIT_WORKER_MALLOC"
#: where a worker finds the ``LD_PRELOAD`` its parent had, to hand that (not TCMalloc) to processes it starts
PARENT_PRELOAD_ENV = "RNNKIT_PARENT_LD_PRELOAD"
#: TCMalloc prints a line for every allocation above 1 GB by default; a worker's large arrays are expected
QUIET = {"TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD": str(2**62)}


def worker_environment(choice: str | None = None) -> dict[str, str]:
    """The variables a worker process starts with on top of this process's environment (empty: none).

    ``choice``: ``auto``, ``system`` or a library path; None reads ``RNNKIT_WORKER_MALLOC``.
    """
    library = worker_allocator(choice)
    if library is None:
        return {}
    preloaded = os.environ.get("LD_PRELOAD", "")
    quiet = {name: value for name, value in QUIET.items() if name not in os.environ}  # the user's own settings win
    return {"LD_PRELOAD": f"{library} {preloaded}".strip(), PARENT_PRELOAD_ENV: preloaded, **quiet}


def worker_allocator(choice: str | None = None) -> str | None:
    """The shared library workers preload (``choice``, else ``RNNKIT_WORKER_MALLOC``); None for the system's."""
    choice = (os.environ.get(MALLOC_ENV, "auto") if choice is None else choice).strip()
    if choice.lower() in ("", "auto"):
        return None if os.environ.get("LD_PRELOAD", "").strip() else find_tcmalloc()
    if choice.lower() == "system":
        return None
    if not os.path.isfile(choice):
        raise RnnkitError(f"The workers' allocator ({MALLOC_ENV}) is {choice!r}: not auto or system, and no such "
                          "file.",
                          f"Set {MALLOC_ENV} to auto, system, or the path of a shared library such as "
                          "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.")
    return choice


def restore_parent_preload() -> None:
    """In a worker: put back the parent's ``LD_PRELOAD``, so processes the worker starts do not get TCMalloc.

    The allocator this process started with stays loaded; only the environment
    its own children inherit changes. Called first thing, before any thread.
    """
    parent = os.environ.pop(PARENT_PRELOAD_ENV, None)
    if parent is None:
        return  # started without a preload of rnnkit's
    if parent:
        os.environ["LD_PRELOAD"] = parent
    else:
        os.environ.pop("LD_PRELOAD", None)


@functools.cache
def find_tcmalloc() -> str | None:
    """The name of the system's TCMalloc library (``libtcmalloc_minimal.so.4``; Linux only, None where absent)."""
    if not sys.platform.startswith("linux"):
        return None  # LD_PRELOAD is how it is loaded, and the project runs on Linux
    return ctypes.util.find_library("tcmalloc_minimal")
