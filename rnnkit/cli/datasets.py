"""``python -m rnnkit datasets``: the built-in datasets and whether each works offline."""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("datasets", help="list the built-in datasets and whether each works offline")


def run(args: argparse.Namespace) -> int:
    from rnnkit.datasets.availability import availability
    from rnnkit.datasets.registry import DATASETS

    for key, info in DATASETS.items():
        state = availability(key)
        print(f"{key:<9} {info.title} ({info.frequency}, {info.size})")
        print(f"{'':<9} offline: {'yes' if state.offline else 'no'}; {state.where}")
        print(f"{'':<9} source: {info.source}")
    return 0
