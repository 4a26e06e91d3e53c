"""The parsed-upload cache is shared by every session, so it must be bounded in entries and time."""

from __future__ import annotations

import ast
from pathlib import Path

PAGES = Path(__file__).resolve().parents[2] / "pages"


def _upload_caches() -> dict[str, dict[str, object]]:
    """Cached functions in the pages that take raw upload bytes: name → the decorator's keyword arguments."""
    found: dict[str, dict[str, object]] = {}
    for path in PAGES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            takes_bytes = any(isinstance(a.annotation, ast.Name) and a.annotation.id == "bytes" for a in node.args.args)
            for decorator in node.decorator_list:
                if takes_bytes and isinstance(decorator, ast.Call) and "cache" in ast.unparse(decorator.func):
                    found[node.name] = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords if k.arg}
    return found


def test_upload_caches_are_bounded() -> None:
    caches = _upload_caches()
    assert caches, "no cached upload loader found in pages/"
    for name, arguments in caches.items():
        assert 1 <= int(arguments.get("max_entries", 0)) <= 6, name
        assert 0 < int(arguments.get("ttl", 0)) <= 3600, name


def test_large_uploads_have_one_slot() -> None:
    assert {a.get("max_entries") for a in _upload_caches().values()} >= {1}
