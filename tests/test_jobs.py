"""The job queue used from Python, without the API."""

from __future__ import annotations

import doctest
import threading

import pytest

import atlarge.runs.jobs as jobs_module
from atlarge.errors import OptionError
from atlarge.runs.jobs import JobNotFinished, JobNotFound, JobQueue, QueueFull
from atlarge.runs.resources import Estimate
from tests.conftest import ROOT


def _counting(n: int, gate: threading.Event | None = None):
    def work(progress):
        for _ in range(n):
            if gate is not None:
                gate.wait(10)
            progress(1)
        return n * 10

    return work


def test_the_docstring_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(jobs_module, raise_on_error=False)
    assert result.attempted >= 5 and result.failed == 0


def test_submit_wait_progress_and_result():
    queue = JobQueue(max_jobs=2)
    try:
        job = queue.submit(_counting(3), total=3, label="three")
        assert queue.wait(job.id, timeout=10).state == "done"
        assert queue.progress(job.id) == (3, 3)
        assert queue.result(job.id) == 30
        assert [j.id for j in queue.jobs()] == [job.id]
        with pytest.raises(JobNotFound):
            queue.status("nope")
    finally:
        queue.close()


def test_bounded_by_jobs_and_by_memory(monkeypatch):
    monkeypatch.setenv("ATLARGE_MAX_MEMORY_GB", "1")
    gate = threading.Event()
    queue = JobQueue(max_jobs=2)
    try:
        first = queue.submit(_counting(1, gate), total=1, estimate=Estimate(600_000_000, "a"))
        with pytest.raises(OptionError, match="for runs under way") as err:
            queue.submit(_counting(1), total=1, estimate=Estimate(600_000_000, "b"))
        assert err.value.parameter == "reps"
        queue.submit(_counting(1, gate), total=1)
        with pytest.raises(QueueFull):
            queue.submit(_counting(1), total=1)
        gate.set()
        assert queue.wait(first.id, timeout=10).state == "done"
        queue.submit(_counting(1), total=1, estimate=Estimate(600_000_000, "c"))  # freed
    finally:
        gate.set()
        queue.close()


def test_cancel_a_running_and_a_queued_job():
    gate = threading.Event()
    queue = JobQueue(max_jobs=2)
    running = queue.submit(_counting(5, gate), total=5)
    try:
        # a queue of one thread: the second job waits for the first
        one = JobQueue(max_jobs=2)
        one._pool._max_workers = 1
        blocker = one.submit(_counting(1, gate), total=1)
        waiting = one.submit(_counting(1), total=1)
        assert one.cancel(waiting.id) and one.status(waiting.id).state == "cancelled"
        assert queue.cancel(running.id)
        gate.set()
        assert queue.wait(running.id, timeout=10).state == "cancelled"
        assert queue.status(running.id).done <= 1  # stopped at its next progress call
        with pytest.raises(JobNotFinished):
            queue.result(running.id)
        assert one.wait(blocker.id, timeout=10).state == "done"
        assert not one.cancel(blocker.id)  # ended: nothing to cancel
        one.close()
    finally:
        gate.set()
        queue.close()


def test_a_failing_job_says_why_and_close_stops_the_rest():
    def bad(_progress):
        raise OptionError("reps", "must be at least 1, got 0")

    queue = JobQueue()
    job = queue.wait(queue.submit(bad, total=1).id, timeout=10)
    assert job.state == "failed" and job.error == "reps: must be at least 1, got 0"
    gate = threading.Event()
    running = queue.submit(_counting(3, gate), total=3)
    queue.close("closed by the test")
    gate.set()
    assert queue.wait(running.id, timeout=10).state == "cancelled"
    assert running.error == "closed by the test"
    with pytest.raises(QueueFull):
        queue.submit(_counting(1), total=1)
