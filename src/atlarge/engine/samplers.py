"""Exact binomial and multinomial count samplers, vectorized over whole arrays.

The uniforms come from :class:`~atlarge.engine.rng.RandomStreams`, addressed
per element, so each element's draw is a function of its own counter alone.
Two classical exact algorithms are used, chosen per element by its mean:

* ``n p < 10``: sequential inversion of the CDF ("BINV"; V. Kachitvichyanukul
  and B. W. Schmeiser (1988), "Binomial random variate generation",
  Communications of the ACM 31(2)). One uniform per draw; the Python loop runs
  over the candidate value ``k`` (at most a few dozen), never over elements.
* ``n p >= 10``: transformed rejection with squeeze ("BTRS"; W. Hörmann (1993),
  "The generation of binomial random variates", Journal of Statistical
  Computation and Simulation 46). The acceptance test uses exact log-factorials
  (``scipy.special.gammaln``). About 1.1 attempts per draw; the loop runs over
  attempts, on the shrinking set of rejected elements.

Probabilities above 0.5 are handled by symmetry, ``n - Binomial(n, 1 - p)``.

The NumPy code below is the readable definition. The engine runs the same
algorithms as compiled Numba kernels, one loop over elements (issue 15; see the
"compiled" section), which draw the very same counts; ``ATLARGE_COMPILED=0``
(:data:`atlarge.engine.philox.COMPILED`) selects the definition instead.
"""

from __future__ import annotations

import llvmlite.binding as ll
import numpy as np
from llvmlite import ir
from numba import njit, objmode, types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic
from scipy.special import gammaln

from atlarge.engine import philox
from atlarge.engine.rng import RandomStreams

_INVERSION_MEAN = 10.0
_BATCH = 4  # rejection attempts drawn together after the first
_MAX_ATTEMPTS = 1 << 16


def binomial(
    streams: RandomStreams,
    n: np.ndarray,
    p: np.ndarray | float,
    step: int,
    stream: int,
    substream: int = 0,
) -> np.ndarray:
    """Draw ``Binomial(n, p)`` for every element of ``n`` (shape ``(reps, ...)``).

    ``n`` must be non-negative integers and ``p`` in [0, 1]; the result is an
    ``int64`` array shaped like ``n``. :data:`atlarge.engine.philox.COMPILED` selects
    the compiled kernel or the NumPy definition; they draw the very same counts.
    """
    n = np.asarray(n)
    shape = n.shape
    if shape[0] != streams.n_reps:
        raise ValueError("the first axis of n must be the replication axis")
    p_flat = np.broadcast_to(np.asarray(p, dtype=np.float64), shape).ravel()
    if philox.COMPILED:
        n_flat = np.asarray(n, dtype=np.int64).ravel()  # no copy when n is int64 already
        return _binomial_compiled(streams, n_flat, p_flat, shape, step, stream, substream)
    return _binomial_numpy(
        streams, n.astype(np.int64).ravel(), p_flat, shape, step, stream, substream
    )


def _binomial_numpy(streams, n_flat, p_flat, shape, step, stream, substream) -> np.ndarray:
    """The readable definition (and the test oracle of :func:`_binomial_compiled`): elements
    split by algorithm, each algorithm looping in Python over its attempts on arrays."""
    if n_flat.size and n_flat.min() < 0:
        raise ValueError("binomial n must be non-negative")
    if not ((p_flat >= 0.0) & (p_flat <= 1.0)).all():  # NaN fails both comparisons
        raise ValueError("binomial p must lie in [0, 1]")
    row, element = streams.grid(shape[1:])
    out = np.zeros(n_flat.size, dtype=np.int64)

    flip = p_flat > 0.5
    q_flat = np.where(flip, 1.0 - p_flat, p_flat)  # probability used, <= 0.5
    live = (n_flat > 0) & (q_flat > 0.0)
    mean = n_flat * q_flat
    small = np.flatnonzero(live & (mean < _INVERSION_MEAN))
    large = np.flatnonzero(live & (mean >= _INVERSION_MEAN))
    ctx = (streams, row, element, step, stream, substream)
    if small.size:
        out[small] = _inversion(ctx, small, n_flat[small], q_flat[small])
    if large.size:
        out[large] = _btrs(ctx, large, n_flat[large], q_flat[large])
    return np.where(flip, n_flat - out, out).reshape(shape)


