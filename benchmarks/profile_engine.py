"""Profile the engine on the 3,000 arrests/day bench case (``make profile``).

Prints pyinstrument's call tree and cProfile's top entries by own time, for
100 replications x 365 days x 25 offices in one process.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from pathlib import Path

from pyinstrument import Profiler

from atlarge.model.inputs import build_inputs
from atlarge.model.simulate import run_replications
from atlarge.reference.bench import case_overrides
from atlarge.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main(reps: int = 100) -> None:
    sc = load_scenario(ROOT / "scenarios/baseline-2024.toml", set=case_overrides(3000, 365))
    inputs = build_inputs(sc)
    prof = Profiler(interval=0.005)
    prof.start()
    run_replications(inputs, 1, reps, chunk_size=reps)
    prof.stop()
    print(prof.output_text(unicode=False, color=False))
    cprof = cProfile.Profile()
    cprof.enable()
    run_replications(inputs, 1, reps, chunk_size=reps)
    cprof.disable()
    out = io.StringIO()
    pstats.Stats(cprof, stream=out).sort_stats("tottime").print_stats(8)
    print(out.getvalue())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
