"""pytest-benchmark timings of the engine, kept out of ``make test``.

Run with ``make bench`` (or ``pytest benchmarks --benchmark-only``). Each
group pairs an engine operation with a reference run in the same process, so
read the ratio between rows, not the absolute times:

* ``binomial``: the engine's counter-based exact sampler against NumPy's own
  sequential ``Generator.binomial`` on the same counts (the price of
  chunk-independent randomness);
* ``daily-step``: ten days of the full model for 100 replications of
  Operation At Large, and the same through the SimPy reference for one
  replication of a small scenario (see ``atlarge bench`` for the full
  comparison).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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


@pytest.mark.benchmark(group="daily-step")
def test_engine_ten_days_100_reps(benchmark):
    sc = load_scenario(ROOT / "scenarios/operation-at-large.toml", set={"days": 10})
    inputs = build_inputs(sc)
    benchmark(run_chunk, inputs, 1, np.arange(100))


@pytest.mark.benchmark(group="daily-step")
def test_reference_ten_days_small_scenario(benchmark):
    sc = load_scenario(ROOT / "tests/scenarios/small-open.toml", set={"days": 10})
    inputs = build_inputs(sc)
    benchmark.pedantic(run_reference, args=(inputs, 1, 1), rounds=3, iterations=1)
