"""An owner's last data choice and upload survive a reload: kept on disk under a hash of the owner token."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rnnkit.kept_data import KeptData
from rnnkit.store import owner_key

ANA, BO = "ana-token-0123456789abcdefgh", "bo-token-0123456789abcdefghij"


def test_an_upload_is_kept_per_owner_and_replaced_by_the_next(tmp_path: Path) -> None:
    kept = KeptData(tmp_path, limit=100)
    assert kept.last_upload(ANA) is None
    assert kept.keep_upload(ANA, "sales.csv", b"date,v\n2020-01-01,1\n")
    assert kept.last_upload(ANA) == ("sales.csv", b"date,v\n2020-01-01,1\n")
    assert kept.last_upload(BO) is None  # never another owner's file
    assert kept.keep_upload(ANA, "other.csv", b"t,x\n1,2\n")
    assert kept.last_upload(ANA) == ("other.csv", b"t,x\n1,2\n")
    assert not any(ANA in str(p) for p in tmp_path.rglob("*"))  # the token itself is never on disk
    assert (tmp_path / owner_key(ANA)).is_dir()


def test_a_file_over_the_limit_is_not_kept_and_drops_the_older_one(tmp_path: Path) -> None:
    kept = KeptData(tmp_path, limit=10)
    assert kept.keep_upload(ANA, "small.csv", b"a,b\n1,2\n")
    assert not kept.keep_upload(ANA, "big.csv", b"x" * 11)
    assert kept.last_upload(ANA) is None  # a reload must not bring back the replaced file


def test_keeping_the_same_file_again_writes_nothing_and_damage_reads_as_none(tmp_path: Path, monkeypatch) -> None:
    import rnnkit.kept_data

    writes: list[Path] = []
    real_write = rnnkit.kept_data._write_atomically
    monkeypatch.setattr(rnnkit.kept_data, "_write_atomically", lambda path, data: (writes.append(path),
                                                                                     real_write(path, data)))
    kept = KeptData(tmp_path)
    kept.keep_upload(ANA, "a.csv", b"t,x\n1,2\n")
    assert len(writes) == 2  # the file and its name
    kept.keep_upload(ANA, "a.csv", b"t,x\n1,2\n")
    kept.save_choice(ANA, {"data_source": "Upload a file"})
    kept.save_choice(ANA, {"data_source": "Upload a file"})
    assert len(writes) == 3  # the same file and the same choice again: nothing written
    data = tmp_path / owner_key(ANA) / "upload.bin"
    data.write_bytes(b"t,x\n1,3\n")  # changed behind its back: its hash no longer matches
    assert kept.last_upload(ANA) is None
    kept.forget_upload(ANA)
    assert not data.exists()


def test_the_data_choice_is_kept_and_old_owners_are_pruned(tmp_path: Path) -> None:
    kept = KeptData(tmp_path, max_age_s=3600)
    assert kept.last_choice(ANA) == {}
    kept.save_choice(ANA, {"source": "Built-in dataset", "dataset_key": "jena"})
    kept.save_choice(BO, {"source": "Upload a file"})
    assert kept.last_choice(ANA) == {"source": "Built-in dataset", "dataset_key": "jena"}
    assert kept.last_choice(ANA, {"source": ["Built-in dataset"], "dataset_key": ["electric"]}) == {
        "source": "Built-in dataset"}  # a dataset no longer offered is dropped, not forced on a widget
    kept.save_choice(BO, {"source": ["not", "a", "name"], "dataset_key": {"x": 1}})  # a hand-edited file
    assert kept.last_choice(BO, {"source": {"Upload a file": 0}, "dataset_key": {"jena": 0}}) == {}
    old = time.time() - 7200
    for owner in (ANA, BO):
        for path in (tmp_path / owner_key(owner)).iterdir():
            os.utime(path, (old, old))
    assert kept.last_choice(ANA)  # used again today: kept, though unchanged for long
    assert kept.prune() == 1
    assert kept.last_choice(BO) == {} and kept.last_choice(ANA)["dataset_key"] == "jena"


def test_only_offered_values_come_back_to_widgets() -> None:
    from rnnkit.kept_data import allowed_columns, allowed_entries

    kept = {"max_filled_pct": 35, "resample": "hourly", "date_order": True, "missing_policy": "bfill",
            "ticker": "AAPL", "target_x.csv": "rain"}
    offered = {"max_filled_pct": range(101), "resample": ["no resampling", "hourly"], "date_order": [True, 1],
               "missing_policy": ["ffill", "interpolate"], "ticker": ["GOOG"]}
    # a whole number and a shown label pass; a flag (even one "offered"), an unknown policy, a ticker not offered
    # and a key no widget asked for do not
    assert allowed_entries(kept, offered) == {"max_filled_pct": 35, "resample": "hourly"}
    assert allowed_entries({"max_filled_pct": 101}, offered) == {}
    assert allowed_columns(["value", "rain"], ["value", "rain", "wind"]) == ["value", "rain"]
    assert allowed_columns([], ["value"]) == []
    assert allowed_columns(["value", "gone"], ["value"]) is None  # a column this file lacks: the defaults instead
    assert allowed_columns("value", ["value"]) is None and allowed_columns([1], [1]) is None
    assert allowed_columns(["value", "value"], ["value"]) is None  # a hand-edited file: no feature twice
