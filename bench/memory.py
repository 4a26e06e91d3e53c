"""Peak memory per MB of input when reading hostile and ordinary files.

Each case runs in its own subprocess (Linux): the child imports rnnkit, resets
its peak resident size (``VmHWM``, through ``/proc/self/clear_refs``), loads
the file with ``load_series`` and reports how far the peak rose above the size
it had before. Writes ``bench/results/memory.json``.

    python bench/memory.py            # under a minute on one core
"""

from __future__ import annotations

import io
import json
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "memory.json"

_CHILD = """
import re, sys, time
from rnnkit.data.series import load_series
from rnnkit.errors import RnnkitError

def kilobytes(field):
    return int(re.search(field + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current size, after imports
before = kilobytes("VmRSS")
start = time.perf_counter()
try:
    with open(sys.argv[1], "rb") as handle:
        series = load_series(handle)
    outcome = f"loaded {len(series)} rows"
except RnnkitError as error:
    outcome = f"{type(error).__name__}: {error.problem}"
print(f"{(kilobytes('VmHWM') - before) / 1024:.1f}\\t{time.perf_counter() - start:.2f}\\t{outcome}")
"""


def dense_csv(rows: int) -> bytes:
    """A 10-minute series with six float columns, like a weather station export."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 6)).round(4), columns=[f"v{i}" for i in range(6)])
    frame.insert(0, "time", pd.date_range("2000-01-01", periods=rows, freq="10min").strftime("%Y-%m-%d %H:%M:%S"))
    return frame.to_csv(index=False).encode()


def wide_header(columns: int, rows: int) -> bytes:
    """Far more columns than the limit: the header alone decides."""
    header = "time," + ",".join(f"c{i}" for i in range(columns))
    line = "2020-01-01," + ",".join(["1.5"] * columns)
    return ("\n".join([header] + [line] * rows) + "\n").encode()


def zip_of_rows(rows: int) -> bytes:
    """A small zip whose one CSV holds more rows than the limit."""
    body = "time,value\n" + "2020-01-01 00:00:00,1.0\n" * rows
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rows.csv", body)
    return buffer.getvalue()


CASES = {
    "dense_csv": lambda: dense_csv(400_000),
    "wide_header": lambda: wide_header(10_001, 1_000),
    "zip_of_rows": lambda: zip_of_rows(2_100_000),
}


def measure(name: str, data: bytes, folder: Path) -> dict[str, object]:
    path = folder / name
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    peak, seconds, outcome = done.stdout.strip().splitlines()[-1].split("\t", 2)
    megabytes = len(data) / 1_048_576
    return {"case": name, "input_mb": round(megabytes, 2), "peak_extra_mb": float(peak),
            "mb_per_input_mb": round(float(peak) / megabytes, 2), "seconds": float(seconds), "outcome": outcome}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, build in CASES.items():
            rows.append(measure(name, build(), Path(folder)))
            r = rows[-1]
            print(f"{r['case']:12} {r['input_mb']:7.1f} MB in  {r['peak_extra_mb']:8.1f} MB peak  "
                  f"{r['mb_per_input_mb']:6.2f} MB/MB  {r['seconds']:5.1f} s  {r['outcome']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
                                   "pandas": pd.__version__, "cases": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
