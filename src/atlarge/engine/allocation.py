"""Hard capacities and whole-count allocation, vectorized over replications.

Counts are integers; when a total must be shared out (seats over queues,
overflow over free capacity, a national quantity over units) the shares are
rounded by the largest-remainder method so that they add up exactly and
never exceed what each unit can take.
"""

from __future__ import annotations

import numpy as np


def largest_remainder(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``total`` (shape ``(...)``) over the last axis of ``weights``.

    Returns integers shaped like ``weights`` that sum to ``total`` exactly,
    proportional to ``weights`` up to rounding; rows whose weights sum to
    zero receive nothing. Ties in the remainders go to the lower index, so the
    result is deterministic.
    """
    weights = np.asarray(weights, dtype=np.float64)
    total = np.asarray(total, dtype=np.int64)
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


def stochastic_round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Round non-negative ``x`` down or up at random so the mean is ``x``.

    ``u`` are uniforms shaped like the result; used to turn expected daily
    inflows into whole counts without bias.
    """
    base = np.floor(x)
    return (base + (u < (x - base))).astype(np.int64)