def _uniform_pairs(ctx, idx: np.ndarray, attempt: int, n_attempts: int = 1):
    """Uniform pairs for ``idx`` at attempts ``attempt .. attempt+n_attempts-1``.

    Returned shaped ``(n_attempts, len(idx))``. All attempts come from one
    Philox call, since the attempt number is part of each draw's counter.
    """
    streams, row, element, step, stream, substream = ctx
    if n_attempts == 1:
        u, v = streams.pairs(row[idx], element[idx], step, stream, substream, attempt)
        return u[None], v[None]
    reps = np.tile(row[idx], n_attempts)
    elems = np.tile(element[idx], n_attempts)
    tries = np.repeat(np.arange(attempt, attempt + n_attempts), idx.size)
    u, v = streams.pairs(reps, elems, step, stream, substream, tries)
    return u.reshape(n_attempts, idx.size), v.reshape(n_attempts, idx.size)


def _inversion(ctx, idx: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """BINV: walk the CDF upward from 0 (Kachitvichyanukul and Schmeiser 1988).

    One Python step per value of ``k`` (at most ~43, since ``np < 10``), on
    arrays compacted as elements finish. An element whose uniform lies past
    the safe bound ``np + 10 sqrt(npq + 1)`` (probability ~1e-20) is redrawn
    with the next attempt.
    """
    q = 1.0 - p
    s = p / q
    a = (n + 1) * s
    bound = np.minimum(n, np.floor(n * p + 10.0 * np.sqrt(n * p * q + 1.0))).astype(np.int64)
    pmf0 = np.exp(n * np.log1p(-p))
    result = np.full(idx.size, -1, dtype=np.int64)
    todo = np.arange(idx.size)
    attempt = 0
    while todo.size:
        _check_attempts(attempt)
        (u,), _ = _uniform_pairs(ctx, idx[todo], attempt)
        found = _walk_numpy(u, pmf0[todo], a[todo], s[todo], bound[todo])
        result[todo] = found
        todo = todo[found < 0]
        attempt += 1
    return result


def _walk_numpy(
    u: np.ndarray, r: np.ndarray, a: np.ndarray, s: np.ndarray, bound: np.ndarray
) -> np.ndarray:
    """BINV's walk up the CDF for each element: the first ``k`` where the uniform falls,
    or -1 past the safe bound (redrawn), on arrays compacted as elements finish."""
    u = u.copy()
    found = np.full(u.size, -1, dtype=np.int64)
    pos = np.arange(u.size)
    k = 0
    while pos.size:
        done = u <= r
        found[pos[done]] = k
        keep = ~done
        k += 1
        keep &= k <= bound
        pos, u, r, a, s, bound = (x[keep] for x in (pos, u, r, a, s, bound))
        u -= r
        r = r * (a / k - s)
    return found


def _btrs(ctx, idx: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """BTRS with exact log-factorials in the final acceptance test.

    Attempt 0 is drawn for every element; elements it rejects (about 5-10%)
    get their next ``_BATCH`` attempts from one call and keep the first one
    accepted, which is exactly what drawing them one by one would give.
    """
    nf = n.astype(np.float64)
    q = 1.0 - p
    spq = np.sqrt(nf * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = nf * p + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    v_r = 0.92 - 4.2 / b
    m = np.floor((nf + 1.0) * p)
    log_ratio = np.log(p / q)
    log_fm = gammaln(m + 1.0) + gammaln(nf - m + 1.0)
    result = np.full(idx.size, -1, dtype=np.int64)
    todo = np.arange(idx.size)
    attempt = 0
    while todo.size:
        _check_attempts(attempt)
        batch = 1 if attempt == 0 else _BATCH
        uu, v = _uniform_pairs(ctx, idx[todo], attempt, batch)  # (batch, len(todo))
        t = np.broadcast_to(todo, uu.shape)
        u = uu - 0.5
        us = 0.5 - np.abs(u)
        k = np.floor((2.0 * a[t] / us + b[t]) * u + c[t])
        valid = (k >= 0.0) & (k <= nf[t])
        accept = valid & (us >= 0.07) & (v <= v_r[t])
        rest = np.nonzero(valid & ~accept)
        if rest[0].size:
            tr, kk = t[rest], k[rest]
            lhs = np.log(v[rest] * alpha[tr] / (a[tr] / (us[rest] * us[rest]) + b[tr]))
            rhs = (
                log_fm[tr]
                - gammaln(kk + 1.0)
                - gammaln(nf[tr] - kk + 1.0)
                + (kk - m[tr]) * log_ratio[tr]
            )
            accept[rest] = lhs <= rhs
        hit = accept.any(axis=0)
        first = np.argmax(accept, axis=0)
        cols = np.flatnonzero(hit)
        result[todo[cols]] = k[first[cols], cols].astype(np.int64)
        todo = todo[~hit]
        attempt += batch
    return result


def _check_attempts(attempt: int) -> None:
    if attempt >= _MAX_ATTEMPTS:  # pragma: no cover - probability is astronomically small
        raise RuntimeError("binomial sampler did not terminate")


# --------------------------------------------------------------------------- compiled
# Issue 15: the whole sampler as one compiled loop over elements, each element drawing its
# attempts 0, 1, 2, ... one at a time until one is accepted (which is what the batched
# attempts above amount to). Every float64 operation is the NumPy definition's, in the same
# order, without fast-math, with two exceptions that cannot change a count:
# * gammaln is SciPy's own compiled function, called by its C address: the same bits;
# * exp, log1p and log: NumPy's are SIMD loops that can differ from the C library's in the
#   last bit or two. The kernel uses the C library's, and whenever a decision is close
#   enough (within 1e-9, a million times the worst such difference) for those bits to
#   matter, it redoes that decision with NumPy's own functions (:func:`_numpy_pmf0`,
#   :func:`_numpy_log`), so every comparison goes the way the NumPy definition's goes.
#   Close calls happen about once in 10^8 decisions.

_DOUBT = 1e-9

ll.add_symbol(
    "atlarge_scipy_gammaln",
    get_cython_function_address("scipy.special.cython_special", "gammaln"),
)


@intrinsic
def _gammaln(typingctx, x):  # pragma: no cover - compiled
    """``scipy.special.gammaln`` itself, linked by name so that the kernel can be cached
    (a ctypes pointer would be baked into the code and forbid caching)."""

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType()])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "atlarge_scipy_gammaln")
        return builder.call(fn, args)

    return types.float64(types.float64), codegen


