"""Hard capacities and whole-count allocation, vectorized over replications.

Counts are integers; when a total must be shared out (seats over queues,
overflow over free capacity, a national quantity over units) the shares are
rounded by the largest-remainder method so that they add up exactly and
never exceed what each unit can take.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from atlarge.engine import philox


def largest_remainder(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``total`` (shape ``(...)``) over the last axis of ``weights``.

    Returns integers shaped like ``weights`` that sum to ``total`` exactly,
    proportional to ``weights`` up to rounding; rows whose weights sum to
    zero receive nothing. Ties in the remainders go to the lower index, so the
    result is deterministic. :data:`atlarge.engine.philox.COMPILED` selects the
    compiled loop over rows or the NumPy definition; they give the same integers.
    """
    weights = np.asarray(weights, dtype=np.float64)
    total = np.asarray(total, dtype=np.int64)
    if philox.COMPILED:
        return _largest_remainder_compiled(total, weights)
    return _largest_remainder_numpy(total, weights)


def _largest_remainder_numpy(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The readable definition (and the test oracle of the compiled loop)."""
    wsum = weights.sum(axis=-1, keepdims=True)
    share = np.divide(weights, wsum, out=np.zeros_like(weights), where=wsum > 0)
    exact = share * total[..., None]
    base = np.floor(exact).astype(np.int64)
    short = np.where(wsum[..., 0] > 0, total - base.sum(axis=-1), 0)
    remainder = exact - base
    # Rank units by remainder (descending, stable) and give one more to the first `short`.
    order = np.argsort(-remainder, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(weights.shape[-1]), axis=-1)
    return base + (rank < short[..., None])


def fill_up_to(total: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Place ``total`` over units with free ``room`` (last axis), never past the room.

    Proportional to room, rounded by largest remainder; whatever does not fit
    (``total > room.sum()``) is left out, so callers compare sums to find it.
    """
    room = np.maximum(np.asarray(room, dtype=np.int64), 0)
    if philox.COMPILED:
        placed = _fill_compiled(np.asarray(total, dtype=np.int64), room)
    else:
        placed_total = np.minimum(np.asarray(total, dtype=np.int64), room.sum(axis=-1))
        placed = largest_remainder(placed_total, room)
    # Proportional shares of a total not above the room sum never exceed a unit's room
    # by more than the rounding unit; clip and hand any excess to units with room left.
    over = np.maximum(placed - room, 0)
    if over.any():  # pragma: no cover - defensive, rounding cannot produce this
        placed = placed - over
        extra = over.sum(axis=-1)
        placed = placed + largest_remainder(extra, room - placed)
    return placed


# --------------------------------------------------------------------------- compiled
# Issue 15: one compiled loop over the rows (the leading axes flattened), each row doing the
# NumPy definition's float64 operations in its order (no fast-math): the same integers.


@njit(cache=True, nogil=True)
def _share_row(total, weights, wsum, out, remainder):  # pragma: no cover - compiled
    """One row of :func:`_largest_remainder_numpy` given its weight sum (``out`` is zeros)."""
    if not wsum > 0:  # NaN too, as ``where=wsum > 0`` leaves it
        return
    short = total
    for j in range(weights.size):
        exact = (weights[j] / wsum) * total
        base = np.int64(np.floor(exact))
        out[j] = base
        short -= base
        remainder[j] = exact - base
    if short > 0:  # descending, stable: ties to the lower index, as the NumPy argsort
        order = np.argsort(-remainder, kind="mergesort")
        for j in range(min(short, weights.size)):
            out[order[j]] += 1


@njit(cache=True, nogil=True)
def _largest_remainder_rows(total, weights, wsum, out):  # pragma: no cover - compiled
    remainder = np.empty(weights.shape[1])
    for r in range(weights.shape[0]):
        _share_row(total[r], weights[r], wsum[r], out[r], remainder)


@njit(cache=True, nogil=True)
def _fill_rows(total, room, out):  # pragma: no cover - compiled
    """:func:`fill_up_to`'s share of each row: whole-number room sums exactly in float64
    whatever the order, so the weight sum needs no NumPy reduction."""
    weights = np.empty(room.shape[1])
    remainder = np.empty(room.shape[1])
    for r in range(room.shape[0]):
        room_sum = 0
        wsum = 0.0
        for j in range(room.shape[1]):
            room_sum += room[r, j]
            weights[j] = np.float64(room[r, j])
            wsum += weights[j]
        _share_row(min(total[r], room_sum), weights, wsum, out[r], remainder)


def _largest_remainder_compiled(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`_largest_remainder_numpy` over flattened rows. The weight sums are NumPy's own
    (pairwise) sums, so the shares divide by the very same numbers."""
    lead = np.broadcast_shapes(total.shape, weights.shape[:-1])
    k = weights.shape[-1]
    wsum = np.broadcast_to(weights.sum(axis=-1), lead).ravel()
    flat = np.ascontiguousarray(np.broadcast_to(weights, (*lead, k))).reshape(-1, k)
    out = np.zeros(flat.shape, dtype=np.int64)
    _largest_remainder_rows(np.broadcast_to(total, lead).ravel(), flat, wsum, out)
    return out.reshape((*lead, k))


def _fill_compiled(total: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Largest-remainder shares of ``min(total, room sum)`` over non-negative ``room``."""
    lead = np.broadcast_shapes(total.shape, room.shape[:-1])
    k = room.shape[-1]
    flat = np.ascontiguousarray(np.broadcast_to(room, (*lead, k))).reshape(-1, k)
    out = np.zeros(flat.shape, dtype=np.int64)
    _fill_rows(np.ascontiguousarray(np.broadcast_to(total, lead)).ravel(), flat, out)
    return out.reshape((*lead, k))


def stochastic_round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Round non-negative ``x`` down or up at random so the mean is ``x``.

    ``u`` are uniforms shaped like the result; used to turn expected daily
    inflows into whole counts without bias.
    """
    base = np.floor(x)
    return (base + (u < (x - base))).astype(np.int64)


def take_oldest(ring: np.ndarray, cleared: np.ndarray, oldest: int) -> None:
    """Take ``cleared`` (shape ``ring.shape[:-1]``) out of ring buffer ``ring`` (in
    place), oldest slot first: slot ``oldest``, then ``oldest + 1``, ... (mod length).

    ``cleared`` never exceeds a row's total (callers place it with :func:`fill_up_to`).
    :data:`atlarge.engine.philox.COMPILED` selects a compiled walk along each row or the
    NumPy definition (a running sum capped at ``cleared``); integers, so they agree.
    """
    cleared = np.asarray(cleared, dtype=np.int64)
    if cleared.shape != ring.shape[:-1]:
        raise ValueError(
            f"cleared {cleared.shape} must be shaped like the ring's rows {ring.shape[:-1]}"
        )
    if philox.COMPILED and ring.flags.c_contiguous and ring.dtype == np.int64:
        flat = ring.reshape(-1, ring.shape[-1])
        _take_oldest_rows(flat, np.ascontiguousarray(cleared).reshape(-1), oldest)
        return
    _take_oldest_numpy(ring, cleared, oldest)


def _take_oldest_numpy(ring: np.ndarray, cleared: np.ndarray, oldest: int) -> None:
    """The definition: the ring read oldest first, its running sum capped at ``cleared``,
    and what each slot gave is the capped sum's step."""
    length = ring.shape[-1]
    order = (oldest + np.arange(length)) % length
    ordered = ring[..., order]
    taken = np.minimum(np.cumsum(ordered, axis=-1), cleared[..., None])
    ring[..., order] = ordered - np.diff(taken, axis=-1, prepend=0)


@njit(cache=True, nogil=True)
def _take_oldest_rows(ring, cleared, oldest):  # pragma: no cover - compiled
    length = ring.shape[1]
    for i in range(ring.shape[0]):
        left = cleared[i]
        j = 0
        while left > 0 and j < length:
            slot = (oldest + j) % length
            take = min(ring[i, slot], left)
            ring[i, slot] -= take
            left -= take
            j += 1
