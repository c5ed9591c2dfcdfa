"""How to run a scenario: one options object for ``run``, sweeps, sensitivity and the API.

:class:`RunConfig` carries the run options every way of running shares
(replications, seed, horizon, parameter draws, where replications run, the
memory limit) through the layers, instead of the same keyword list threaded
through several signatures. It is checked once, when it is made; a bad value
raises :class:`~atlarge.errors.OptionError` naming the field, which the CLI
shows as its flag and the API as its JSON field.

Which scenario runs (the file and its overrides) is not part of it: the
caller loads the scenario, and ``days`` is applied to it as a change like an
override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from atlarge.errors import OptionError

MAX_SEED = 2**63 - 1
"""Largest seed: the results store's BIGINT column; the CLI and the API take the same range."""
MAX_DAYS = 3650  # as the scenario schema
EXECUTORS = ("local", "ray")
TIMESERIES = ("full", "national", "none")
"""What a run keeps of its daily series (as ``atlarge.model.output.TIMESERIES``)."""
DEFAULT_CHUNK = 100
"""Replications per chunk: memory and progress steps only, never the numbers."""


@dataclass(frozen=True)
class RunConfig:
    """The options of one run (or of every point of a sweep); frozen and checked when made.

    ``days`` (``None``: the scenario's) is the horizon. ``uncertainty_inner = J``
    also draws every ranged parameter: replication ``i`` uses draw ``i // J``.
    ``executor`` is ``"local"`` (this process with ``workers == 1``, else a
    process pool) or ``"ray"`` (a local Ray with ``workers`` CPUs, or the
    cluster at ``address``). ``max_memory_gb`` is the memory limit (``None``:
    ``ATLARGE_MAX_MEMORY_GB`` or 80% of the memory available; ``math.inf``: no
    check). ``chunk_size`` sets memory and progress steps, never the numbers.
    ``timeseries`` is what the run keeps of its daily series and writes to
    ``timeseries.parquet``: ``"full"`` every (replication, office, day);
    ``"national"`` one row per (replication, day), summed over offices; ``"none"``
    no table. Summaries and the report are the same in every mode.
    """

    reps: int = 200
    seed: int = 1
    days: int | None = None
    uncertainty_inner: int | None = None
    workers: int = 1
    executor: str = "local"
    address: str | None = None
    max_memory_gb: float | None = None
    chunk_size: int = DEFAULT_CHUNK
    timeseries: str = "national"

    def __post_init__(self) -> None:
        _at_least("reps", self.reps, 1)
        if not 0 <= self.seed <= MAX_SEED:
            raise OptionError("seed", f"must be between 0 and 2**63-1, got {self.seed}")
        if self.days is not None and not 1 <= self.days <= MAX_DAYS:
            raise OptionError("days", f"must be between 1 and {MAX_DAYS}, got {self.days}")
        if self.uncertainty_inner is not None:
            _at_least("uncertainty_inner", self.uncertainty_inner, 1)
        _at_least("workers", self.workers, 1)
        _at_least("chunk_size", self.chunk_size, 1)
        if self.executor not in EXECUTORS:
            raise OptionError("executor", f"must be local or ray, got '{self.executor}'")
        if self.address is not None and self.executor != "ray":
            raise OptionError("address", "goes with `executor` ray")
        if self.timeseries not in TIMESERIES:
            raise OptionError(
                "timeseries", f"must be full, national or none, got '{self.timeseries}'"
            )
        gb = self.max_memory_gb
        if gb is not None and (math.isnan(gb) or gb <= 0):
            raise OptionError("max_memory_gb", f"must be a positive number of GB, got {gb}")

    @property
    def remote(self) -> bool:
        """True when replications run on a Ray cluster elsewhere (not this machine's memory)."""
        return self.executor == "ray" and self.address is not None


def _at_least(name: str, value: int, low: int) -> None:
    if value < low:
        raise OptionError(name, f"must be at least {low}, got {value}")
