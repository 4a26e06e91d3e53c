"""``python -m rnnkit runs``: list the stored runs, or delete one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rnnkit.store import RunStore


def add_parser(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser("runs", help="list stored runs (or delete one)")
    runs.add_argument("--delete", metavar="RUN_ID", help="delete this run and its files")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    runs.add_argument("--runs-dir", help="where runs are stored (default: RNNKIT_RUNS_DIR or the user data folder)")


def run(args: argparse.Namespace) -> int:
    store = RunStore(Path(args.runs_dir) if args.runs_dir else None)
    if args.delete:
        store.delete(args.delete)
        print(f"Deleted run {args.delete}")
        return 0
    records = store.list()
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2, default=str))
        return 0
    if not records:
        print(f"No stored runs in {store.root}")
        return 0
    for r in records:
        best = r.metrics.get(r.best_model, {}).get("rmse") if r.best_model else None
        score = f"best {r.best_model} RMSE {best:.4g}" if best is not None else (r.message or "")
        print(f"{r.id}  {r.created_at}  {r.status:<11} {r.dataset} [{r.target}]  "
              f"models: {', '.join(r.models)}  {score}")
    return 0
