"""Where sweep points run: in this process, a local process pool, or a Ray cluster.

Every executor runs the same function on the same arguments and yields
``(index, result)`` as points finish; the numbers never depend on which
executor or how many workers ran them (each point's randomness comes from its
seed and replication indices only).

Ray: ``--executor ray`` starts a local Ray with ``--workers`` CPUs; with
``--address ADDR`` (e.g. ``ray://head-node:10001`` or ``auto`` on a cluster
node) it joins an existing cluster, whose nodes need atlarge installed in the
same version (``pip install atlarge[ray]``).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from atlarge.errors import OptionError
from atlarge.pools import worker_pool

EXECUTORS = ("local", "ray")


def check_executor(executor: str, address: str | None) -> None:
    """Refuse unknown executors and an address without Ray, before any work or writing."""
    if executor not in EXECUTORS:
        raise OptionError("--executor", f"must be local or ray, got '{executor}'")
    if address is not None and executor != "ray":
        raise OptionError("--address", "goes with --executor ray")


def run_each(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[int, tuple[Any, ...]]],
    *,
    executor: str = "local",
    workers: int = 1,
    address: str | None = None,
) -> Iterator[tuple[int, Any]]:
    """Run ``fn(*args)`` for each ``(index, args)``; yield ``(index, result)`` as they finish."""
    check_executor(executor, address)
    if executor == "ray":
        yield from _ray(fn, jobs, workers, address)
    elif workers > 1 and len(jobs) > 1:
        # Points are submitted as workers free up, so an interrupted sweep has at
        # most one point per worker to give up; worker_pool stops the workers.
        with worker_pool(min(workers, len(jobs))) as pool:
            todo = iter(jobs)
            pending = {pool.submit(fn, *args): i for i, args in itertools.islice(todo, workers)}
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    i = pending.pop(fut)
                    for j, args in itertools.islice(todo, 1):
                        pending[pool.submit(fn, *args)] = j
                    yield i, fut.result()
    else:
        for i, args in jobs:
            yield i, fn(*args)


def _ray(fn, jobs, workers: int, address: str | None):
    try:
        import ray
    except ImportError:
        raise OptionError(
            "--executor", "Ray is not installed: pip install 'atlarge[ray]'"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
    pending: dict[Any, int] = {}
    try:
        remote = ray.remote(num_cpus=1)(fn)
        pending = {remote.remote(*args): i for i, args in jobs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                yield pending.pop(ref), ray.get(ref)
    finally:
        _cancel(ray, pending)
        if started_here:
            ray.shutdown()


def _cancel(ray: Any, pending: dict[Any, int]) -> None:
    """Cancel the points not finished (Ctrl-C, an error, the caller stopped reading).

    On a cluster that was not started here, Ray would otherwise keep running them.
    """
    for ref in pending:
        with contextlib.suppress(Exception):  # already finished or gone
            ray.cancel(ref, force=True)
