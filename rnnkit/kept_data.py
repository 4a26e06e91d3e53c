"""Each owner's last data choice and last upload, kept on disk so a reload or a new tab finds them again.

A browser reload starts a new Streamlit session: without this, the Data page fell
back to its first built-in dataset, and an uploaded file was gone. The owner token
in the URL (``?u=``) survives a reload, so what the owner last chose is kept under
a hash of it, beside the run store: the source (a built-in dataset or a file), the
dataset, the cleaning, that data's time column, target and features, and the last
uploaded file up to a size limit. Nothing here imports Streamlit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any

from rnnkit.active_data import KEEP_UPLOAD_BYTES
from rnnkit.store import owner_key

#: the folder, inside the runs folder, that holds it (a dot name: never taken for a run)
KEPT_DATA_DIR = ".kept-data"
#: an owner's kept data is removed after this long without a change
MAX_AGE_S = 30 * 24 * 3600.0
_UPLOAD, _UPLOAD_META, _CHOICE = "upload.bin", "upload.json", "choice.json"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def allowed_entries(choice: Mapping[str, Any], allowed: Mapping[str, Container[Any]]) -> dict[str, Any]:
    """The entries of ``choice`` named in ``allowed`` whose value is a string or a whole number it offers.

    The dashboard restores a choice into its widgets, which refuse a value they do not
    offer (a dataset removed since, a column another file lacks, a hand-edited file):
    such entries are dropped, and the widget shows its default.
    """
    return {key: value for key, value in choice.items()
            if key in allowed and isinstance(value, str | int) and not isinstance(value, bool)
            and value in allowed[key]}


def allowed_columns(value: Any, offered: Container[str]) -> list[str] | None:
    """``value`` when it is a list of distinct column names, all ``offered`` (a kept multiselect), else None."""
    if isinstance(value, list) and all(isinstance(v, str) and v in offered for v in value) \
            and len(set(value)) == len(value):
        return value
    return None


class KeptData:
    """The last data choice and upload of every owner, in ``root`` (one folder per hashed owner token)."""

    def __init__(self, root: Path, limit: int = KEEP_UPLOAD_BYTES, max_age_s: float = MAX_AGE_S) -> None:
        self.root, self.limit, self.max_age_s = Path(root), limit, max_age_s

    def _folder(self, owner: str) -> Path:
        return self.root / owner_key(owner)

    def keep_upload(self, owner: str, name: str, data: bytes) -> bool:
        """Keep ``owner``'s uploaded file (replacing the last one) when it is at most the limit; whether kept.

        A larger file removes the older kept one, so a reload never brings back a file
        that was replaced. Keeping the same file again writes nothing.
        """
        folder = self._folder(owner)
        if len(data) > self.limit:
            self.forget_upload(owner)
            return False
        digest = hashlib.sha256(data).hexdigest()
        meta = self._read_json(folder / _UPLOAD_META)
        if meta == {"name": name, "sha256": digest} and (folder / _UPLOAD).is_file():
            return True
        _write_atomically(folder / _UPLOAD, data)
        _write_atomically(folder / _UPLOAD_META, json.dumps({"name": name, "sha256": digest}).encode())
        return True

    def last_upload(self, owner: str) -> tuple[str, bytes] | None:
        """``(name, bytes)`` of ``owner``'s kept upload, or None (none kept, or damaged on disk)."""
        folder = self._folder(owner)
        meta = self._read_json(folder / _UPLOAD_META)
        try:
            data = (folder / _UPLOAD).read_bytes()
        except OSError:
            return None
        if not isinstance(meta.get("name"), str) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None
        with contextlib.suppress(OSError):
            os.utime(folder / _UPLOAD)  # in use: kept as long as it is used, not only changed
        return meta["name"], data

    def forget_upload(self, owner: str) -> None:
        """Remove ``owner``'s kept upload (the user removed or replaced the file)."""
        for name in (_UPLOAD_META, _UPLOAD):
            (self._folder(owner) / name).unlink(missing_ok=True)

    def save_choice(self, owner: str, choice: dict[str, Any]) -> None:
        """Keep ``owner``'s data choice (plain JSON values); the same choice again writes nothing."""
        path = self._folder(owner) / _CHOICE
        if self._read_json(path) != choice:
            _write_atomically(path, json.dumps(choice).encode())

    def last_choice(self, owner: str, allowed: Mapping[str, Container[Any]] | None = None) -> dict[str, Any]:
        """``owner``'s last data choice, or an empty dict; with ``allowed``, only its entries that
        :func:`allowed_entries` lets through."""
        path = self._folder(owner) / _CHOICE
        choice = self._read_json(path)
        if choice:
            with contextlib.suppress(OSError):
                os.utime(path)  # in use: pruning goes by the last use, not the last change
        return choice if allowed is None else allowed_entries(choice, allowed)

    def prune(self, now: float | None = None) -> int:
        """Remove the kept data of owners untouched for longer than ``max_age_s``; how many owners were removed."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            try:
                newest = max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)
            except OSError:
                continue
            if folder.is_dir() and now - newest > self.max_age_s:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
