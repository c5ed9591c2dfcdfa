"""Cohort delays as discrete phase-type chains, sampled by binomial thinning.

A delay with mean ``m`` days and ``k`` phases is the sum of ``k`` geometric
stays of mean ``m / k`` days each: every day each phase releases
``Binomial(stock, k / m)`` of its counts to the next phase, and the last phase
releases them from the chain. The total delay is then a shifted negative
binomial with mean ``m`` and coefficient of variation ``sqrt((1 - k/m) / k)``
(one phase: geometric, CV near 1; more phases: tighter). Mixtures of chains
(one per path through a system) give long right tails.

Why phases rather than a full exit-day calendar: a calendar needs one
multinomial category per possible day of exit (hundreds), a chain needs ``k``
binomials per unit and day (``k`` of one to four), which keeps a daily step
over thousands of replications to a few array operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlarge.engine.rng import RandomStreams
from atlarge.engine.samplers import binomial


@dataclass(frozen=True)
class PhaseChains:
    """Several delay chains laid out side by side on one phase axis.

    ``means[c]`` and ``phases[c]`` describe chain ``c``. Stocks are arrays
    ``(reps, units, n_phase_slots)``; ``first[c]`` and ``last[c]`` are the slot
    indices of chain ``c``'s first and last phase.
    """

    means: tuple[float, ...]
    phases: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.means) != len(self.phases):
            raise ValueError("means and phases must have the same length")
        for m, k in zip(self.means, self.phases, strict=True):
            if k < 1:
                raise ValueError("each chain needs at least one phase")
            if m < k:
                raise ValueError(f"a chain with {k} phases needs a mean of at least {k} days")

    @property
    def n_chains(self) -> int:
        return len(self.means)

    @property
    def n_slots(self) -> int:
        return int(sum(self.phases))

    @property
    def first(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.phases)[:-1]]).astype(np.int64)

    @property
    def last(self) -> np.ndarray:
        return (np.cumsum(self.phases) - 1).astype(np.int64)

    def exit_probability(self, scale: np.ndarray | float = 1.0) -> np.ndarray:
        """Per-slot daily exit probability ``k / m`` (``scale`` stretches the means)."""
        per_slot = np.repeat(
            [k / m for m, k in zip(self.means, self.phases, strict=True)], self.phases
        )
        return np.clip(per_slot / np.asarray(scale, dtype=np.float64)[..., None], 0.0, 1.0)

    def steady_state_split(self, chain_shares: np.ndarray) -> np.ndarray:
        """Share of a steady-state population in each slot, given entry shares.

        By Little's law each chain holds ``share * mean`` and its phases hold
        equal parts; used to lay out an initial population.
        """
        chain_shares = np.asarray(chain_shares, dtype=np.float64)
        mass = chain_shares * np.asarray(self.means)
        per_slot = np.repeat(mass / np.asarray(self.phases), self.phases)
        return per_slot / per_slot.sum()

    def step(
        self,
        stock: np.ndarray,
        exit_p: np.ndarray,
        streams: RandomStreams,
        step: int,
        stream: int,
    ) -> np.ndarray:
        """Advance ``stock`` (``(reps, units, slots)``, modified in place) by one day.

        Returns the counts that left each chain today, ``(reps, units, chains)``.
        Moves are computed from the stock at the start of the day, so a count
        spends at least one day in each phase.
        """
        moved = binomial(streams, stock, exit_p, step, stream)
        stock -= moved
        last = self.last
        inner = np.setdiff1d(np.arange(self.n_slots), last)
        stock[..., inner + 1] += moved[..., inner]
        return moved[..., last]
