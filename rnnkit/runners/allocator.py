"""Which memory allocator the pool's worker processes start with: TCMalloc when the system has it.

TensorFlow makes and frees many small buffers for every step of a recurrent
network, and glibc's ``malloc`` is slow at that. Started with TCMalloc
(``LD_PRELOAD``), a worker trained the four Jena-hourly models of
``bench/throughput.py`` 5-9% faster on one thread, and the pool ran that
comparison 8-10% faster (2-core machine, interleaved runs). An allocator can
only be chosen when a process starts, so the web server keeps its own; the
workers it spawns get the faster one. TCMalloc comes from the system (Debian
and Ubuntu: ``apt-get install libtcmalloc-minimal4``); without it, workers use
the system allocator and work the same, a little slower.

``RNNKIT_WORKER_MALLOC`` chooses: ``auto`` (the default: TCMalloc when found),
``system`` (never preload), or the path of a shared library to preload.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
import sys

from rnnkit.errors import RnnkitError

MALLOC_ENV = "RNNKIT_WORKER_MALLOC"
#: libraries tried in order under ``auto``: gperftools' TCMalloc without and with its profiler
CANDIDATES = ("tcmalloc_minimal", "tcmalloc")
#: TCMalloc prints a line for every allocation above 1 GB by default; workers' large arrays are expected
QUIET = {"TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD": str(2**62)}


def worker_environment() -> dict[str, str]:
    """The environment variables to add when a worker process starts (empty: start it as it is)."""
    library = worker_allocator()
    if library is None:
        return {}
    preloaded = os.environ.get("LD_PRELOAD", "")
    if library in preloaded.replace(":", " ").split():
        return {}  # the parent has it already, and children inherit it
    return {"LD_PRELOAD": f"{library} {preloaded}".strip(), **QUIET}


def worker_allocator() -> str | None:
    """The shared library workers preload, from ``RNNKIT_WORKER_MALLOC``; None for the system allocator."""
    choice = os.environ.get(MALLOC_ENV, "auto").strip()
    if choice in ("", "auto"):
        return find_tcmalloc()
    if choice == "system":
        return None
    if not os.path.isfile(choice):
        raise RnnkitError(f"{MALLOC_ENV} is {choice!r}, which is neither auto, system nor a library file.",
                          f"Set {MALLOC_ENV} to auto, system, or the path of a shared library such as "
                          "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.")
    return choice


@functools.cache
def find_tcmalloc() -> str | None:
    """The name of the system's TCMalloc library (Linux only; None where there is none)."""
    if not sys.platform.startswith("linux"):
        return None  # LD_PRELOAD is how it is loaded, and the project runs on Linux
    for name in CANDIDATES:
        found = ctypes.util.find_library(name)
        if found:
            return found
    return None
