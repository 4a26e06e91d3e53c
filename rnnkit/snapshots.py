"""Series snapshot files on disk: their name, and pruning the ones nothing uses (standard library only).

The snapshots themselves are written and read by :mod:`rnnkit.request`; this
module stays free of pandas so that the dashboard's landing page, whose job
manager tidies the snapshot folder when it starts, loads quickly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SNAPSHOT_SUFFIX = ".series.pkl"


def touch(path: Path) -> bool:
    """Mark a snapshot as just used (pruning goes by age); False when it is not there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except OSError:  # another user's file, or a read-only disk: it is there, and stays
        return True
    return True


def prune_snapshots(folder: Path, keep: set[str], older_than_s: float) -> list[Path]:
    """Delete the snapshots (and left-over partial files) in ``folder`` not named in ``keep``, unused for a while.

    Only files untouched for ``older_than_s`` go, so a request being made right
    now (its snapshot written, its job not yet stored) never loses its series.
    """
    cutoff = time.time() - older_than_s
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:  # no folder yet, or unreadable: nothing to prune
        return []
    for path in entries:
        name = path.name
        ours = name.endswith(SNAPSHOT_SUFFIX) or (name.startswith(".") and name.endswith(".tmp")
                                                 and SNAPSHOT_SUFFIX in name)
        if not ours or name in keep:
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:  # gone already (another server pruned it), or not ours to delete
            continue
    return removed
