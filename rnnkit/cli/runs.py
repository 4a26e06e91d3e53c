"""``python -m rnnkit runs``: list the stored runs, or delete one.

Listing works on a read-only or full disk; a damaged run is named with what is
wrong and the others are listed as usual. Owners appear only as a short
fingerprint of their key, never as the token that grants access.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rnnkit.store import RunRecord, RunStore


def add_parser(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser("runs", help="list stored runs (or delete one)")
    runs.add_argument("--delete", metavar="RUN_ID", help="delete this run and its files (refused while it trains)")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    runs.add_argument("--runs-dir", help="where runs are stored (default: RNNKIT_RUNS_DIR or the user data folder)")


def run(args: argparse.Namespace) -> int:
    store = RunStore(Path(args.runs_dir) if args.runs_dir else None)
    if args.delete:
        store.delete(args.delete)
        print(f"Deleted run {args.delete}")
        return 0
    records = store.list()
    if store.index_problem:
        print(f"warning: {store.index_problem} The runs it still holds are listed.", file=sys.stderr)
    if args.json:
        print(json.dumps([r.public() for r in records], indent=2, default=str))
        return 0
    if not records:
        print(f"No stored runs in {store.root}")
        return 0
    for record in records:
        print(describe(record))
    return 0


def describe(r: RunRecord) -> str:
    """One line per run: id, date, status, data, models and the best score (or what is wrong)."""
    if r.damaged and not r.created_at:
        return f"{r.id}  damaged: {r.problem}"
    best = r.metrics.get(r.best_model, {}).get("rmse") if r.best_model else None
    score = f"best {r.best_model} RMSE {best:.4g}" if best is not None else (r.message or "")
    line = (f"{r.id}  {r.created_at}  {r.status:<11} {r.dataset} [{r.target}]  "
            f"models: {', '.join(r.models)}  {score}")
    return f"{line}  damaged: {r.problem}" if r.damaged else line
