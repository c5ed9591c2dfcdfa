"""The notebook API: ``simulate`` and the result it returns.

It is the same path as the CLI: scenario -> model -> analysis -> report, so a
notebook and ``atlarge run`` give the same numbers for the same inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atlarge.analysis import summarize
from atlarge.analysis.per_replication import replication_columns
from atlarge.errors import OptionError
from atlarge.model import ModelOutput
from atlarge.report import render_report
from atlarge.report.brief import brief_markdown
from atlarge.report.exports import export_formats, file_writers
from atlarge.runs import write_out_dir, write_out_dir_or_elsewhere
from atlarge.runs.config import DEFAULT_CHUNK, RunConfig
from atlarge.runs.executors import executor_for
from atlarge.runs.replications import run_model
from atlarge.runs.resources import check_memory, run_estimate
from atlarge.runs.timeseries import daily_table
from atlarge.scenario import Scenario
from atlarge.scenario.diff import ParentChanges, changes_from_parent
from atlarge.scenario.uncertainty import check_uncertainty


def with_days(scenario: Scenario, days: int) -> Scenario:
    """The scenario run over another horizon: a change like any other
    (``Scenario.with_values``), so a horizon other than the file's is in the record of
    overrides and the report says what was run."""
    return scenario.with_values({"days": days}, reason="the run's horizon")


class Simulation:
    """Results of a run: labelled arrays inside, summaries and files on request."""

    def __init__(self, output: ModelOutput) -> None:
        self.output = output
        self.parent: ParentChanges | None = None
        """What the scenario file changes from the one it extends, for the report's
        "Changes from" table (:meth:`note_parent`); None: no table."""

    def note_parent(self, scenario_file: str | Path) -> None:
        """Show in the report what ``scenario_file`` (the file this run's scenario was
        loaded from) changes from the scenario it extends. A result does not know its
        file, so ``atlarge run`` (and a notebook) says it here."""
        self.parent = changes_from_parent(scenario_file)

    @property
    def scenario(self) -> Scenario:
        return self.output.scenario

    @cached_property
    def _summary(self) -> dict[str, Any]:
        return summarize(self.output)

    def summary(self) -> dict[str, Any]:
        """The dict written to ``summary.json``."""
        return self._summary

    def to_arrow(self) -> pa.Table:
        """The tidy daily table as Arrow (what ``timeseries.parquet`` holds), as the run's
        ``timeseries`` option kept it (see :func:`atlarge.runs.timeseries.daily_table`;
        ``none`` raises :class:`~atlarge.errors.OptionError`)."""
        return daily_table(self.output)

    def to_frame(self) -> pd.DataFrame:
        """The tidy daily table: one row per (rep, office, day) with ``timeseries="full"``,
        per (rep, day) with office ``"national"`` by default; one column per measure."""
        return self.to_arrow().to_pandas()

    def report(
        self,
        out_dir: str | Path,
        exports: str | Sequence[str] = (),
        *,
        sensitivity: dict[str, Any] | None = None,
    ) -> Path:
        """Write ``summary.json``, ``timeseries.parquet`` (unless the run kept none),
        ``replications.parquet`` (each KPI per replication), ``report.html``, ``brief.md``
        (the report's "In brief") and ``scenario.json``; with ``exports`` (``"csv"``,
        ``"xlsx"`` or both) also the KPI and office tables as ``kpis.csv`` and
        ``offices.csv`` or ``atlarge-results.xlsx`` (see :mod:`atlarge.report.exports`).

        The folder appears complete or not at all; see :mod:`atlarge.runs.outdir`.
        If it cannot be written, the error says so and the results stay here.
        ``sensitivity`` (a sensitivity.json of the scenario) tells the brief what drives
        the results.
        """
        writers = self._writers(export_formats(exports), sensitivity)
        try:
            return write_out_dir(out_dir, writers)
        except OptionError as exc:
            raise OptionError(
                exc.parameter,
                f"{exc.message} (the results are kept in this object: call .report() again "
                "with another folder)",
            ) from None

    def _writers(
        self, exports: Sequence[str] = (), sensitivity: dict[str, Any] | None = None
    ) -> dict[str, Callable[[Path], None]]:
        """What a run folder holds: file name -> function writing it (``exports``: the
        formats of :func:`~atlarge.report.exports.export_formats`, already checked)."""
        summary = self.summary()

        def write_summary(p: Path) -> None:
            p.write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")

        def write_parquet(p: Path) -> None:
            pq.write_table(self.to_arrow(), p, compression="zstd")

        def write_replications(p: Path) -> None:
            columns = replication_columns(self.output)
            pq.write_table(pa.table(columns), p, compression="zstd")

        def write_report(p: Path) -> None:
            p.write_text(
                render_report(self.output, summary, exports, sensitivity, self.parent),
                encoding="utf-8",
            )

        def write_brief(p: Path) -> None:
            p.write_text(brief_markdown(summary, sensitivity), encoding="utf-8")

        def write_scenario(p: Path) -> None:
            p.write_text(json.dumps(self.scenario.model_dump(mode="json"), indent=2) + "\n")

        table = {} if self.output.timeseries == "none" else {"timeseries.parquet": write_parquet}
        return {
            "summary.json": write_summary,
            **table,
            # One row per replication, one column per KPI (atlarge compare pairs them).
            "replications.parquet": write_replications,
            "report.html": write_report,
            "brief.md": write_brief,
            "scenario.json": write_scenario,
            **file_writers(summary, exports),
        }

    def write_or_keep(
        self,
        out_dir: str | Path,
        exports: Sequence[str] = (),
        *,
        sensitivity: dict[str, Any] | None = None,
    ) -> tuple[Path, str | None]:
        """Write the run to ``out_dir`` (with the tables of ``exports``, as
        :meth:`report` does), or to a temporary folder if that fails.

        Returns where it was written and, when that is not ``out_dir``, why.
        """
        writers = self._writers(export_formats(exports), sensitivity)
        return write_out_dir_or_elsewhere(out_dir, writers)

    @classmethod
    def run(
        cls,
        scenario: Scenario,
        config: RunConfig,
        *,
        progress: Callable[[int], None] | None = None,
        on_chunk: Callable[[ModelOutput], None] | None = None,
    ) -> Simulation:
        """Run ``scenario`` as ``config`` says (what :func:`simulate` does, for callers
        that hold a :class:`~atlarge.runs.config.RunConfig`: the CLI, the API).

        ``on_chunk`` is told the output of the replications finished so far, as
        :func:`~atlarge.runs.replications.run_model` says (for results shown as they
        arrive); the run's own results do not depend on it.

        Refused before it starts (:class:`~atlarge.errors.OptionError` naming the
        field) when its parameter draws cannot be whole, or when its estimated
        peak memory (simulation and the folder ``report`` writes) exceeds the
        limit (see :mod:`atlarge.runs.resources`).
        """
        if config.days is not None:
            scenario = with_days(scenario, config.days)
        if config.uncertainty_inner is not None:
            check_uncertainty(scenario, config.reps, config.uncertainty_inner)
        check_memory(
            run_estimate(scenario, config),
            parameter="reps",
            hint="use fewer `reps` or `days`",
            max_memory_gb=config.max_memory_gb,
        )
        if progress:
            progress(0)  # checks passed: the run starts
        out = run_model(
            scenario,
            config.reps,
            config.seed,
            chunk_size=config.chunk_size,
            executor=executor_for(config),
            progress=progress,
            uncertainty_inner=config.uncertainty_inner,
            timeseries=config.timeseries,
            on_chunk=on_chunk,
        )
        return cls(out)


def simulate(
    scenario: Scenario,
    reps: int = 200,
    seed: int = 1,
    *,
    days: int | None = None,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    uncertainty_inner: int | None = None,
    max_memory_gb: float | None = None,
    executor: str = "local",
    address: str | None = None,
    timeseries: str = "national",
) -> Simulation:
    """Run ``reps`` replications of ``scenario``; the same seed gives the same numbers.

    Replication ``i`` always draws from its own random stream, so ``workers``,
    ``executor`` and ``chunk_size`` change only speed and memory, never the
    results. With ``uncertainty_inner = J`` every ranged parameter is drawn too:
    replication ``i`` uses parameter draw ``i // J``. The options are those of
    :class:`~atlarge.runs.config.RunConfig`, checked the same way. ``timeseries``
    (``"full"``, ``"national"`` or ``"none"``) is what is kept of the daily series
    for :meth:`Simulation.to_frame` and ``timeseries.parquet``: per office, summed
    over offices, or nothing; the summary and the report do not depend on it.

    A run whose estimated peak memory (simulation and the folder ``report``
    writes) exceeds ``max_memory_gb`` (default: ``ATLARGE_MAX_MEMORY_GB``, else
    80% of the memory available now; ``math.inf`` for no limit) is refused
    before it starts (see :mod:`atlarge.runs.resources`).
    """
    config = RunConfig(
        reps=reps,
        seed=seed,
        days=days,
        uncertainty_inner=uncertainty_inner,
        workers=workers,
        executor=executor,
        address=address,
        max_memory_gb=max_memory_gb,
        chunk_size=chunk_size,
        timeseries=timeseries,
    )
    return Simulation.run(scenario, config, progress=progress)
