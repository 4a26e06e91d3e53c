"""Can anything beat 24-hour persistence by 10% on the Jena 2020 stand-in? A ceiling check for accuracy case (c).

    RNNKIT_DATA_DIR=../shared/data python bench/jena_ceiling.py [--seeds 2] [--quick]

Same data and targets as case (c) of bench/accuracy.py: the Jena file resampled
hourly, temperature 24 hours after the last of 120 hourly inputs. Every
competitor is scored on exactly the test targets of rnnkit's comparison, in °C,
on two splits of the same year:

  issue split       70/15/15 of the rows: train Jan–Sep, validate Sep–Nov, test Nov–Dec
                    (the split the accuracy target is set on);
  autumn split      the first 85% only, cut 55/15/15: train Jan–Jul, validate Jul–Sep,
                    test Sep–Nov (a second test period, before the calm November–December).

Competitors, side by side in one run:
  persistence       the temperature 24 hours earlier (rnnkit's naive baseline);
  shrink-to-mean    persistence pulled toward the last 24 hours' mean, the pull chosen on validation;
  ridge             ridge on hand-made trend features (changes over 1–48 h, pressure tendency,
                    humidity, wind, hour of day), predicting the change, alpha chosen on validation;
  boosting          scikit-learn's HistGradientBoostingRegressor (absolute error) on the same features;
  rnnkit models     jena_gru (Chollet's GRU(32), 14 variables) and a residual GRU(32) with dropout on
                    temperature and the hour of day (the best recurrent setting found for this file).

It also records, per part of the issue split, the persistence MAE and the mean
24-hour change, and runs a third check on the tabular learners: leave one
period out (the year in 8 blocks; train on the other 7, minus 5 days on each
side of the held-out block), which shows how each period fares when training
covers every other season.
Writes bench/results/jena_ceiling.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]

from rnnkit.compare import ComparisonResult, compare  # noqa: E402
from rnnkit.data.calendar import with_calendar_features  # noqa: E402
from rnnkit.data.cleaning import CleaningOptions  # noqa: E402
from rnnkit.data.series import TimeSeries  # noqa: E402
from rnnkit.datasets.builtin import load_dataset  # noqa: E402
from rnnkit.models.presets import PRESETS  # noqa: E402
from rnnkit.models.spec import ModelSpec  # noqa: E402
from rnnkit.splits import SplitSpec  # noqa: E402
from rnnkit.training import TrainingConfig  # noqa: E402
from rnnkit.windows.spec import WindowSpec  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "jena_ceiling.json"
TARGET = "T (degC)"
AHEAD = 24
WINDOW = WindowSpec(lookback=120, delay=AHEAD - 1)
RESIDUAL_GRU = ModelSpec("gru32_residual_hour", cell="gru", units=(32,), residual=True,
                         input_dropout=0.2, recurrent_dropout=0.2,
                         description="GRU(32) with dropout on temperature + hour of day, learning the change.")
TRAINING = TrainingConfig(epochs=25, batch_size=64, learning_rate=1e-3, patience=5, loss="mae")


def trend_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Hand-made inputs known at each hour: recent changes, pressure tendency, weather, hour of day."""
    temperature = frame[TARGET]
    pressure = frame["p (mbar)"]
    features = {f"dT{lag}": temperature - temperature.shift(lag) for lag in (1, 2, 3, 6, 12, 24, 48)}
    features["T_minus_mean24"] = temperature - temperature.rolling(24).mean()
    features |= {f"dp{lag}": pressure - pressure.shift(lag) for lag in (3, 6, 12, 24)}
    for column in ("p (mbar)", "rh (%)", "wv (m/s)", "VPdef (mbar)", "sh (g/kg)"):
        features[column] = frame[column]
    angle = 2 * np.pi * wind_direction_turns(frame)
    features["wind_sin"], features["wind_cos"] = np.sin(angle), np.cos(angle)
    hour = 2 * np.pi * frame.index.hour / 24
    features["hour_sin"], features["hour_cos"] = np.sin(hour), np.cos(hour)
    return pd.DataFrame(features, index=frame.index)


