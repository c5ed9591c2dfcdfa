"""Where work runs: in this process, a local process pool, or a Ray cluster.

One interface for chunks of replications (:mod:`atlarge.runs.replications`)
and for sweep points (:mod:`atlarge.runs.sweep`): :meth:`Executor.map` runs
``fn(*args)`` for each ``(key, args)`` and yields ``(key, result)`` as each
finishes, in whatever order. The numbers never depend on which executor or how
many workers ran them (each chunk's and each point's randomness comes from
its seed and replication indices only); callers place results by key.

Ray: ``executor="ray"`` starts a local Ray with ``workers`` CPUs; with an
``address`` (e.g. ``ray://head-node:10001``, or ``auto`` on a cluster node) it
joins an existing cluster, whose nodes need atlarge installed in the same
version (``pip install atlarge[ray]``).
"""

from __future__ import annotations

import contextlib
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any, TypeVar

from atlarge.errors import OptionError
from atlarge.runs.config import RunConfig
from atlarge.runs.pools import worker_pool

K = TypeVar("K")
Jobs = Sequence[tuple[K, tuple[Any, ...]]]


class Executor(ABC):
    """Runs a function over many argument tuples; see the module docstring."""

    workers: int = 1

    @abstractmethod
    def map(
        self, fn: Callable[..., Any], jobs: Jobs[K], *, ahead: int = 1
    ) -> Iterator[tuple[K, Any]]:
        """Yield ``(key, fn(*args))`` for each ``(key, args)`` of ``jobs`` as each finishes.

        A local pool submits at most ``ahead`` jobs per worker not yet taken back, so
        an interrupted run has little to give up and results waiting in memory stay
        few (Ray takes every job and schedules them itself). Closing the iterator
        early (Ctrl-C, an error in the caller) stops what is still running.
        """


class InProcess(Executor):
    """Everything in the calling process, one job after another, in order."""

    def map(
        self, fn: Callable[..., Any], jobs: Jobs[K], *, ahead: int = 1
    ) -> Iterator[tuple[K, Any]]:
        for key, args in jobs:
            yield key, fn(*args)


class LocalPool(Executor):
    """A process pool of ``workers`` on this machine (:func:`atlarge.runs.pools.worker_pool`:
    its workers never outlive the work or this process); in this process when one
    worker or one job would do."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(
        self, fn: Callable[..., Any], jobs: Jobs[K], *, ahead: int = 1
    ) -> Iterator[tuple[K, Any]]:
        if self.workers <= 1 or len(jobs) <= 1:
            yield from InProcess().map(fn, jobs)
            return
        with worker_pool(min(self.workers, len(jobs))) as pool:
            todo = iter(jobs)
            first = itertools.islice(todo, max(1, ahead) * self.workers)
            pending = {pool.submit(fn, *args): key for key, args in first}
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    key = pending.pop(fut)
                    for next_key, args in itertools.islice(todo, 1):
                        pending[pool.submit(fn, *args)] = next_key
                    yield key, fut.result()


class RayExecutor(Executor):
    """A local Ray with ``workers`` CPUs, or the Ray cluster at ``address``.

    Ray is started for each :meth:`map` unless it is running already, and shut
    down after; work not finished when the caller stops reading is cancelled
    (on a cluster not started here, Ray would otherwise keep running it).
    """

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def map(
        self, fn: Callable[..., Any], jobs: Jobs[K], *, ahead: int = 1
    ) -> Iterator[tuple[K, Any]]:
        try:
            import ray
        except ImportError:
            raise OptionError(
                "executor", "Ray is not installed: pip install 'atlarge[ray]'"
            ) from None
        started_here = not ray.is_initialized()
        if started_here:
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=self.workers, **kwargs)
        pending: dict[Any, K] = {}
        try:
            remote = ray.remote(num_cpus=1)(fn)
            pending = {remote.remote(*args): key for key, args in jobs}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    yield pending.pop(ref), ray.get(ref)
        finally:
            for ref in pending:
                with contextlib.suppress(Exception):  # already finished or gone
                    ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()


def executor_for(config: RunConfig) -> Executor:
    """The executor ``config`` asks for (its ``executor``, ``workers`` and ``address``)."""
    if config.executor == "ray":
        return RayExecutor(config.workers, config.address)
    return LocalPool(config.workers)
