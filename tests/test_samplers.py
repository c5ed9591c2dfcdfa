"""Binomial and multinomial draws have the right distribution and are chunk-independent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from atlarge.engine.rng import RandomStreams, replication_generator
from atlarge.engine.samplers import binomial, multinomial


def _chi2_pvalue(x: np.ndarray, n: int, p: float) -> float:
    """Chi-square goodness of fit against Binomial(n, p), pooling cells below 20 expected."""
    support = np.arange(n + 1)
    expected = stats.binom.pmf(support, n, p) * x.size
    observed = np.bincount(x, minlength=n + 1)
    keep = expected >= 20
    obs, exp = observed[keep], expected[keep]
    if (~keep).any():
        obs = np.r_[obs, observed[~keep].sum()]
        exp = np.r_[exp, expected[~keep].sum()]
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (1, 0.5),  # Bernoulli, inversion
        (5, 0.3),  # inversion
        (40, 0.2),  # inversion (mean 8)
        (60, 0.15),  # inversion (mean 9 < 10), next to the boundary with rejection
        (100, 0.12),  # rejection (BTRS)
        (1000, 0.5),  # rejection, symmetric
        (30, 0.9),  # symmetry: n - Binomial(n, 0.1)
        (400, 0.97),  # symmetry into rejection
    ],
)
def test_binomial_matches_the_binomial_distribution(n, p):
    # 100,000 draws per case; the test fails at the 0.1% level, so across the
    # eight cases a false alarm has probability below 1% for a correct sampler.
    streams = RandomStreams.for_replications(12345, range(500))
    x = binomial(streams, np.full((500, 200), n), p, step=7, stream=3).ravel()
    assert x.min() >= 0 and x.max() <= n
    assert _chi2_pvalue(x, n, p) > 1e-3
    # The first two moments within 5 standard errors.
    se_mean = np.sqrt(n * p * (1 - p) / x.size)
    assert abs(x.mean() - n * p) < 5 * se_mean + 1e-12


def test_binomial_large_n_mean_and_variance():
    n, p = 2_000_000, 0.3
    streams = RandomStreams.for_replications(1, range(1000))
    x = binomial(streams, np.full((1000, 50), n), p, step=0, stream=0).ravel()
    var = n * p * (1 - p)
    assert abs(x.mean() - n * p) < 5 * np.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 0.05


def test_binomial_edge_cases():
    streams = RandomStreams.for_replications(0, range(3))
    n = np.array([[0, 5, 5, 7], [3, 0, 9, 1], [10, 10, 0, 2]])
    assert (binomial(streams, n, 0.0, 0, 0) == 0).all()
    assert (binomial(streams, n, 1.0, 0, 0) == n).all()
    p = np.array([0.0, 1.0, 0.5, 0.2])
    x = binomial(streams, n, p, 0, 0)
    assert (x[:, 0] == 0).all() and (x[:, 1] == n[:, 1]).all()
    with pytest.raises(ValueError):
        binomial(streams, -n, 0.5, 0, 0)
    with pytest.raises(ValueError):
        binomial(streams, n, 1.5, 0, 0)


def test_distinct_streams_steps_and_substreams_are_independent():
    streams = RandomStreams.for_replications(9, range(200))
    n = np.full((200, 100), 1000)
    a = binomial(streams, n, 0.3, step=1, stream=1).ravel()
    b = binomial(streams, n, 0.3, step=2, stream=1).ravel()
    c = binomial(streams, n, 0.3, step=1, stream=2).ravel()
    d = binomial(streams, n, 0.3, step=1, stream=1, substream=1).ravel()
    for other in (b, c, d):
        assert not np.array_equal(a, other)
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.02


@settings(max_examples=30, deadline=None)
@given(
    reps=st.integers(1, 12),
    cut=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 5000),
    p=st.floats(0.0, 1.0),
)
def test_draws_do_not_depend_on_which_replications_share_the_array(reps, cut, seed, n, p):
    cut = min(cut, reps)
    whole = binomial(
        RandomStreams.for_replications(seed, range(reps)), np.full((reps, 6), n), p, 4, 2
    )
    parts = [
        binomial(RandomStreams.for_replications(seed, idx), np.full((len(idx), 6), n), p, 4, 2)
        for idx in (range(cut), range(cut, reps))
        if len(idx)
    ]
    assert np.array_equal(whole, np.concatenate(parts))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 100_000),
    probs=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6).filter(lambda v: sum(v) > 0),
)
def test_multinomial_conserves_counts(n, probs):
    probs = np.array(probs) / np.sum(probs)
    streams = RandomStreams.for_replications(5, range(4))
    x = multinomial(streams, np.full((4, 3), n), probs, step=0, stream=1)
    assert (x >= 0).all()
    assert (x.sum(axis=-1) == n).all()
    assert (x[..., probs == 0] == 0).all()


def test_multinomial_shares():
    streams = RandomStreams.for_replications(2, range(400))
    probs = np.array([0.7, 0.12, 0.05, 0.03, 0.1])
    x = multinomial(streams, np.full((400, 25), 1000), probs, step=3, stream=4)
    share = x.sum(axis=(0, 1)) / x.sum()
    assert np.allclose(share, probs, atol=0.002)


def test_replication_generator_is_the_seedsequence_child():
    a = replication_generator(7, 3).random(3)
    child = np.random.SeedSequence(7).spawn(4)[3]
    b = np.random.Generator(np.random.Philox(child)).random(3)
    assert np.array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(
    n=st.lists(st.integers(0, 200), min_size=1, max_size=30),
    p=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**31),
)
def test_the_compiled_walk_up_the_cdf_is_the_numpy_walk(n, p, seed):
    """Issue 15: BINV's compiled walk gives the very same counts (and the same redraws past
    the bound) as the readable NumPy walk, for any uniforms."""
    from atlarge.engine.samplers import _walk_compiled, _walk_numpy

    n = np.array(n, dtype=np.float64)
    q = 1.0 - p
    s = np.full(n.size, p / q if q > 0 else 0.0)
    a = (n + 1) * s
    bound = np.minimum(n, np.floor(n * p + 10.0 * np.sqrt(n * p * q + 1.0))).astype(np.int64)
    r = np.exp(n * np.log1p(-p))
    u = np.random.default_rng(seed).random(n.size)
    u[::5] = 1.0 - 1e-16  # far in the tail: redrawn past the bound
    want = _walk_numpy(u, r.copy(), a, s, bound)
    got = _walk_compiled(u, r.copy(), a, s, bound)
    assert np.array_equal(want, got)
