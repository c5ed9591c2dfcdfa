"""Process pools whose workers never outlive the work or the process that started them.

Every process pool in atlarge comes from :func:`worker_pool`:

- each worker runs a watchdog thread that checks twice a second that the
  process that started it is still its parent, and exits at once when it is
  not (the parent was killed, even with ``kill -9``; a parent-death signal
  would not do, as it fires when the *thread* that forked exits, and the API
  runs pools from background threads);
- workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent
  decides) and die on SIGTERM;
- when the ``with`` block ends with an exception (Ctrl-C, SIGTERM turned into
  an exception by the CLI, an error in a worker, a generator closed early),
  pending work is cancelled and the workers are killed instead of waiting for
  every submitted task to finish.

Imports only the standard library; the executors (:mod:`atlarge.runs.executors`) and the
SimPy reference model use it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

WATCH_SECONDS = 0.5
"""How often a worker checks that its parent is alive."""


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def init_worker(parent: int) -> None:
    """Pool initializer: die with ``parent``; leave Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent,), name="atlarge-parent-watch", daemon=True
    ).start()


def stop_workers(pool: ProcessPoolExecutor, timeout: float = 2.0) -> None:
    """Cancel what has not started and kill the workers; return once they are gone.

    Also waits for the executor's manager thread, which sees the killed workers and
    closes its wake-up pipe. Left running, it can close that pipe while the
    interpreter's exit hook (``concurrent.futures.process._python_exit``) is writing
    to it: an ``OSError: Bad file descriptor`` traceback after the command has
    already said it stopped (CPython 3.11 takes no lock there).
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.kill()
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    if manager is not None and manager is not threading.current_thread():
        manager.join(max(0.0, deadline - time.monotonic()))


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool of ``workers`` processes, stopped at once if the block fails."""
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=init_worker, initargs=(os.getpid(),)
    )
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        stop_workers(pool)
        raise