@njit(cache=True)
def _numpy_log(x):  # pragma: no cover - compiled
    """NumPy's own log of ``x``, for a close call."""
    with objmode(r="float64"):
        r = float(np.log(np.array([x]))[0])
    return r


@njit(cache=True)
def _numpy_pmf0(n, p):  # pragma: no cover - compiled
    """NumPy's own ``exp(n log1p(-p))`` (BINV's P(X = 0)), for a close call."""
    with objmode(r="float64"):
        r = float(np.exp(np.array([n]) * np.log1p(-np.array([p])))[0])
    return r


@njit(cache=True, nogil=True)
def _walk(u, r, a, s, bound, doubt):  # pragma: no cover - compiled
    """:func:`_walk_numpy` for one uniform: ``k``, -1 past the bound, or -2 when ``u`` came
    within ``doubt`` of the CDF (``doubt`` is 0 once ``r`` is NumPy's own)."""
    k = 0
    while True:
        if abs(u - r) <= doubt:
            return -2
        if u <= r:
            return k
        k += 1
        if k > bound:
            return -1
        u -= r
        r = r * (a / k - s)


@njit(cache=True, nogil=True)
def _binv_one(n, p, elem, c1, c2, c3, key0, key1, doubt):  # pragma: no cover - compiled
    """One element of :func:`_inversion`; -1 past the attempts."""
    q = 1.0 - p
    s = p / q
    a = (n + 1) * s
    bound = np.int64(min(np.float64(n), np.floor(n * p + 10.0 * np.sqrt(n * p * q + 1.0))))
    pmf0 = np.exp(n * np.log1p(-p))
    attempt = 0
    while attempt < _MAX_ATTEMPTS:
        u, _ = philox.pair(elem, c1, c2, c3 | np.uint64(attempt), key0, key1)
        k = _walk(u, pmf0, a, s, bound, doubt)
        if k == -2:  # a close call: walk again from NumPy's P(X = 0)
            pmf0, doubt = _numpy_pmf0(n, p), -1.0
            continue
        if k >= 0:
            return k
        attempt += 1
    return -1


