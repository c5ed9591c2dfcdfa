"""Results as they arrive: a run tells ``on_chunk`` the replications finished so far,
in order, and they are what a run of that many replications gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from atlarge.analysis import national_bands
from atlarge.runs.executors import Executor
from atlarge.runs.replications import run_jobs, run_model
from atlarge.scenario import load_scenario
from tests.conftest import SCENARIOS

SC = load_scenario(SCENARIOS / "operation-at-large.toml", set={"days": 8})


class Shuffled(Executor):
    """Runs every chunk, then hands them back in a given order (as a pool may)."""

    def __init__(self, order: list[int]) -> None:
        self.order = order

    def map(self, fn, jobs, *, ahead=1):
        done = [(key, fn(*args)) for key, args in jobs]
        for i in self.order:
            yield done[i]


@settings(max_examples=15, deadline=None)
@given(data=st.data(), chunk=st.integers(1, 6))
def test_only_the_contiguous_prefix_is_reported(data, chunk):
    """Out of order, a chunk is reported only once every chunk before it is in: the rows
    reported are final, and equal to the run's."""
    from atlarge.model.inputs import build_inputs

    reps = 12
    inputs = build_inputs(SC)
    n_chunks = -(-reps // chunk)
    order = data.draw(st.permutations(range(n_chunks)))
    told: list[tuple[int, dict[str, np.ndarray]]] = []
    out = run_jobs(
        [(inputs, 0, reps)],
        1,
        chunk_size=chunk,
        executor=Shuffled(list(order)),
        timeseries="national",
        on_chunk=lambda n, parts: told.append((n, {k: a[:n].copy() for k, a in parts.items()})),
    )
    ns = [n for n, _ in told]
    assert ns == sorted(set(ns)) and ns[-1] == reps
    landed: set[int] = set()
    expected = []
    for i in order:  # the prefix after each chunk lands
        landed.add(i)
        prefix = next(j for j in range(n_chunks + 1) if j not in landed)
        expected.append(min(prefix * chunk, reps))
    assert ns == sorted(set(n for n in expected if n))
    for n, parts in told:
        for k, a in parts.items():
            assert np.array_equal(a, out[k][:n])


def test_what_is_reported_is_a_run_of_that_many_replications():
    seen = []
    out = run_model(SC, 10, 3, chunk_size=4, on_chunk=lambda o: seen.append(national_bands(o)))
    assert [b["reps"] for b in seen] == [4, 8, 10]
    assert seen[0] == national_bands(run_model(SC, 4, 3))
    unwatched = run_model(SC, 10, 3, chunk_size=4)
    assert out.reduced.keys() == unwatched.reduced.keys()
    for k, a in unwatched.reduced.items():
        assert np.array_equal(out.reduced[k], a)


def test_with_parameter_draws_only_whole_draws_are_reported():
    """A chunk that ends inside a draw reports the draws before it (each draw's
    replications share its parameters, so half a draw would tilt the bands)."""
    sc = load_scenario(SCENARIOS / "operation-at-large.toml", set={"days": 5})
    seen = []
    run_model(
        sc,
        12,
        1,
        chunk_size=5,
        uncertainty_inner=4,
        on_chunk=lambda o: seen.append((o.reps, len(o.draws), o.draw_of_rep.tolist())),
    )
    assert [(n, d) for n, d, _ in seen] == [(4, 1), (8, 2), (12, 3)]
    assert seen[1][2] == [0] * 4 + [1] * 4
    first = run_model(sc, 8, 1, uncertainty_inner=4)
    kept = []
    run_model(sc, 12, 1, chunk_size=5, uncertainty_inner=4, on_chunk=kept.append)
    assert kept[1].drawn_values == first.drawn_values
    assert np.array_equal(kept[1].national("arrests"), first.national("arrests"))