def wind_direction_turns(frame: pd.DataFrame) -> np.ndarray:
    """Wind direction as a fraction of the circle (0–1)."""
    return frame["wd (deg)"].to_numpy() / 360.0


def split_rows(result: ComparisonResult, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Origin hours (last input) whose 24-hour-ahead target lies in each part, as the comparison cut them."""
    position = pd.Series(np.arange(len(frame)), index=frame.index)
    test_targets = position[result.test_times].to_numpy()  # test_times are the target times
    train_end, val_end = position[result.boundaries["train_end"]], position[result.boundaries["val_end"]]
    origins = np.arange(48, len(frame) - AHEAD)
    targets = origins + AHEAD
    return {"train": origins[targets <= train_end],
            "val": origins[(targets > train_end) & (targets <= val_end)],
            "test": test_targets - AHEAD}


def tabular_scores(frame: pd.DataFrame, rows: dict[str, np.ndarray]) -> dict[str, float]:
    """Persistence, shrink-to-mean, ridge and boosting MAE on the test hours."""
    temperature = frame[TARGET].to_numpy()
    change = np.roll(temperature, -AHEAD) - temperature  # target minus persistence, per origin hour
    features = trend_features(frame).to_numpy()
    mean24 = frame[TARGET].rolling(24).mean().to_numpy()

    def mae(rows_: np.ndarray, predicted_change: np.ndarray) -> float:
        return float(np.mean(np.abs(predicted_change - change[rows_])))

    train, val, test = rows["train"], rows["val"], rows["test"]
    scores = {"persistence": mae(test, np.zeros(len(test)))}
    pull = min(np.linspace(0, 1, 21), key=lambda a: mae(val, a * (mean24[val] - temperature[val])))
    scores["shrink-to-mean"] = mae(test, pull * (mean24[test] - temperature[test]))
    ridges = [make_pipeline(StandardScaler(), Ridge(alpha=a)).fit(features[train], change[train])
              for a in np.logspace(-1, 5, 7)]
    ridge = min(ridges, key=lambda m: mae(val, m.predict(features[val])))
    scores["ridge"] = mae(test, ridge.predict(features[test]))
    boosting = HistGradientBoostingRegressor(loss="absolute_error", max_iter=400, learning_rate=0.05,
                                             random_state=0).fit(features[train], change[train])
    scores["boosting"] = mae(test, boosting.predict(features[test]))
    return scores


def part_stats(frame: pd.DataFrame, rows: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per part: persistence MAE and mean 24-hour change, and the dates its targets span."""
    temperature = frame[TARGET].to_numpy()
    change = np.roll(temperature, -AHEAD) - temperature
    out = {}
    for name, rows_ in rows.items():
        if len(rows_):
            times = frame.index[rows_ + AHEAD]
            out[name] = {"persistence_mae": round(float(np.mean(np.abs(change[rows_]))), 3),
                         "mean_change": round(float(np.mean(change[rows_])), 3),
                         "from": str(times.min().date()), "to": str(times.max().date())}
    return out


def leave_one_period_out(frame: pd.DataFrame, blocks: int = 8) -> list[dict]:
    """Persistence, ridge and boosting MAE on each block of the year, trained on all the others."""
    temperature = frame[TARGET].to_numpy()
    change = np.roll(temperature, -AHEAD) - temperature
    features = trend_features(frame).to_numpy()
    origins = np.arange(48, len(frame) - AHEAD)
    purge = WINDOW.lookback + AHEAD
    out = []
    for held_out in np.array_split(origins, blocks):
        train = origins[(origins < held_out.min() - purge) | (origins > held_out.max() + purge)]
        ridge = make_pipeline(StandardScaler(), Ridge(alpha=100.0)).fit(features[train], change[train])
        boosting = HistGradientBoostingRegressor(loss="absolute_error", max_iter=400, learning_rate=0.05,
                                                 random_state=0).fit(features[train], change[train])
        scores = {"persistence": float(np.mean(np.abs(change[held_out])))}
        for name, model in (("ridge", ridge), ("boosting", boosting)):
            scores[name] = float(np.mean(np.abs(model.predict(features[held_out]) - change[held_out])))
        out.append({"from": str(frame.index[held_out.min() + AHEAD].date()),
                    "to": str(frame.index[held_out.max() + AHEAD].date()),
                    "mae": {k: round(v, 3) for k, v in scores.items()},
                    "boosting_skill_pct": round(100 * (1 - scores["boosting"] / scores["persistence"]), 1)})
    return out


def run_split(label: str, series: TimeSeries, split: SplitSpec, seeds: list[int], training: TrainingConfig) -> dict:
    """Every competitor on one split; recurrent models over seeds."""
    print(f"{label}", flush=True)
    recurrent: dict[str, list[float]] = {}
    result = None
    variants = ((series, [PRESETS["jena_gru"]]),
                (with_calendar_features(series.with_columns(TARGET, ()), ("hour",)), [RESIDUAL_GRU]))
    for seed in seeds:
        for variant, specs in variants:
            started = time.perf_counter()
            result = compare(variant, WINDOW, specs, split, replace(training, seed=seed))
            for spec in specs:
                recurrent.setdefault(spec.name, []).append(float(result.metrics.loc[spec.name, "mae"]))
            print(f"  {', '.join(s.name for s in specs)} seed {seed}: {time.perf_counter() - started:.0f} s",
                  flush=True)
    rows = split_rows(result, series.frame)
    tabular = tabular_scores(series.frame, rows)
    naive = float(result.metrics.loc["naive", "mae"])
    assert abs(naive - tabular["persistence"]) < 1e-3, (naive, tabular["persistence"])  # same test targets
    mae = {name: {"mean": float(np.mean(v)), "std": float(np.std(v))} for name, v in recurrent.items()}
    mae |= {name: {"mean": v, "std": 0.0} for name, v in tabular.items()}
    skill = {name: round(100 * (1 - v["mean"] / tabular["persistence"]), 2) for name, v in mae.items()}
    return {"mae": mae, "skill_vs_persistence_pct": skill, "parts": part_stats(series.frame, rows),
            "test_targets": int(len(rows["test"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs: a smoke test, not a result")
    args = parser.parse_args()
    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    training = replace(TRAINING, epochs=2) if args.quick else TRAINING
    started = time.perf_counter()
    jena = load_dataset("jena", options=CleaningOptions(resample="1h"))
    series = jena.series
    autumn = replace(series, frame=series.frame.iloc[: int(round(0.85 * len(series)))])
    splits = {
        "issue split": run_split("issue split (test Nov–Dec)", series, SplitSpec(0.7, 0.15), seeds, training),
        "autumn split": run_split("autumn split (test Sep–Nov)", autumn,
                                     SplitSpec(0.55 / 0.85, 0.15 / 0.85), seeds, training),
    }
    print("leave one period out (tabular learners)", flush=True)
    periods = leave_one_period_out(series.frame)
    results = {"data": jena.label, "splits": splits, "leave_one_period_out": periods, "seeds": seeds,
               "quick": args.quick,
               "seconds": round(time.perf_counter() - started, 1),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "device": "CPU"}}
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    names = list(splits["issue split"]["mae"])
    print(f"\n{'competitor':<22}" + "".join(f"{label:>30}" for label in splits))
    for name in names:
        cells = [f"{s['mae'][name]['mean']:.3f} °C ({s['skill_vs_persistence_pct'][name]:+.1f}%)"
                 for s in splits.values()]
        print(f"{name:<22}" + "".join(f"{c:>30}" for c in cells))
    for label, s in splits.items():
        print(f"{label}: " + "; ".join(f"{p} {v['from']}→{v['to']} persistence MAE {v['persistence_mae']}, "
                                       f"mean change {v['mean_change']:+.2f}" for p, v in s["parts"].items()))
    print("leave one period out, boosting skill vs persistence: " + "; ".join(
        f"{p['from']}→{p['to']} {p['boosting_skill_pct']:+.1f}%" for p in periods))
    print(f"total {results['seconds']:.0f} s" + ("" if args.quick else "; wrote bench/results/jena_ceiling.json"))


if __name__ == "__main__":
    main()