@njit(cache=True, nogil=True)
def _btrs_one(n, p, elem, c1, c2, c3, key0, key1, doubt):  # pragma: no cover - compiled
    """One element of :func:`_btrs`, attempt by attempt; -1 past the attempts."""
    nf = np.float64(n)
    q = 1.0 - p
    spq = np.sqrt(nf * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = nf * p + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    v_r = 0.92 - 4.2 / b
    m = np.floor((nf + 1.0) * p)
    log_ratio = np.log(p / q)
    log_fm = _gammaln(m + 1.0) + _gammaln(nf - m + 1.0)
    for attempt in range(_MAX_ATTEMPTS):
        uu, v = philox.pair(elem, c1, c2, c3 | np.uint64(attempt), key0, key1)
        u = uu - 0.5
        us = 0.5 - abs(u)
        k = np.floor((2.0 * a / us + b) * u + c)
        if not (k >= 0.0 and k <= nf):
            continue
        if us >= 0.07 and v <= v_r:
            return np.int64(k)
        x = v * alpha / (a / (us * us) + b)
        g_k, g_nk = _gammaln(k + 1.0), _gammaln(nf - k + 1.0)
        rhs = log_fm - g_k - g_nk + (k - m) * log_ratio
        lhs = np.log(x)
        scale = max(abs(lhs) + abs(log_fm) + abs(g_k) + abs(g_nk) + abs((k - m) * log_ratio), 1.0)
        if abs(lhs - rhs) <= doubt * scale:  # a close call: NumPy's logs decide from now on
            log_ratio, doubt = _numpy_log(p / q), -1.0
            rhs = log_fm - g_k - g_nk + (k - m) * log_ratio
        if doubt < 0.0:
            lhs = _numpy_log(x)
        if lhs <= rhs:
            return np.int64(k)
    return -1


@njit(cache=True, nogil=True)
def _check(n, p):  # pragma: no cover - compiled
    for i in range(n.size):
        if n[i] < 0:
            raise ValueError("binomial n must be non-negative")
        if not (p[i] >= 0.0 and p[i] <= 1.0):  # NaN fails both comparisons
            raise ValueError("binomial p must lie in [0, 1]")


@njit(cache=True, nogil=True)
def _draw_one(n, p, elem, c1, c2, c3, key0, key1, doubt):  # pragma: no cover - compiled
    """One element of :func:`_binomial_numpy`: the symmetry flip, then BINV or BTRS."""
    flip = p > 0.5
    q = 1.0 - p if flip else p
    x = 0
    if n > 0 and q > 0.0:
        if n * q < _INVERSION_MEAN:
            x = _binv_one(n, q, elem, c1, c2, c3, key0, key1, doubt)
        else:
            x = _btrs_one(n, q, elem, c1, c2, c3, key0, key1, doubt)
        if x < 0:
            raise RuntimeError("binomial sampler did not terminate")
    return n - x if flip else x


@njit(cache=True, nogil=True)
def _binomial_kernel(n, p, per_rep, key0, key1, c1, c2, c3, doubt, out):  # pragma: no cover
    """Every element of :func:`_binomial_numpy`; element ``i`` is row ``i // per_rep``."""
    _check(n, p)
    for i in range(n.size):
        row = i // per_rep
        elem = np.uint64(i - row * per_rep)
        out[i] = _draw_one(n[i], p[i], elem, c1, c2, c3, key0[row], key1[row], doubt)


@njit(cache=True, nogil=True)
def _multinomial_kernel(n, probs, per_rep, key0, key1, c1, c2, out):  # pragma: no cover
    """Every element of :func:`_multinomial_numpy`: its K - 1 conditional binomials in
    turn (category ``j`` on substream ``j``), the rest in the last category."""
    for i in range(n.size):
        if n[i] < 0:
            raise ValueError("binomial n must be non-negative")
        row = i // per_rep
        elem = np.uint64(i - row * per_rep)
        remaining, mass_left = n[i], 1.0
        for j in range(probs.shape[1] - 1):
            pj = probs[i, j]
            cond = pj / mass_left if mass_left > 0 else 0.0
            cond = 0.0 if cond < 0.0 else (1.0 if cond > 1.0 else cond)  # NaN stays NaN
            if not (cond >= 0.0 and cond <= 1.0):
                raise ValueError("binomial p must lie in [0, 1]")
            c3 = np.uint64(j) << np.uint64(16)
            draw = _draw_one(remaining, cond, elem, c1, c2, c3, key0[row], key1[row], _DOUBT)
            out[i, j] = draw
            remaining -= draw
            mass_left = mass_left - pj
        out[i, probs.shape[1] - 1] = remaining


def _counter_words(step: int, stream: int, substream: int) -> tuple:
    """The counter words every draw of a call shares (checked as ``RandomStreams.pairs``)."""
    if not 0 <= substream < _MAX_ATTEMPTS or step < 0 or stream < 0:
        raise ValueError("substream must lie in [0, 65536), step and stream be non-negative")
    return np.uint64(step & 0xFFFFFFFF), np.uint64(stream & 0xFFFFFFFF), np.uint64(substream << 16)


def _binomial_compiled(
    streams, n_flat, p_flat, shape, step, stream, substream, doubt: float = _DOUBT
) -> np.ndarray:
    """:func:`_binomial_numpy` as one compiled loop over elements (bit-identical, tested).
    ``doubt``: the gap under which a decision is left to NumPy's functions (tests set it to
    infinity to send every decision there)."""
    out = np.empty(n_flat.size, dtype=np.int64)
    per_rep = max(int(np.prod(shape[1:], dtype=np.int64)), 1)
    words = _counter_words(step, stream, substream)
    _binomial_kernel(n_flat, p_flat, per_rep, streams.key0, streams.key1, *words, doubt, out)
    return out.reshape(shape)


def multinomial(
    streams: RandomStreams,
    n: np.ndarray,
    probs: np.ndarray,
    step: int,
    stream: int,
) -> np.ndarray:
    """Split counts ``n`` (shape ``(reps, ...)``) over the last axis of ``probs``.

    ``probs`` has shape ``(..., K)`` broadcastable to ``n.shape + (K,)`` and
    sums to one over its last axis. Sampled as K-1 conditional binomials, each
    on its own substream; returns ``int64`` counts shaped ``n.shape + (K,)``.
    """
    n = np.asarray(n, dtype=np.int64)
    probs = np.broadcast_to(np.asarray(probs, dtype=np.float64), (*n.shape, np.shape(probs)[-1]))
    if philox.COMPILED:
        return _multinomial_compiled(streams, n, probs, step, stream)
    return _multinomial_numpy(streams, n, probs, step, stream)


def _multinomial_numpy(streams, n, probs, step, stream) -> np.ndarray:
    """The readable definition (and the test oracle of :func:`_multinomial_compiled`)."""
    k_cat = probs.shape[-1]
    out = np.zeros((*n.shape, k_cat), dtype=np.int64)
    remaining = n.copy()
    mass_left = np.ones(n.shape)
    for j in range(k_cat - 1):
        pj = probs[..., j]
        cond = np.divide(pj, mass_left, out=np.zeros_like(pj), where=mass_left > 0)
        draw = binomial(streams, remaining, np.clip(cond, 0.0, 1.0), step, stream, substream=j)
        out[..., j] = draw
        remaining -= draw
        mass_left = mass_left - pj
    out[..., -1] = remaining
    return out


def _multinomial_compiled(streams, n, probs, step, stream) -> np.ndarray:
    """:func:`_multinomial_numpy` in one compiled loop over elements (bit-identical)."""
    if n.shape[0] != streams.n_reps:
        raise ValueError("the first axis of n must be the replication axis")
    k_cat = probs.shape[-1]
    if k_cat - 1 >= _MAX_ATTEMPTS:
        raise ValueError("at most 65536 categories (one substream each)")
    out = np.empty((n.size, k_cat), dtype=np.int64)
    per_rep = max(int(np.prod(n.shape[1:], dtype=np.int64)), 1)
    c1, c2, _ = _counter_words(step, stream, 0)
    flat = np.ascontiguousarray(probs).reshape(n.size, k_cat)
    _multinomial_kernel(n.ravel(), flat, per_rep, streams.key0, streams.key1, c1, c2, out)
    return out.reshape((*n.shape, k_cat))
