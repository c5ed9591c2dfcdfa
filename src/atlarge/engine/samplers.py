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
"""

from __future__ import annotations

import numpy as np
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
    ``int64`` array shaped like ``n``.
    """
    n = np.asarray(n)
    shape = n.shape
    if shape[0] != streams.n_reps:
        raise ValueError("the first axis of n must be the replication axis")
    n_flat = n.astype(np.int64).ravel()
    p_flat = np.broadcast_to(np.asarray(p, dtype=np.float64), shape).ravel()
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
    out = np.where(flip, n_flat - out, out)
    return out.reshape(shape)


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
    walk = _walk_compiled if philox.COMPILED else _walk_numpy
    while todo.size:
        _check_attempts(attempt)
        (u,), _ = _uniform_pairs(ctx, idx[todo], attempt)
        found = walk(u, pmf0[todo], a[todo], s[todo], bound[todo])
        result[todo] = found
        todo = todo[found < 0]
        attempt += 1
    return result


def _walk_numpy(
    u: np.ndarray, r: np.ndarray, a: np.ndarray, s: np.ndarray, bound: np.ndarray
) -> np.ndarray:
    """BINV's walk up the CDF for each element: the first ``k`` where the uniform falls,
    or -1 past the safe bound (redrawn). The readable definition, on arrays compacted as
    elements finish (the test oracle of :func:`_walk_compiled`)."""
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


def _compile_walk():
    """:func:`_walk_numpy` as one compiled loop per element (issue 15): the same float64
    operations in the same order, no fast-math, so the counts are bit-identical (tested)."""
    from numba import njit

    @njit(cache=True, nogil=True)
    def walk(u, r, a, s, bound):
        found = np.full(u.size, -1, dtype=np.int64)
        for i in range(u.size):
            ui, ri, k = u[i], r[i], 0
            while True:
                if ui <= ri:
                    found[i] = k
                    break
                k += 1
                if k > bound[i]:
                    break
                ui -= ri
                ri = ri * (a[i] / k - s[i])
        return found

    return walk


_walk_compiled = _compile_walk()


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
