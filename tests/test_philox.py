"""The counter-based generator is Philox4x32-10, word for word."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from randomgen import Philox

from atlarge.engine.philox import philox4x32, words_to_open_unit

U = np.uint64


@pytest.mark.parametrize(
    ("counter", "key", "expected"),
    [
        # Known-answer vectors published with Random123 (kat_vectors, philox4x32 10).
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
)
def test_known_answer_vectors(counter, key, expected):
    words = philox4x32(tuple(U(c) for c in counter), tuple(U(k) for k in key))
    assert tuple(int(w) for w in words) == expected


def test_matches_randomgen_over_arrays_of_keys_and_counters():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**32, size=(40, 2), dtype=np.uint64)
    starts = rng.integers(0, 2**31, size=40, dtype=np.uint64)
    ours = philox4x32((starts, U(0), U(0), U(0)), (keys[:, 0], keys[:, 1]))
    for i in range(40):
        key = int(keys[i, 0]) | (int(keys[i, 1]) << 32)
        # randomgen increments its counter before producing a block.
        bg = Philox(key=key, counter=int(starts[i]) - 1, number=4, width=32)
        raw = bg.random_raw(4)
        assert [int(w[i]) for w in ours] == [int(x) for x in raw]


def test_open_unit_interval_never_hits_the_ends():
    zero, top = U(0), U(0xFFFFFFFF)
    assert 0.0 < words_to_open_unit(zero, zero) < 1e-15
    assert 1.0 - 1e-15 < words_to_open_unit(top, top) < 1.0


_WORD = st.integers(0, 2**32 - 1)


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.tuples(_WORD, _WORD, _WORD, _WORD), min_size=0, max_size=40),
    c1=_WORD,
    c2=_WORD,
)
def test_the_compiled_loop_draws_the_very_same_uniforms(words, c1, c2):
    """Issue 15: the compiled pairs are the NumPy definition bit for bit, counters and
    keys at their extremes included (the test oracle is the readable version)."""
    from atlarge.engine.philox import pairs_compiled, pairs_numpy

    a = np.array(words, dtype=np.uint64).reshape(-1, 4)
    c0, c3, k0, k1 = (np.ascontiguousarray(a[:, i]) for i in range(4))
    want = pairs_numpy(c0, c1, c2, c3, k0, k1)
    got = pairs_compiled(c0, c1, c2, c3, k0, k1)
    assert all(np.array_equal(w, g) for w, g in zip(want, got, strict=True))
    assert all(((g > 0) & (g < 1)).all() for g in got)


def test_the_engine_draws_with_the_compiled_loop_unless_told_not_to(monkeypatch):
    """ATLARGE_COMPILED=0 selects the NumPy definition; a run is the same either way."""
    import atlarge
    from atlarge.engine import philox
    from tests.conftest import small_scenario

    assert philox.pairs is (philox.pairs_compiled if philox.COMPILED else philox.pairs_numpy)
    sc = small_scenario(days=20)
    runs = []
    for f in (philox.pairs_compiled, philox.pairs_numpy):
        monkeypatch.setattr(philox, "pairs", f)
        runs.append(atlarge.simulate(sc, reps=3, seed=5, timeseries="full").output.series)
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[0])
