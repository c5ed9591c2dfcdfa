"""Issue 15's speed and memory targets, measured (``make bench`` runs the quick ones).

Each measurement prints one line and, with ``--json FILE``, is written as a record. The
figures in the README's "Speed" section come from this script; run it on a quiet machine
(other jobs slow it down by a factor the numbers cannot show). Nothing here is asserted:
the tests check results, never time.

* ``engine``: seconds per replication of Operation At Large (25 offices, 365 days) at
  ``--reps`` replications in one chunk, one process, compiled path and NumPy path
  (``ATLARGE_COMPILED=0``) in subprocesses, so their ratio is measured on the same
  machine at the same time.
* ``api``: 100 replications of Operation At Large, 365 days, through the HTTP API (FastAPI's
  test client, one worker process), from the POST to the finished job.
* ``scaling``: engine seconds at three replication counts and three horizons (the cost
  should grow linearly in each).
* ``morris``: ``atlarge sensitivity`` with Morris over every ranged parameter of
  Operation At Large (10 trajectories, 20 replications, 2 workers).
* ``memory``: peak resident memory of ``atlarge run`` with 10,000 replications of
  Operation At Large (national time series), in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OAL = ROOT / "scenarios/operation-at-large.toml"
ATLARGE = [str(Path(sys.executable).with_name("atlarge"))]

_ENGINE = """
import sys, time, json
import numpy as np
from atlarge.model.inputs import build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.scenario import load_scenario
reps, days = int(sys.argv[1]), int(sys.argv[2])
inputs = build_inputs(load_scenario(sys.argv[3], set={"days": days}))
run_chunk(inputs, 1, np.arange(2))  # compile and warm caches
t = time.perf_counter()
run_chunk(inputs, 1, np.arange(reps))
print(json.dumps(time.perf_counter() - t))
"""


def _engine_seconds(reps: int, days: int, compiled: bool = True) -> float:
    """Seconds for ``reps`` replications of ``days`` days in one chunk, in a fresh process
    (one thread: the engine is single-threaded per process)."""
    env = dict(os.environ, ATLARGE_COMPILED="1" if compiled else "0", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", _ENGINE, str(reps), str(days), str(OAL)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def engine(reps: int) -> dict:
    compiled = _engine_seconds(reps, 365)
    numpy = _engine_seconds(reps, 365, compiled=False)
    return {
        "what": f"engine, Operation At Large, {reps} reps x 365 days, one chunk, one process",
        "compiled_s_per_rep": compiled / reps,
        "numpy_s_per_rep": numpy / reps,
        "speedup": numpy / compiled,
    }


def scaling() -> dict:
    rows = []
    for reps in (100, 200, 400):
        rows.append({"reps": reps, "days": 365, "seconds": _engine_seconds(reps, 365)})
    for days in (91, 182):
        rows.append({"reps": 200, "days": days, "seconds": _engine_seconds(200, days)})
    return {"what": "engine seconds by replications and days (Operation At Large)", "rows": rows}


def api(reps: int = 100) -> dict:
    from fastapi.testclient import TestClient

    from atlarge.api.app import ApiSettings, create_app

    with TestClient(create_app(ApiSettings(scenarios_dir=ROOT / "scenarios"))) as client:
        body = {"scenario": "operation-at-large", "reps": reps, "seed": 1, "days": 365}
        _wait(client, client.post("/api/runs", json=body | {"reps": 2}).json()["job_id"])  # warm
        t = time.perf_counter()
        job = client.post("/api/runs", json=body).json()
        _wait(client, job["job_id"])
        seconds = time.perf_counter() - t
    return {"what": f"API: {reps} reps of Operation At Large, 365 days", "seconds": seconds}


def _wait(client, job_id: str) -> None:
    while True:
        status = client.get(f"/api/runs/{job_id}").json()
        if status["status"] in ("done", "failed", "cancelled"):
            if status["status"] != "done":
                raise RuntimeError(f"API run ended {status['status']}: {status}")
            return
        time.sleep(0.02)


def _timed_atlarge(*args: str) -> float:
    """Wall seconds of ``atlarge ARGS`` in a child process; ``{tmp}`` in an argument is a
    temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [*ATLARGE, *(a.format(tmp=tmp) for a in args)]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t


def morris() -> dict:
    seconds = _timed_atlarge(
        "sensitivity", str(OAL), "--method", "morris", "--samples", "10", "--reps", "20",
        "--workers", "2", "--db", "{tmp}/m.duckdb", "--out", "{tmp}/morris", "--quiet",
    )  # fmt: skip
    return {
        "what": "Morris, every ranged parameter, 10 trajectories x 20 reps, 2 workers",
        "seconds": seconds,
    }


def memory(reps: int = 10_000) -> dict:
    seconds = _timed_atlarge(
        "run", str(OAL), "--reps", str(reps), "--seed", "1", "--out", "{tmp}/run", "--quiet"
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "what": f"atlarge run, {reps} reps of Operation At Large",
        "seconds": seconds,
        "peak_gb": peak_kb / 1024**2,
    }


MEASURES = {"engine": engine, "scaling": scaling, "api": api, "morris": morris, "memory": memory}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "measures",
        nargs="*",
        default=["engine", "api", "scaling"],
        help=f"which of {', '.join(MEASURES)} (default: engine api scaling)",
    )
    parser.add_argument("--reps", type=int, default=1000, help="replications for `engine`")
    parser.add_argument("--json", type=Path, help="write the records here")
    args = parser.parse_args(argv)
    records = []
    for name in args.measures:
        record = MEASURES[name](args.reps) if name == "engine" else MEASURES[name]()
        records.append({"measure": name, **record})
        print(json.dumps(records[-1]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
