"""Per-replication random streams that are vectorized over replications.

Every replication index ``i`` owns the ``SeedSequence`` child
``SeedSequence(seed, spawn_key=(i,))`` (the same child ``SeedSequence(seed).spawn``
would give as its ``i``-th). That child yields a 64-bit Philox key, and every
draw is addressed by a counter ``(element, step, stream, substream|attempt)``.
Hence a draw depends only on (seed, replication index, what is drawn) and
never on which other replications share the array: running replications as
one chunk or many gives bit-identical results.

The same child also seeds an ordinary ``numpy.random.Generator`` (Philox) for
once-per-replication draws made outside the daily loop, such as parameter
uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from atlarge.engine import philox

_MAX_SUBSTREAM = 1 << 16
_MAX_ATTEMPT = 1 << 16


def replication_seed_sequence(seed: int, rep: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` child owned by replication ``rep``."""
    return np.random.SeedSequence(seed, spawn_key=(int(rep),))


def replication_generator(seed: int, rep: int) -> np.random.Generator:
    """A NumPy ``Generator`` for once-per-replication draws of replication ``rep``."""
    return np.random.Generator(np.random.Philox(replication_seed_sequence(seed, rep)))


@dataclass(frozen=True)
class RandomStreams:
    """Counter-addressed uniforms for a block of replications.

    ``reps`` holds the global replication indices of the rows of every array
    this object fills; row ``j`` is always keyed by replication ``reps[j]``.
    """

    seed: int
    reps: np.ndarray
    key0: np.ndarray
    key1: np.ndarray
    _grids: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_replications(cls, seed: int, reps: np.ndarray | range | list[int]) -> RandomStreams:
        reps = np.asarray(reps, dtype=np.int64)
        if reps.ndim != 1:
            raise ValueError("reps must be a one-dimensional sequence of replication indices")
        if reps.size and reps.min() < 0:
            raise ValueError("replication indices must be non-negative")
        # Once per replication at set-up, not in the daily loop.
        states = [replication_seed_sequence(seed, r).generate_state(2, np.uint32) for r in reps]
        keys = np.array(states, dtype=np.uint64).reshape(len(reps), 2)
        return cls(seed=int(seed), reps=reps, key0=keys[:, 0].copy(), key1=keys[:, 1].copy())

    @property
    def n_reps(self) -> int:
        return int(self.reps.size)

    def pairs(
        self,
        row: np.ndarray,
        element: np.ndarray,
        step: int,
        stream: int,
        substream: int = 0,
        attempt: int | np.ndarray = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Two independent open-(0,1) uniforms for each ``(row, element[, attempt])``.

        ``row`` indexes this block's replications, ``element`` is the flat
        index of the draw within one replication's array, so it is the same
        whatever the block size. ``attempt`` (a number or an array like
        ``element``) numbers redraws of the same element by rejection samplers.
        """
        att = np.asarray(attempt, dtype=np.int64)
        if not 0 <= substream < _MAX_SUBSTREAM or att.min() < 0 or att.max() >= _MAX_ATTEMPT:
            raise ValueError("substream and attempt must lie in [0, 65536)")
        if step < 0 or stream < 0:
            raise ValueError("step and stream must be non-negative")
        row_b, element_b, att_b = np.broadcast_arrays(np.asarray(row), np.asarray(element), att)
        shape = element_b.shape
        u, v = philox.pairs(
            np.ascontiguousarray(element_b, dtype=np.uint64).ravel(),
            step & 0xFFFFFFFF,
            stream & 0xFFFFFFFF,
            (np.uint64(substream << 16) | att_b.astype(np.uint64)).ravel(),
            self.key0[row_b].ravel(),
            self.key1[row_b].ravel(),
        )
        return u.reshape(shape), v.reshape(shape)

    def uniform(self, shape: tuple[int, ...], step: int, stream: int, substream: int = 0):
        """Uniforms on (0, 1) shaped ``(n_reps, *shape)``."""
        row, element = self.grid(shape)
        u, _ = self.pairs(row.ravel(), element.ravel(), step, stream, substream)
        return u.reshape((self.n_reps, *shape))

    def grid(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Row and per-replication element indices for an array ``(n_reps, *shape)``."""
        cached = self._grids.get(shape)
        if cached is None:
            per_rep = int(np.prod(shape, dtype=np.int64))
            row = np.repeat(np.arange(self.n_reps, dtype=np.int64), per_rep)
            element = np.tile(np.arange(per_rep, dtype=np.uint64), self.n_reps)
            cached = self._grids[shape] = (row, element)
        return cached
