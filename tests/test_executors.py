"""One executor interface for chunks of replications and sweep points: the numbers do
not depend on which executor ran them."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from atlarge.model.inputs import build_inputs
from atlarge.runs.config import RunConfig
from atlarge.runs.executors import InProcess, LocalPool, RayExecutor, executor_for
from atlarge.runs.replications import run_replications
from tests.conftest import OPERATION, small_scenario


class _Ref:
    """A task's reference: hashable by identity, as Ray's are."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args


class _RunningFakeRay:
    """Ray's API as the executor uses it, running each task when its result is asked for
    (in reverse order of submission, so results come back out of order)."""

    def __init__(self):
        self.started = False
        self.cpus = None
        self.cancelled: list = []

    def is_initialized(self):
        return self.started

    def init(self, num_cpus=None, **_kw):
        self.started, self.cpus = True, num_cpus

    def remote(self, **_kw):
        def wrap(fn):
            class Remote:
                @staticmethod
                def remote(*args):
                    return _Ref(fn, args)

            return Remote

        return wrap

    def wait(self, refs, num_returns=1):
        return refs[-num_returns:], refs[:-num_returns]

    def get(self, ref):
        return ref.fn(*ref.args)

    def cancel(self, ref, force=False):
        self.cancelled.append(ref)  # asserted empty: a finished run has nothing to cancel

    def shutdown(self):
        self.started = False


@pytest.fixture(scope="module")
def inputs():
    return build_inputs(small_scenario(OPERATION, days=12))


def test_chunks_give_the_same_numbers_in_process_in_a_pool_and_on_ray(inputs, monkeypatch):
    fake = _RunningFakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    runs = {
        name: run_replications(inputs, 7, 5, chunk_size=2, executor=executor)
        for name, executor in {
            "in process": InProcess(),
            "pool of 2": LocalPool(2),
            "ray": RayExecutor(workers=2),
        }.items()
    }
    whole = run_replications(inputs, 7, 5, chunk_size=5)  # one chunk, no executor
    for name, series in runs.items():
        assert series.keys() == whole.keys(), name
        for k in whole:
            assert np.array_equal(series[k], whole[k]), (name, k)
    assert fake.cpus == 2 and not fake.started  # started for the run, shut down after
    assert fake.cancelled == []  # every point finished: nothing to cancel


def test_progress_counts_every_replication_once(inputs):
    seen = []
    run_replications(inputs, 1, 5, chunk_size=2, executor=LocalPool(2), progress=seen.append)
    assert sorted(seen) == [1, 2, 2]


def test_map_yields_each_key_once_whatever_the_order():
    jobs = [(f"k{i}", (i,)) for i in range(6)]
    for executor in (InProcess(), LocalPool(2)):
        assert dict(executor.map(abs, jobs)) == {f"k{i}": i for i in range(6)}


def test_the_config_names_the_executor():
    assert isinstance(executor_for(RunConfig(workers=3)), LocalPool)
    ray = executor_for(RunConfig(workers=3, executor="ray", address="auto"))
    assert isinstance(ray, RayExecutor) and (ray.workers, ray.address) == (3, "auto")
