"""``compare --runner/--workers``: the flags reach make_runner, and a bad value is a one-line user error."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import seasonal_csv
from rnnkit.cli import build_parser, main
from rnnkit.cli.common import EXIT_USER_ERROR, runner_from_args
from rnnkit.runners import InlineRunner


def test_runner_flags_pick_the_runner() -> None:
    args = build_parser().parse_args(["compare", "--csv", "x.csv", "--runner", "inline", "--workers", "3"])
    assert (args.runner, args.workers) == ("inline", 3)
    assert isinstance(runner_from_args(args), InlineRunner)


def test_zero_workers_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "tiny.csv"
    csv.write_bytes(seasonal_csv())
    code = main(["compare", "--csv", str(csv), "--target", "value", "--epochs", "1", "--no-save",
                 "--runner", "process", "--workers", "0"])
    assert code == EXIT_USER_ERROR
    assert "0 workers cannot run anything" in capsys.readouterr().err
