"""pytest-benchmark timings of the engine, kept out of ``make test``.

Run with ``make bench`` (or ``pytest benchmarks --benchmark-only``). Each
group pairs an engine operation with a reference run in the same process, so
read the ratio between rows, not the absolute times:

* ``binomial``: the engine's counter-based exact sampler against NumPy's own
  sequential ``Generator.binomial`` on the same counts (the price of
  chunk-independent randomness);
* ``daily-step``: thirty days of a small three-office scenario
  (tests/scenarios/small-open.toml), 100 replications through the engine and
  one through the SimPy reference: the per-replication ratio is the
  reference's time divided by one hundredth of the engine's (``atlarge
  bench`` makes the full-size comparison);
* ``compiled``: the same thirty days with the compiled kernels and with the
  NumPy definitions (``ATLARGE_COMPILED=0``), which give identical results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from atlarge.engine import philox
from atlarge.engine.rng import RandomStreams
from atlarge.engine.samplers import binomial
from atlarge.model.inputs import build_inputs
from atlarge.model.simulate import run_chunk
from atlarge.reference import run_reference
from atlarge.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
N = RNG.integers(0, 5000, size=(100, 25, 12))
P = RNG.uniform(0.0, 0.2, size=N.shape)


@pytest.mark.benchmark(group="binomial")
def test_engine_binomial(benchmark):
    streams = RandomStreams.for_replications(1, range(100))
    benchmark(binomial, streams, N, P, 0, 1)


@pytest.mark.benchmark(group="binomial")
def test_numpy_binomial_reference(benchmark):
    gen = np.random.default_rng(1)
    benchmark(gen.binomial, N, P)


SMALL = ROOT / "tests/scenarios/small-open.toml"


@pytest.mark.benchmark(group="daily-step")
def test_engine_30_days_100_reps(benchmark):
    inputs = build_inputs(load_scenario(SMALL, set={"days": 30}))
    benchmark(run_chunk, inputs, 1, np.arange(100))


@pytest.mark.benchmark(group="daily-step")
def test_reference_30_days_1_rep(benchmark):
    inputs = build_inputs(load_scenario(SMALL, set={"days": 30}))
    benchmark.pedantic(run_reference, args=(inputs, 1, 1), rounds=3, iterations=1)


@pytest.mark.benchmark(group="compiled")
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_engine_30_days_compiled_or_not(benchmark, monkeypatch, compiled):
    monkeypatch.setattr(philox, "COMPILED", compiled)
    monkeypatch.setattr(philox, "pairs", philox.pairs_compiled if compiled else philox.pairs_numpy)
    inputs = build_inputs(load_scenario(SMALL, set={"days": 30}))
    run_chunk(inputs, 1, np.arange(100))  # the kernels load (or compile) outside the timing
    benchmark.pedantic(run_chunk, args=(inputs, 1, np.arange(100)), rounds=3, iterations=1)
