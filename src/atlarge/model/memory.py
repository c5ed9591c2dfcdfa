"""How much memory a model run takes, from the scenario's array shapes alone.

Nothing here runs the model: it counts the bytes of the arrays
:func:`atlarge.model.simulate.run_chunk` and the replication runner
(:func:`atlarge.runs.replications.run_jobs`) hold, so a run that will not fit
can be refused before it starts (see ``atlarge.runs.resources``, which adds
the tables written at the end and the machine's limit).

Per chunk of ``c`` replications ``run_chunk`` keeps one int32 recorder per
daily measure, ``(days, c, offices)`` for each office measure, ``(days, c,
offices, groups)`` for arrests by group and pools and ``(days, c, paths)`` for
path entries, and copies them once into replication-major order at the end:
twice the recorders at peak, plus the day's working arrays (with countries that
limit removals, the ``(c, offices, L)`` age buffer and its temporaries; with courts, the
``(c, offices, paths)`` detained docket and its temporaries). The chunk is then
reduced where it ran (``run_kept_chunk``: national and per-group totals per day,
office totals and maxima over days, path entries) and ``run_jobs`` copies each
finished chunk into the run's arrays, which hold every replication kept: the
reduced arrays always, the full series (the recorders' size per replication)
only with ``timeseries = "full"``.

A batch of sweep points (:func:`atlarge.model.batch.run_batch`) is one chunk of
``points * reps`` rows: the same peak for its rows, plus each point's inputs and the
stacked copy of those that differ (:meth:`RunShape.batch_peak_bytes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from atlarge.engine.philox import COMPILED
from atlarge.model.measures import GROUP_MEASURES, OFFICE_MEASURES
from atlarge.scenario import Scenario
from atlarge.scenario.budget import PURPOSES
from atlarge.scenario.offices import load_offices

RECORD_BYTES = 4  # int32 recorders
WORK_BYTES = 8  # float64 / int64 working arrays
WORK_ARRAYS_PER_GROUP = 16  # pool, allocation, hazard, arrests by channel, ... per group
WORK_ARRAYS_PER_SLOT = 8  # stock, exits, moves, ... per (rep, office, delay phase)
INPUT_ARRAYS_PER_OFFICE_DAY = 7  # effort (at large, custodial), target, processing, ...
INPUT_ARRAYS_PER_GROUP_DAY = 2  # priority, custodial group weights
INPUT_ARRAYS_PER_DAY = 12  # dates, guard, national target, beds, seats, collateral, ...
WORK_ARRAYS_PER_LIMIT_DAY = 1 if COMPILED else 5
"""The limited buffer, emptied oldest first by a compiled walk in place (its sum per
office is not per day); the NumPy definition adds an oldest-first copy, cumsum, taken and
diff."""
WORK_ARRAYS_PER_COURT_PATH = 6  # docket, exits kept and diverted, flattened, decided, ...
INPUT_ARRAYS_PER_OFFICE_DAY_COURTS = 1  # expected receipts from outside
SCENARIO_BYTES = 520_000  # a validated scenario per draw (0.37 MB measured: sources, weights;
# about 20 kB more with the courts' parameters, about 75 kB more with the 28 home-mission
# parameters and their sources)
INPUT_ARRAYS_PER_DAY_COURTS = 4  # judges' capacity, the detained docket's, order shares
SUMMARY_ARRAYS_PER_PURPOSE = 3  # daily costs, unfunded, a fiscal year's slice (analysis.budget)
SUMMARY_ARRAYS_PER_LINE = 4  # charged, merged per scenario line, cumulative, reached
INPUT_ARRAYS_PER_DAY_MONEY = 10  # lines open, beds bought, contract cost, hires, ...


@dataclass(frozen=True)
class RunShape:
    """The sizes that set a run's memory: horizon, offices, groups, paths, phases."""

    days: int
    offices: int
    groups: int
    paths: int
    slots: int
    window: int
    agencies: int
    limit_days: int = 0
    """Post-order limit ``L``: days of the limited buffer (0 without limited countries)."""
    courts: bool = False
    """Whether the scenario has immigration courts (a ``(c, offices, paths)`` docket)."""
    lines: int = 0
    """Funding lines as the ledger charges them (the scenario's and the plans' set-asides)."""

    @classmethod
    def of(cls, scenario: Scenario) -> RunShape:
        sc = scenario
        return cls(
            days=sc.days,
            offices=load_offices().subset(sc.offices.include).n,
            groups=len(sc.groups),
            paths=len(sc.dispositions),
            slots=sum(d.phases for d in sc.dispositions.values()),
            window=max(1, round(sc.targeting.pressure_window_days.value)),
            agencies=len(sc.workforce.deployed()),
            limit_days=(lc.limit_days if (lc := sc.transport.limited_countries) else 0),
            courts=sc.courts is not None,
            lines=(
                len(sc.budget.lines) + (sc.beds_plan is not None) + (sc.hiring_plan is not None)
                if sc.budget is not None
                else 0
            ),
        )

    @property
    def measures_per_rep_day(self) -> int:
        """Recorded int32 values per replication and day."""
        o = self.offices
        return len(OFFICE_MEASURES) * o + 2 * o * self.groups + self.paths

    def series_bytes(self, reps: int) -> int:
        """The daily series of ``reps`` replications as ``run_model`` returns them."""
        return reps * self.days * self.measures_per_rep_day * RECORD_BYTES

    def reduced_bytes(self, reps: int) -> int:
        """The reduced arrays of ``reps`` replications every run keeps
        (``reduce_series``): per office measure its national ``(days,)`` total (int64)
        and per office total (int64) and maximum (int32) over days; per group measure
        ``(groups, days)`` summed over offices (int64); path entries (int32)."""
        m, d = len(OFFICE_MEASURES), self.days
        per_rep = (
            m * d * WORK_BYTES
            + m * self.offices * (WORK_BYTES + RECORD_BYTES)
            + len(GROUP_MEASURES) * self.groups * d * WORK_BYTES
            + self.paths * d * RECORD_BYTES
        )
        return reps * per_rep

    def kept_bytes(self, reps: int, timeseries: str) -> int:
        """What ``run_model`` returns for ``reps`` replications: the reduced arrays, and
        the full series with ``timeseries = "full"``."""
        full = self.series_bytes(reps) if timeseries == "full" else 0
        return self.reduced_bytes(reps) + full

    def chunk_peak_bytes(self, reps: int) -> int:
        """Peak of one ``run_chunk`` call over ``reps`` replications."""
        per_rep_office = (
            WORK_ARRAYS_PER_GROUP * self.groups
            + WORK_ARRAYS_PER_SLOT * self.slots
            + WORK_ARRAYS_PER_LIMIT_DAY * self.limit_days
            + WORK_ARRAYS_PER_COURT_PATH * self.paths * self.courts
            + self.window
        )
        working = reps * self.offices * per_rep_office * WORK_BYTES
        return 2 * self.series_bytes(reps) + working

    def batch_peak_bytes(self, points: int, reps: int) -> int:
        """Peak of one batch of ``points`` sweep points of ``reps`` replications each in
        the worker running it: one chunk of ``points * reps`` rows, each point's inputs
        and their stacked copy (at most as large again), and one point's reduced arrays
        at a time (the points are reduced and summarised one after another)."""
        inputs = 2 * points * self.inputs_bytes() if points > 1 else self.inputs_bytes()
        return self.chunk_peak_bytes(points * reps) + inputs + self.reduced_bytes(reps)

    def inputs_bytes(self) -> int:
        """One parameter draw's deterministic arrays (``ModelInputs``)."""
        d, o = self.days, self.offices
        per_day = (
            (INPUT_ARRAYS_PER_OFFICE_DAY + INPUT_ARRAYS_PER_OFFICE_DAY_COURTS * self.courts) * o
            + (o + INPUT_ARRAYS_PER_GROUP_DAY) * self.groups
            + self.paths
            + INPUT_ARRAYS_PER_DAY
            + INPUT_ARRAYS_PER_DAY_COURTS * self.courts
        )
        money = (INPUT_ARRAYS_PER_DAY_MONEY + self.lines) * (self.lines > 0)
        return d * (per_day + self.agencies + money) * WORK_BYTES + SCENARIO_BYTES

    def summary_bytes(self, reps: int) -> int:
        """The ``(reps, days)`` outlays the summary charges to funding lines
        (``analysis.budget``); the national totals it reads are in :meth:`reduced_bytes`."""
        budget = SUMMARY_ARRAYS_PER_PURPOSE * len(PURPOSES) + SUMMARY_ARRAYS_PER_LINE * self.lines
        return reps * self.days * budget * WORK_BYTES


