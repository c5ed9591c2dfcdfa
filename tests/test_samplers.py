"""Binomial and multinomial draws have the right distribution and are chunk-independent."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy import stats
from scipy.special import gammaln

from atlarge.engine import philox
from atlarge.engine.rng import RandomStreams, replication_generator
from atlarge.engine.samplers import (
    _binomial_compiled,
    _binomial_numpy,
    _gammaln,
    _numpy_log,
    _numpy_pmf0,
    binomial,
    multinomial,
)


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


@contextmanager
def _compiled(flag: bool):
    """Select the compiled kernels or the NumPy definitions for the block."""
    saved = philox.COMPILED
    philox.COMPILED = flag
    try:
        yield
    finally:
        philox.COMPILED = saved


def _both(f, *args, **kwargs):
    """``f`` run with the compiled kernels and with the NumPy definitions."""
    out = []
    for flag in (True, False):
        with _compiled(flag):
            out.append(f(*args, **kwargs))
    return out


_SPECIAL_P = st.sampled_from([0.0, 1.0, 1e-12, 1e-7, 0.5, 0.5 - 1e-12, 0.5 + 1e-12, 1 - 1e-9])
_P = st.one_of(st.floats(0.0, 1.0), _SPECIAL_P)
_REPS = st.lists(st.integers(0, 300), min_size=1, max_size=6, unique=True)


@settings(max_examples=80, deadline=None)
@given(
    reps=_REPS,
    inner=st.lists(st.integers(1, 4), max_size=2),
    seed=st.integers(0, 2**32 - 1),
    magnitude=st.integers(0, 7),
    p=st.one_of(_P, st.lists(_P, min_size=1, max_size=4)),
    step=st.integers(0, 2**33),
    stream=st.integers(0, 40),
    substream=st.integers(0, 2**16 - 1),
    data=st.data(),
)
def test_the_compiled_binomial_draws_the_numpy_definitions_counts(
    reps, inner, seed, magnitude, p, step, stream, substream, data
):
    """Issue 15: element for element the same counts, both algorithms (BINV and BTRS, n up
    to 10^7), the symmetry flip, p at 0 and 1, any replication indices (not contiguous)."""
    shape = (len(reps), *inner)
    size = int(np.prod(shape))
    n = np.array(data.draw(st.lists(st.integers(0, 10**magnitude), min_size=size, max_size=size)))
    n = n.reshape(shape)
    p = np.resize(np.array(p, dtype=np.float64), shape)
    streams = RandomStreams.for_replications(seed, reps)
    got, want = _both(binomial, streams, n, p, step, stream, substream)
    assert got.dtype == want.dtype == np.int64
    assert np.array_equal(got, want)


def test_the_compiled_binomial_agrees_over_many_btrs_rejections():
    """Many draws in the rejection range, p across (0, 1): every acceptance test (squeeze,
    exact log-factorials, rejections and redraws) decides alike."""
    rng = np.random.default_rng(11)
    streams = RandomStreams.for_replications(3, np.arange(0, 400, 2))
    n = rng.integers(10, 10**7, size=(200, 60)) // rng.integers(1, 1000, size=(200, 60))
    p = rng.uniform(0.0, 1.0, size=n.shape)
    p[:, ::7] = rng.uniform(0.45, 0.55, size=p[:, ::7].shape)
    got, want = _both(binomial, streams, n, p, 9, 4, 2)
    assert np.array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 10**7),
    probs=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).filter(lambda v: sum(v) > 0),
    per_row=st.booleans(),
    reps=_REPS,
    step=st.integers(0, 1000),
)
def test_the_compiled_multinomial_is_the_numpy_definitions(n, probs, per_row, reps, step):
    """Issue 15: one kernel for the K - 1 conditional binomials draws the same counts, with
    shares that are zero, shared by all rows or different in every row."""
    probs = np.array(probs) / np.sum(probs)
    if per_row:  # each row its own shares (a permutation of the same ones)
        probs = np.array([np.roll(probs, i) for i in range(len(reps))])[:, None, :]
    streams = RandomStreams.for_replications(5, reps)
    counts = np.arange(len(reps) * 3).reshape(len(reps), 3) * n // max(len(reps) * 3 - 1, 1)
    got, want = _both(multinomial, streams, counts, probs, step, 6)
    assert got.shape == want.shape == (len(reps), 3, probs.shape[-1])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("flag", [True, False])
def test_both_multinomials_refuse_bad_arguments(flag):
    streams = RandomStreams.for_replications(0, range(2))
    n = np.full((2, 3), 10)
    with _compiled(flag):
        with pytest.raises(ValueError):
            multinomial(streams, -n, np.array([0.5, 0.5]), 0, 0)
        with pytest.raises(ValueError):
            multinomial(streams, n, np.array([np.nan, 0.5, 0.5]), 0, 0)
        with pytest.raises(ValueError):
            multinomial(streams, np.full((3, 3), 10), np.array([0.5, 0.5]), 0, 0)


@pytest.mark.parametrize("flag", [True, False])
def test_both_paths_refuse_bad_arguments(flag):
    streams = RandomStreams.for_replications(0, range(2))
    n = np.full((2, 3), 10)
    with _compiled(flag):
        for bad_n, bad_p in ((-n, 0.5), (n, 1.5), (n, -0.1), (n, np.nan)):
            with pytest.raises(ValueError):
                binomial(streams, bad_n, bad_p, 0, 0)
        with pytest.raises(ValueError):
            binomial(streams, n, 0.5, 0, 0, substream=1 << 16)
        with pytest.raises(ValueError):
            binomial(streams, np.full((3, 3), 10), 0.5, 0, 0)


def test_the_kernels_gammaln_is_scipys_bit_for_bit():
    """The compiled sampler links SciPy's own gammaln: the same bits over the whole range
    BTRS uses (integers up to 10^7 + 1) and far beyond."""
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            np.arange(1.0, 20_001.0),
            np.floor(rng.uniform(1.0, 1e7 + 1, 20_000)),
            np.exp(rng.uniform(np.log(1e-300), np.log(1e300), 20_000)),
            [0.5, 1.0, 2.0, 1e7 + 1.0, 2.0**53, 1e305],
        ]
    )
    assert np.array_equal(_gammaln_many(x), gammaln(x))


@settings(max_examples=30, deadline=None)
@given(reps=_REPS, seed=st.integers(0, 2**32 - 1), magnitude=st.integers(1, 7), data=st.data())
def test_close_calls_decided_by_numpys_functions_give_the_same_counts(reps, seed, magnitude, data):
    """The kernel leaves a decision too close for the C library's exp, log1p and log to
    NumPy's own functions. With ``doubt`` infinite every decision goes that way: those
    paths (rare in a run) draw the NumPy definition's counts too."""
    size = len(reps) * 5
    n = np.array(data.draw(st.lists(st.integers(0, 10**magnitude), min_size=size, max_size=size)))
    p = np.array(data.draw(st.lists(_P, min_size=size, max_size=size)))
    streams = RandomStreams.for_replications(seed, reps)
    args = (streams, n, p, (len(reps), 5), 3, 1, 0)
    got = _binomial_compiled(*args, doubt=np.inf)
    assert np.array_equal(got, _binomial_numpy(*args))
    assert np.array_equal(got, _binomial_compiled(*args))


def test_numpys_own_functions_for_close_calls():
    """The fallbacks are NumPy's (SIMD) functions themselves, one value at a time."""
    rng = np.random.default_rng(4)
    x = np.exp(rng.uniform(-30, 30, 2000))
    assert np.array_equal(np.array([_numpy_log(v) for v in x]), np.log(x))
    n, p = rng.integers(0, 10**6, 2000), rng.uniform(0.0, 0.5, 2000)
    want = np.exp(n * np.log1p(-p))
    assert np.array_equal(np.array([_numpy_pmf0(a, b) for a, b in zip(n, p, strict=True)]), want)


@njit
def _gammaln_many(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _gammaln(x[i])
    return out
