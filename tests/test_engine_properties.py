"""Invariants of the engine's building blocks, for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from atlarge.engine import philox
from atlarge.engine.allocation import (
    _take_oldest_numpy,
    fill_up_to,
    largest_remainder,
    stochastic_round,
    take_oldest,
)
from atlarge.engine.delays import PhaseChains
from atlarge.engine.rng import RandomStreams

counts = arrays(
    np.int64, st.tuples(st.integers(1, 5), st.integers(1, 8)), elements=st.integers(0, 10_000)
)


@settings(deadline=None)  # the first call loads the compiled loop
@given(counts, st.data())
def test_largest_remainder_sums_exactly_and_is_proportional(weights, data):
    total = np.array(
        data.draw(
            st.lists(st.integers(0, 50_000), min_size=weights.shape[0], max_size=weights.shape[0])
        )
    )
    out = largest_remainder(total, weights)
    assert (out >= 0).all()
    has_weight = weights.sum(axis=1) > 0
    assert (out.sum(axis=1)[has_weight] == total[has_weight]).all()
    assert (out[~has_weight] == 0).all()
    share = total[:, None] * weights / np.maximum(weights.sum(axis=1, keepdims=True), 1)
    assert (np.abs(out - share) < 1 + 1e-9).all()
    assert (out[weights == 0] == 0).all()


@settings(deadline=None)
@given(counts, st.data())
def test_fill_up_to_never_exceeds_room(room, data):
    total = np.array(
        data.draw(st.lists(st.integers(0, 100_000), min_size=room.shape[0], max_size=room.shape[0]))
    )
    placed = fill_up_to(total, room)
    assert (placed >= 0).all() and (placed <= room).all()
    assert (placed.sum(axis=1) == np.minimum(total, room.sum(axis=1))).all()


@given(arrays(np.float64, 20, elements=st.floats(0, 1e6)))
def test_stochastic_round_is_floor_or_ceil(x):
    u = np.random.default_rng(0).random(x.shape)
    r = stochastic_round(x, u)
    assert ((r == np.floor(x)) | (r == np.ceil(x))).all()


def _both(f, *args):
    """``f`` with the compiled loops and with the NumPy definitions."""
    saved = philox.COMPILED
    try:
        out = []
        for flag in (True, False):
            philox.COMPILED = flag
            out.append(f(*args))
        return out
    finally:
        philox.COMPILED = saved


def _weights(draw, shape, integer: bool) -> np.ndarray:
    """Weights with zeros, ties and whole zero rows (in both float and integer form)."""
    scale = draw(st.sampled_from([1.0, 0.1, 1 / 3, 1e-300, 1e300 / 64]))
    small = draw(arrays(np.int64, shape, elements=st.integers(0, 4)))  # ties galore
    free = draw(arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    w = np.where(draw(arrays(np.bool_, shape)), small, free)
    w[draw(arrays(np.bool_, shape[:-1]))] = 0.0
    return (small * draw(st.integers(1, 10**6))) if integer else w * scale


_SHAPES = st.lists(st.integers(1, 4), min_size=0, max_size=2).flatmap(
    lambda lead: st.integers(1, 40).map(lambda k: (*lead, k))
)


@settings(max_examples=150, deadline=None)
@given(_SHAPES, st.booleans(), st.data())
def test_compiled_largest_remainder_is_the_numpy_definition(shape, integer, data):
    """Issue 15: the same integers, row for row, including ties (to the lower index),
    zero weights and rows, float shares that do not divide evenly and scalar totals."""
    weights = _weights(data.draw, shape, integer)
    total = data.draw(
        st.one_of(
            arrays(np.int64, shape[:-1], elements=st.integers(0, 10**9)),
            st.integers(0, 10**9).map(np.int64),
        )
    )
    got, want = _both(largest_remainder, total, weights)
    assert got.dtype == want.dtype == np.int64
    assert got.shape == want.shape and np.array_equal(got, want)


@settings(max_examples=150, deadline=None)
@given(_SHAPES, st.data())
def test_compiled_fill_up_to_is_the_numpy_definition(shape, data):
    room = _weights(data.draw, shape, integer=True) - data.draw(st.integers(0, 3))  # some < 0
    total = data.draw(arrays(np.int64, shape[:-1], elements=st.integers(0, 10**8)))
    got, want = _both(fill_up_to, total, room)
    assert got.dtype == want.dtype == np.int64
    assert got.shape == want.shape and np.array_equal(got, want)


chain_specs = st.lists(
    st.tuples(st.integers(1, 4), st.floats(1.0, 120.0)).map(lambda t: (t[0], max(t[1], t[0]))),
    min_size=1,
    max_size=5,
)


@settings(max_examples=40, deadline=None)
@given(chain_specs, st.integers(0, 2**31), st.integers(1, 30))
def test_phase_chains_conserve_counts_and_stay_non_negative(spec, seed, days):
    chains = PhaseChains(means=tuple(m for _, m in spec), phases=tuple(k for k, _ in spec))
    streams = RandomStreams.for_replications(seed, range(3))
    rng = np.random.default_rng(seed)
    stock = rng.integers(0, 500, size=(3, 4, chains.n_slots))
    start = stock.sum(axis=-1)
    left = np.zeros((3, 4), dtype=np.int64)
    for t in range(days):
        done = chains.step(stock, chains.exit_probability(), streams, t, 1)
        assert (stock >= 0).all() and (done >= 0).all()
        left += done.sum(axis=-1)
        assert (stock.sum(axis=-1) + left == start).all()


def test_phase_chain_delay_has_the_stated_mean():
    chains = PhaseChains(means=(20.0,), phases=(2,))
    streams = RandomStreams.for_replications(3, range(50))
    stock = np.zeros((50, 1, 2), dtype=np.int64)
    stock[..., 0] = 2000
    total_days = np.zeros(50)
    for t in range(400):
        done = chains.step(stock, chains.exit_probability(), streams, t, 1)
        total_days += done[:, 0, 0] * (t + 1)
    assert stock.sum() == 0 or stock.sum() < 5
    assert abs(total_days.sum() / (50 * 2000) - 20.0) < 0.3


def test_steady_state_split_follows_littles_law():
    chains = PhaseChains(means=(10.0, 30.0), phases=(1, 3))
    split = chains.steady_state_split(np.array([0.5, 0.5]))
    assert np.allclose(split, [10, 10, 10, 10] / np.float64(40))


@settings(max_examples=200, deadline=None)
@given(
    ring=arrays(
        np.int64,
        st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 12)),
        elements=st.integers(0, 50),
    ),
    data=st.data(),
)
def test_take_oldest_takes_oldest_first_and_matches_its_definition(ring, data):
    """What leaves a ring buffer is ``cleared`` per row, from the oldest slot on; the
    compiled walk equals the NumPy definition."""
    oldest = data.draw(st.integers(0, ring.shape[-1] - 1))
    totals = ring.sum(axis=-1)
    cleared = np.vectorize(lambda m: data.draw(st.integers(0, int(m))))(totals).astype(np.int64)
    compiled, reference = ring.copy(), ring.copy()
    take_oldest(compiled, cleared, oldest)
    _take_oldest_numpy(reference, cleared, oldest)
    np.testing.assert_array_equal(compiled, reference)
    assert (compiled >= 0).all()
    np.testing.assert_array_equal(ring.sum(axis=-1) - compiled.sum(axis=-1), cleared)
    order = (oldest + np.arange(ring.shape[-1])) % ring.shape[-1]
    gave = (ring - compiled)[..., order]
    left = compiled[..., order]
    # a slot gives only once every older slot is empty
    for idx in np.ndindex(ring.shape[:-1]):
        first_left = np.flatnonzero(left[idx])
        if first_left.size:
            assert not gave[idx][first_left[0] + 1 :].any()
