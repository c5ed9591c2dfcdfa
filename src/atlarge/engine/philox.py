"""Philox4x32-10, the counter-based random bit generator, written over NumPy arrays.

Why a counter-based generator: the engine advances every replication at once
(arrays shaped ``(reps, units, ...)``), yet each replication must draw from its
own stream so that results do not depend on how replications are chunked or
which worker ran them. A sequential generator per replication would need a
Python loop over replications every day. With a counter-based generator the
random words are a pure function ``philox(key, counter)``: the key comes from
the replication's ``SeedSequence`` child, the counter names the draw (element,
step, stream, attempt), and a whole array of draws for all replications is a
handful of vectorized integer operations.

Reference: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw (2011),
"Parallel random numbers: as easy as 1, 2, 3", SC'11. Philox4x32-10 is the
variant recommended there (ten rounds; it passes TestU01 BigCrush). The test
suite checks this implementation word for word against ``randomgen``.
"""

from __future__ import annotations

import os

import numpy as np
from numba import njit

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
ROUNDS = 10


def philox4x32(
    counter: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    key: tuple[np.ndarray, np.ndarray],
    rounds: int = ROUNDS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the four 32-bit output words for the given counters and keys.

    All inputs are ``uint64`` arrays holding 32-bit values, broadcastable
    against each other; the outputs have the broadcast shape and hold 32-bit
    values in ``uint64``. 32x32-bit products fit exactly in 64 bits, so the
    high and low halves come from one multiplication. Every round works in
    place on six buffers: no temporary arrays are made inside the loop.
    """
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in counter)
    k0, k1 = (np.asarray(k, dtype=np.uint64) for k in key)
    shape = np.broadcast_shapes(c0.shape, c1.shape, c2.shape, c3.shape, k0.shape, k1.shape)
    o0, o1, o2, o3, p0, p1 = (np.empty(shape, dtype=np.uint64) for _ in range(6))
    rk0 = rk1 = None
    for r in range(rounds):
        np.multiply(c0, _M0, out=p0)
        np.multiply(c2, _M1, out=p1)
        if r:  # round key: the key bumped r times by the Weyl constants
            if rk0 is None:
                rk0 = np.empty(np.broadcast_shapes(k0.shape), dtype=np.uint64)
                rk1 = np.empty(np.broadcast_shapes(k1.shape), dtype=np.uint64)
            np.add(k0, np.uint64((r * 0x9E3779B9) & 0xFFFFFFFF), out=rk0)
            rk0 &= _MASK32
            np.add(k1, np.uint64((r * 0xBB67AE85) & 0xFFFFFFFF), out=rk1)
            rk1 &= _MASK32
            key0, key1 = rk0, rk1
        else:
            key0, key1 = k0, k1
        # c0' = hi(p1) ^ c1 ^ k0, c1' = lo(p1), c2' = hi(p0) ^ c3 ^ k1, c3' = lo(p0).
        # In rounds after the first, c_i is o_i; each is read before it is overwritten.
        np.right_shift(p1, _SHIFT32, out=o0)
        o0 ^= c1
        o0 ^= key0
        np.bitwise_and(p1, _MASK32, out=o1)
        np.right_shift(p0, _SHIFT32, out=o2)
        o2 ^= c3
        o2 ^= key1
        np.bitwise_and(p0, _MASK32, out=o3)
        c0, c1, c2, c3 = o0, o1, o2, o3
    return o0, o1, o2, o3


_TWO_M52 = 2.0**-52
_SHIFT6 = np.uint64(6)
_SHIFT26 = np.uint64(26)


def words_to_open_unit(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Combine two 32-bit words into a double in the open interval (0, 1).

    Uses 52 random bits (26 from each word) and centres the value in its bin:
    ``(bits + 0.5) / 2**52`` is exact in double precision, so neither 0 nor 1
    can occur (samplers take logarithms and divide by ``0.5 - |u - 0.5|``).
    With 53 bits the top value would round up to exactly 1.0.
    """
    bits = ((hi >> _SHIFT6) << _SHIFT26) | (lo >> _SHIFT6)
    return (bits.astype(np.float64) + 0.5) * _TWO_M52


def pairs_numpy(
    c0: np.ndarray, c1: int, c2: int, c3: np.ndarray, k0: np.ndarray, k1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two open-(0, 1) uniforms per counter: the readable definition (and the test oracle of
    :func:`pairs_compiled`). ``c0``, ``c3``, ``k0``, ``k1`` are 1-D ``uint64`` arrays of one
    length, ``c1`` and ``c2`` 32-bit numbers."""
    w0, w1, w2, w3 = philox4x32((c0, np.uint64(c1), np.uint64(c2), c3), (k0, k1))
    return words_to_open_unit(w0, w1), words_to_open_unit(w2, w3)


_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)  # the Weyl key increments


@njit(cache=True, nogil=True)
def pair(c0, c1, c2, c3, key0, key1):  # pragma: no cover - compiled; tested through its callers
    """The two uniforms of one counter, as a compiled function other kernels inline (the
    binomial sampler draws its pairs one attempt at a time). The same 32-bit operations as
    :func:`pairs_numpy` word for word; every argument and constant is a ``uint64``: Numba
    turns a mix of signed and unsigned 64-bit integers into floats."""
    x0, x1, x2, x3 = c0, c1, c2, c3
    for _ in range(ROUNDS):
        p0 = x0 * _M0
        p1 = x2 * _M1
        x0, x1, x2, x3 = (
            (p1 >> _SHIFT32) ^ x1 ^ key0,
            p1 & _MASK32,
            (p0 >> _SHIFT32) ^ x3 ^ key1,
            p0 & _MASK32,
        )
        key0 = (key0 + _W0) & _MASK32
        key1 = (key1 + _W1) & _MASK32
    u = (np.float64(((x0 >> _SHIFT6) << _SHIFT26) | (x1 >> _SHIFT6)) + 0.5) * _TWO_M52
    v = (np.float64(((x2 >> _SHIFT6) << _SHIFT26) | (x3 >> _SHIFT6)) + 0.5) * _TWO_M52
    return u, v


@njit(cache=True, nogil=True)
def _pairs_kernel(c0, c1, c2, c3, k0, k1, u, v):  # pragma: no cover - compiled
    for i in range(c0.size):
        u[i], v[i] = pair(c0[i], c1, c2, c3[i], k0[i], k1[i])


def pairs_compiled(
    c0: np.ndarray, c1: int, c2: int, c3: np.ndarray, k0: np.ndarray, k1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pairs_numpy` as one compiled loop over the counters (issue 15): bit-identical
    uniforms (tested) without the ten rounds' array temporaries."""
    u = np.empty(c0.size, dtype=np.float64)
    v = np.empty(c0.size, dtype=np.float64)
    _pairs_kernel(c0, np.uint64(c1), np.uint64(c2), c3, k0, k1, u, v)
    return u, v


COMPILED = os.environ.get("ATLARGE_COMPILED", "1") != "0"
"""Whether the engine draws its uniforms with the compiled loop (``ATLARGE_COMPILED=0``: the
NumPy definition, e.g. to compare the two)."""

pairs = pairs_compiled if COMPILED else pairs_numpy
"""The pair of uniforms the engine uses (see :data:`COMPILED`)."""
