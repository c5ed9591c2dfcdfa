"""A bounded queue of background jobs: submit, status, progress, cancel, results.

The HTTP API runs every simulation through one :class:`JobQueue`; a notebook or
script can use the same queue to run several things in the background::

    >>> import atlarge
    >>> from atlarge.runs.jobs import JobQueue
    >>> sc = atlarge.load_scenario("scenarios/baseline-2024.toml", set={"days": 10})
    >>> queue = JobQueue(max_jobs=2)
    >>> job = queue.submit(lambda progress: atlarge.simulate(sc, reps=4, progress=progress),
    ...                    total=4, label="baseline, 10 days")
    >>> queue.wait(job.id).state
    'done'
    >>> queue.status(job.id).done, queue.status(job.id).total
    (4, 4)
    >>> queue.result(job.id).summary()["reps"]
    4
    >>> queue.close()

A job is any function of one argument, ``progress``, which it calls with the
number of units (replications) finished since its last call; the queue counts
them, and stops a job that was cancelled (or whose queue was closed) at its next
call. The queue is bounded twice: at most ``max_jobs`` jobs queued or running
at once (:class:`QueueFull` beyond), and, when a job is submitted with its
memory estimate, the estimates of jobs not finished count against the memory
limit (:func:`atlarge.runs.resources.check_memory`). Finished jobs are kept,
newest ``keep`` of them, for their results.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from atlarge.errors import AtlargeInputError
from atlarge.runs.resources import RAISE_LIMIT, Estimate, check_memory

State = Literal["queued", "running", "done", "failed", "cancelled"]
Work = Callable[[Callable[[int], None]], Any]


class QueueFull(Exception):
    """As many jobs as the queue allows are queued or running; try again later."""


class JobNotFound(KeyError):
    """No job with this id (never submitted, or finished and dropped since)."""


class JobNotFinished(Exception):
    """The job has no result (yet): it is queued, running, failed or cancelled."""


class Stopped(BaseException):
    """Raised inside a job at its next progress call once it is cancelled.

    A ``BaseException``, so that a job's own ``except Exception`` does not catch it.
    """


@dataclass
class Job:
    """One job: what it is, how far it got, and its result or why there is none.

    ``error`` says why a job failed or was cancelled; ``exception`` is the error a
    failed job raised (for a front end to show in its own words).
    """

    id: str
    total: int
    label: str = ""
    state: State = "queued"
    done: int = 0
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)
    result: Any = field(default=None, repr=False)
    reserved: int = field(default=0, repr=False)
    _stop: str | None = field(default=None, repr=False)
    _future: Future | None = field(default=None, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


class JobQueue:
    """Jobs run in ``max_jobs`` background threads; see the module docstring.

    ``memory_hint`` and ``raise_limit`` end the refusal of a job that would not fit
    in memory (what to ask for instead; how the limit is raised).
    """

    def __init__(
        self,
        max_jobs: int = 2,
        *,
        keep: int = 50,
        memory_hint: str = "use fewer `reps` or `days`",
        raise_limit: str = RAISE_LIMIT,
    ) -> None:
        if max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        self.max_jobs = max_jobs
        self.keep = keep
        self.memory_hint = memory_hint
        self.raise_limit = raise_limit
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="atlarge-job")
        self._closed = False

    # -- submitting ---------------------------------------------------------------------

    def submit(
        self,
        work: Work,
        *,
        total: int,
        label: str = "",
        estimate: Estimate | None = None,
    ) -> Job:
        """Queue ``work``; return its job at once.

        Raises :class:`QueueFull` when ``max_jobs`` jobs are queued or running, and
        :class:`~atlarge.errors.OptionError` (naming ``reps``) when ``estimate``
        does not fit in the memory left by the jobs not finished.
        """
        with self._lock:
            if self._closed:
                raise QueueFull("the queue is closed")
            active = sum(j.active for j in self._jobs.values())
            if active >= self.max_jobs:
                raise QueueFull(f"{active} jobs already queued or running; try again later")
            check_memory(
                estimate,
                parameter="reps",
                hint=self.memory_hint,
                override=self.raise_limit,
                reserved=sum(j.reserved for j in self._jobs.values() if j.active),
            )
            job = Job(
                id=uuid.uuid4().hex[:12],
                total=total,
                label=label,
                reserved=estimate.peak if estimate else 0,
            )
            self._jobs[job.id] = job
            self._drop_old()
            job._future = self._pool.submit(self._run, job, work)
        return job

    def _drop_old(self) -> None:
        while len(self._jobs) > self.keep:
            oldest = next(iter(self._jobs.values()))
            if oldest.active:
                break
            self._jobs.popitem(last=False)

    def _run(self, job: Job, work: Work) -> None:
        def progress(n: int) -> None:
            if job._stop is not None:
                raise Stopped
            with self._lock:
                job.done += n

        try:
            with self._lock:
                if job._stop is not None:
                    raise Stopped
                job.state = "running"
            job.result = work(progress)
            job.state = "done"
        except Stopped:
            job.state, job.error = "cancelled", job._stop
        except AtlargeInputError as exc:
            job.state, job.error, job.exception = "failed", str(exc), exc
        except Exception as exc:
            job.state, job.error, job.exception = "failed", "internal error", exc
        finally:
            job.reserved = 0
            job._finished.set()

    # -- asking -------------------------------------------------------------------------

    def status(self, job_id: str) -> Job:
        """The job (its ``state``, ``done`` of ``total``, ``error``); :class:`JobNotFound`."""
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def progress(self, job_id: str) -> tuple[int, int]:
        """Units done and asked for."""
        job = self.status(job_id)
        return job.done, job.total

    def jobs(self) -> list[Job]:
        """The jobs kept, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def result(self, job_id: str) -> Any:
        """What the job's work returned; :class:`JobNotFinished` unless it is done."""
        job = self.status(job_id)
        if job.state != "done":
            raise JobNotFinished(f"job '{job_id}' is {job.state}")
        return job.result

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """The job once it has ended (done, failed or cancelled), or as it is at ``timeout``."""
        job = self.status(job_id)
        job._finished.wait(timeout)
        return job

    # -- stopping -----------------------------------------------------------------------

    def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        """Stop the job: at once if queued, at its next progress call if running.

        Returns False when it had ended already.
        """
        job = self.status(job_id)
        with self._lock:
            if not job.active:
                return False
            job._stop = reason
            if job._future is not None and job._future.cancel():  # never started
                job.state, job.error, job.reserved = "cancelled", reason, 0
                job._finished.set()
        return True

    def close(self, reason: str = "the queue was closed before the job finished") -> None:
        """Cancel every job not ended and take no more; returns without waiting for them."""
        with self._lock:
            self._closed = True
            active = [j.id for j in self._jobs.values() if j.active]
        for job_id in active:
            self.cancel(job_id, reason)
        self._pool.shutdown(wait=False, cancel_futures=True)