def run_peaks(
    shape: RunShape,
    reps: int,
    *,
    chunk_size: int,
    workers: int,
    inner: int | None = None,
    timeseries: str = "national",
) -> tuple[int, int, int]:
    """Peak bytes of ``run_model`` in the calling process and in each pool worker,
    and the number of pool workers (0: everything runs in the calling process).

    Chunks hold at most ``chunk_size`` replications of one parameter draw
    (``inner`` replications each with uncertainty). With one chunk ``run_jobs``
    returns the chunk's arrays as the run's. With more, the calling process
    holds the run's arrays, each draw's inputs and, with ``workers > 1``, the
    chunks received and not yet copied in (at most two per worker); each
    worker computes one chunk at a time and sends it back pickled (a copy made
    once the recorders are freed, so under the chunk's own peak). What the run
    and each chunk sent back hold follows ``timeseries`` (:meth:`RunShape.kept_bytes`).
    """
    per_draw = min(inner, reps) if inner else reps
    draws = -(-reps // per_draw)
    chunk = max(1, min(chunk_size, per_draw))
    n_chunks = draws * -(-per_draw // chunk)
    inputs = (draws + (1 if inner else 0)) * shape.inputs_bytes()  # draws and the base
    if n_chunks == 1:
        return shape.chunk_peak_bytes(chunk) + inputs, 0, 0
    held = shape.kept_bytes(reps, timeseries) + inputs
    if workers <= 1:
        return held + shape.chunk_peak_bytes(chunk), 0, 0
    n_workers = min(workers, n_chunks)
    in_flight = min(2 * workers, n_chunks)
    worker = shape.chunk_peak_bytes(chunk) + shape.inputs_bytes()
    return held + (in_flight + 1) * shape.kept_bytes(chunk, timeseries), worker, n_workers
