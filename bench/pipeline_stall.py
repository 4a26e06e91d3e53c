"""Two trainings side by side in the process pool: Keras' input pipeline against rnnkit's, in one run.

Why: tf.data's autotuning, which Keras' pipelines leave on, runs a timer thread whose
wait doubles up to seconds; an iterator dropped at an epoch's end waits for it. With
two workers on two cores that left one training idle for seconds (seen with strace).
This runs the same Jena-sized training (``tuned_gru`` of bench/throughput.py's case (a),
two epochs) twice at once on the two-worker pool, alternating the pipeline each round,
and records each training's wall and CPU time: a stall shows as wall time well above
CPU time. Writes bench/results/pipeline_stall.json.

    RNNKIT_DATA_DIR=../shared/data python bench/pipeline_stall.py --rounds 6
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
# this script's folder is on its own path (python bench/pipeline_stall.py); the pool's workers need it too
os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])

import _pipelines  # noqa: E402
import throughput  # noqa: E402

from rnnkit.plan import plan_comparison  # noqa: E402

MODEL = "tuned_gru"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per pipeline (each: two trainings at once)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rnnkit-bench-stall-"))
    request, series, _, source = throughput.big_request(folder)
    task = next(t for t in plan_comparison(request).model_tasks(str(folder), keep_model=False) if t.label == MODEL)
    pool = throughput.process_pool()
    throughput.warm(pool, folder)
    time.sleep(5)
    functions = {"keras": _pipelines.keras_training, "rnnkit": _pipelines.rnnkit_training}
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in functions}
    began = time.perf_counter()
    for i in range(2 * args.rounds):
        name = list(functions)[i % 2] if (i // 2) % 2 == 0 else list(functions)[1 - i % 2]  # ABBA order
        start = time.perf_counter()
        pair = [f.result() for f in [pool.submit(functions[name], task) for _ in range(2)]]
        wall = time.perf_counter() - start
        idle = [round(p["wall_s"] - p["cpu_s"], 2) for p in pair]
        rounds[name].append({"pair_wall_s": round(wall, 2), "wall_s": [round(p["wall_s"], 2) for p in pair],
                             "cpu_s": [round(p["cpu_s"], 2) for p in pair], "waiting_s": idle})
        print(f"  {name:6} pair {wall:5.2f} s, each {[round(p['wall_s'], 2) for p in pair]} s wall, "
              f"{idle} s without CPU", flush=True)
    pool.shutdown()
    summary = {}
    for name, runs in rounds.items():
        waits = [w for r in runs for w in r["waiting_s"]]
        summary[name] = {"median_pair_wall_s": round(median(r["pair_wall_s"] for r in runs), 2),
                         "worst_pair_wall_s": max(r["pair_wall_s"] for r in runs),
                         "median_waiting_s": round(median(waits), 2), "worst_waiting_s": max(waits),
                         "trainings_waiting_over_1s": sum(w > 1 for w in waits), "trainings": len(waits)}
    result = {"data": source, "rows": len(series), "model": MODEL, "epochs": request.training.epochs,
              "workers": throughput.WORKERS, "rounds": rounds, "summary": summary,
              "pair_speedup_median": round(summary["keras"]["median_pair_wall_s"]
                                           / summary["rnnkit"]["median_pair_wall_s"], 2),
              "bench_seconds": round(time.perf_counter() - began)}
    out = HERE / "results" / "pipeline_stall.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for name, s in summary.items():
        print(f"{name:6} median pair {s['median_pair_wall_s']} s (worst {s['worst_pair_wall_s']} s); "
              f"{s['trainings_waiting_over_1s']} of {s['trainings']} trainings waited over 1 s without CPU "
              f"(worst {s['worst_waiting_s']} s)")
    print(f"rnnkit's pipeline: pairs {result['pair_speedup_median']}× faster (median); wrote {out}")


if __name__ == "__main__":
    main()
