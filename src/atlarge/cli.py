"""Command line: parse, call the layers below, print. Nothing else lives here.

Exit codes: 0 success, 2 bad input (scenario, flags), 1 internal error.

The layers below name parameters (``reps``, ``out_dir``); :data:`FLAGS` is the one
table that turns them into this command line's flags when an error is printed.
``run``, ``sweep`` and ``sensitivity`` share their run options (declared once
below) and build one :class:`~atlarge.runs.config.RunConfig` from them.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from atlarge._version import __version__
from atlarge.errors import (
    AtlargeInputError,
    AtlargeWarning,
    OptionError,
    ScenarioError,
    render_names,
    why_not_a_file,
)
from atlarge.runs.config import MAX_DAYS, MAX_SEED, RunConfig

FLAGS = {
    "reps": "--reps",
    "seed": "--seed",
    "days": "--days",
    "sets": "--set",
    "uncertainty": "--uncertainty",
    "uncertainty_inner": "--inner",
    "workers": "--workers",
    "executor": "--executor",
    "address": "--address",
    "max_memory_gb": "--max-memory",
    "timeseries": "--timeseries",
    "out_dir": "--out",
    "exports": "--export",
    "out": "--out",
    "db": "--db",
    "vary": "--vary",
    "design": "--design",
    "samples": "--samples",
    "method": "--method",
    "outputs": "--outputs",
    "json": "--json",
    "scenario_out": "--scenario-out",
    "token_file": "--token-file",
    "host": "--host",
    "insecure_no_token": "--insecure-no-token",
    "run_a": "RUN_A",
    "run_b": "RUN_B",
}
"""Parameter (as the layers below name it) -> the flag that sets it here."""
SET_SHOWN = "command line (--set)"
"""Where an error in a ``--set`` override is said to come from."""

MAX_WORKERS = 256
MAX_INNER = 100_000  # replications per parameter draw
MAX_SAMPLES = 10_000  # as the cap on a design's points


def _no_metavar_for_flags() -> None:
    """Typer's rich help shows a value type after every option, so a flag that takes
    no value (--quiet, --help) reads ``--quiet <bool>``; show none for flags."""
    from typer.core import TyperOption

    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "_atlarge_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._atlarge_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_no_metavar_for_flags()


def _seed(value: int | None) -> int | None:
    if value is not None and value > MAX_SEED:
        raise typer.BadParameter(f"must be at most 2**63-1 ({MAX_SEED}), got {value}")
    return value


# -- the run options of run, sweep and sensitivity, declared once ----------------------------

RepsOpt = Annotated[
    int, typer.Option(min=1, help="Replications (of each point, in sweep and sensitivity).")
]
SeedOpt = Annotated[int, typer.Option(min=0, callback=_seed, help="Random seed (0 to 2**63-1).")]
DaysOpt = Annotated[
    int | None,
    typer.Option(min=1, max=MAX_DAYS, help="Horizon in days (default: the scenario's)."),
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")
]
UncertaintyOpt = Annotated[
    bool,
    typer.Option(
        "--uncertainty",
        help="Draw every ranged parameter too (outer draws x inner replications; run: the "
        "default unless --fixed).",
    ),
]
FixedOpt = Annotated[
    bool,
    typer.Option(
        "--fixed",
        help="Hold every parameter at its value: bands of chance alone (default: parameter "
        "draws x replications).",
    ),
]
InnerOpt = Annotated[
    int,
    typer.Option(min=1, max=MAX_INNER, help="With --uncertainty: replications per parameter draw."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, max=MAX_WORKERS, help="Processes (default: one per core)."),
]
ExecutorOpt = Annotated[str, typer.Option(help="local (process pool) or ray.")]
AddressOpt = Annotated[
    str | None,
    typer.Option(help="With --executor ray: an existing cluster (default: start a local Ray)."),
]
MaxMemoryOpt = Annotated[
    float | None,
    typer.Option(
        "--max-memory",
        help="Refuse to start when the estimated peak memory is above this many GB "
        "(default: $ATLARGE_MAX_MEMORY_GB, else 80% of the memory available; inf: no check).",
    ),
]
TimeseriesOpt = Annotated[
    str,
    typer.Option(
        help="What timeseries.parquet keeps: full (one row per replication, office and day; "
        "memory grows with offices x days x replications), national (one row per replication "
        "and day, summed over offices, office = national) or none (no file). summary.json and "
        "report.html are the same in every mode.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]
DbOpt = Annotated[Path, typer.Option(help="Results store.")]


def _run_config(
    *,
    reps: int,
    seed: int,
    days: int | None,
    workers: int | None,
    executor: str,
    address: str | None,
    max_memory: float | None,
    inner: int | None = None,
    timeseries: str = "national",
) -> RunConfig:
    """The run options as one :class:`RunConfig` (workers: one per core unless given)."""
    return RunConfig(
        reps=reps,
        seed=seed,
        days=days,
        uncertainty_inner=inner,
        workers=_workers(workers),
        executor=executor,
        address=address,
        max_memory_gb=max_memory,
        timeseries=timeseries,
    )


app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="atlarge: simulate large-scale immigration enforcement operations (aggregates only).",
)
out_console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate large-scale immigration enforcement operations (aggregate counts only)."""


def _workers(requested: int | None) -> int:
    """Processes to use: as asked, or one per core (at most 8)."""
    return requested or max(1, min(os.cpu_count() or 1, 8))


class _LazyProgress(Progress):
    """Progress that appears with its first task: a command refused before it starts
    prints its error alone."""

    def __enter__(self) -> _LazyProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live.is_started:
            self.stop()

    def add_task(self, *args: Any, **kwargs: Any) -> TaskID:
        if not self.live.is_started:
            self.start()
        return super().add_task(*args, **kwargs)


def _bar(quiet: bool, *columns: Any) -> Progress:
    """The progress bar of long commands, on stderr; silent with --quiet. After the
    description, bar and count come ``columns`` (default: the time elapsed)."""
    return _LazyProgress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *(columns or (TimeElapsedColumn(),)),
        console=err_console,
        disable=quiet,
    )


def _check_scenario_option(scenario: Path) -> None:
    """``--scenario`` of bench, calibrate and backtest (defaults to a path in the project)."""
    if not scenario.is_file():
        what = why_not_a_file(scenario)
        raise OptionError(
            "--scenario",
            f"'{scenario}' {what} (run from the project folder or name a scenario file)",
        )


def _check_year_memory(base, reps: int) -> None:
    """Backtest and calibration simulate one fiscal year at a time, as one chunk, here."""
    from atlarge.runs.resources import check_memory, run_estimate

    year = RunConfig(reps=reps, chunk_size=reps)
    check_memory(run_estimate(base, year, tables=False), parameter="reps", hint="use fewer `reps`")


def _warn(message: str | None) -> None:
    """A one-line warning on stderr (nothing for None)."""
    if message:
        text = render_names(message, FLAGS)
        err_console.print(Text.assemble(("warning", "bold yellow"), ": ", text), soft_wrap=True)


def _task(bar: Progress, description: str, **kwargs: Any) -> Callable[[], TaskID]:
    """A bar task added on first use, so a run refused before it starts shows no bar."""
    ids: list[TaskID] = []

    def get() -> TaskID:
        if not ids:
            ids.append(bar.add_task(description, **kwargs))
        return ids[0]

    return get


def _parse_sets(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        path, sep, value = item.partition("=")
        if not sep or not path.strip() or not value.strip():
            raise OptionError("--set", f"expected PATH=VALUE, got '{item}'")
        out[path.strip()] = value.strip()
    return out


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE.")] = None,
) -> None:
    """Check a scenario file; exit 0 if valid, 2 with the file, field and problem if not."""
    from atlarge.scenario import iter_params, load_scenario, scenario_sha256
    from atlarge.scenario.schedules import scenario_warnings

    sc = load_scenario(scenario, set=_parse_sets(set_))
    for warning in scenario_warnings(sc):
        err_console.print(Text(f"warning: {scenario}: {warning}"), soft_wrap=True)
    params = list(iter_params(sc))
    n_assume = sum(p.assumption for _, p in params)
    out_console.print(
        f"[green]valid[/green]: {scenario} — '{sc.name}', {len(params)} parameters "
        f"({n_assume} assumptions), sha256 {scenario_sha256(sc)[:16]}"
    )


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    reps: RepsOpt = 200,
    seed: SeedOpt = 1,
    days: DaysOpt = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: out/SCENARIO, or out/SCENARIO-HASH with --set)."
        ),
    ] = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    quiet: QuietOpt = False,
    uncertainty: UncertaintyOpt = False,
    fixed: FixedOpt = False,
    inner: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_INNER,
            help="Replications per parameter draw (default: about 20 draws, e.g. 10 of "
            "200 replications).",
        ),
    ] = None,
    max_memory: MaxMemoryOpt = None,
    timeseries: TimeseriesOpt = "national",
    sensitivity: Annotated[
        Path | None,
        typer.Option(
            help="A sensitivity.json of this scenario (atlarge sensitivity): brief.md and the "
            "report's In brief name the parameters it ranks highest."
        ),
    ] = None,
    export: Annotated[
        list[str] | None,
        typer.Option(
            "--export",
            help="Also write the KPI and field-office tables: csv (kpis.csv, offices.csv) "
            "or xlsx (atlarge-results.xlsx); repeatable, or csv,xlsx.",
        ),
    ] = None,
) -> None:
    """Simulate a scenario; write summary.json, timeseries.parquet (see --timeseries),
    report.html and brief.md (its "In brief": the results in a few sentences) to OUT (and
    the tables of --export).

    By default the bands contain parameter uncertainty as well as chance: every ranged
    parameter (and a fitted scenario's posterior) is drawn, about 20 draws times the
    replications each; --fixed holds every parameter at its value (chance alone).
    """
    from atlarge.report import kpi_table
    from atlarge.report.exports import FILES, export_formats
    from atlarge.runs import check_out_dir, default_out_dir
    from atlarge.scenario import load_scenario
    from atlarge.scenario.diff import changes_from_parent
    from atlarge.scenario.schedules import scenario_warnings
    from atlarge.simulation import Simulation, with_days

    formats = export_formats(export)
    sc = load_scenario(scenario, set=_parse_sets(set_))
    ranking = _sensitivity_file(sensitivity, sc)
    parent = changes_from_parent(scenario)  # for the report's "Changes from" table
    draws = _draws_per_run(sc, reps, fixed=fixed, asked=uncertainty, inner=inner)
    config = _run_config(
        reps=reps, seed=seed, days=days, workers=workers, executor=executor,
        address=address, max_memory=max_memory, inner=draws, timeseries=timeseries,
    )  # fmt: skip
    for warning in scenario_warnings(sc, days):  # for the horizon of this run
        err_console.print(Text(f"warning: {scenario}: {warning}"), soft_wrap=True)
    as_run = with_days(sc, days) if days is not None else sc  # --days is a change too
    out = out or default_out_dir(scenario, as_run if as_run.overrides else None)
    check_out_dir(out)
    _on_stop(f"nothing was written to {out}")
    with _bar(quiet) as bar:
        task = _task(bar, f"Simulating {sc.name}", total=reps)
        # as_run already has the horizon: the scenario is not changed and validated again
        run_config = dataclasses.replace(config, days=None)
        result = Simulation.run(as_run, run_config, progress=lambda n: bar.advance(task(), n))
        result.parent = parent
        write = bar.add_task("Writing report", total=None)
        path, failure = result.write_or_keep(out, formats, sensitivity=ranking)
        _on_stop(f"the run was written to {path}")
        bar.update(write, total=1, completed=1)
    out_console.print(kpi_table(result.summary()))
    _warn(failure)
    table = "" if config.timeseries == "none" else " timeseries.parquet,"
    extra = "".join(f", {name}" for f in formats for name in FILES[f])
    files = f"summary.json,{table} replications.parquet, report.html, brief.md{extra}"
    out_console.print(f"Wrote {path}/{files}")


def _sensitivity_file(path: Path | None, sc: Any) -> dict[str, Any] | None:
    """The sensitivity result a run's brief is to use, read and checked before the run."""
    import json

    from atlarge.report.brief import sensitivity_problem
    from atlarge.scenario import iter_params

    if path is None:
        return None
    if not path.is_file():
        raise OptionError("--sensitivity", f"'{path}' {why_not_a_file(path)}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OptionError(
            "--sensitivity", f"'{path}' is not JSON ({type(exc).__name__}: {exc})"[:300]
        ) from None
    problem = sensitivity_problem(doc, {p for p, _ in iter_params(sc)})
    if problem:
        raise OptionError("--sensitivity", f"'{path}': {problem}")
    return doc


def _draws_per_run(
    sc: Any, reps: int, *, fixed: bool, asked: bool, inner: int | None
) -> int | None:
    """Replications per parameter draw of a run (None: parameters fixed). Drawn by
    default when the scenario has anything to draw and the run more than one replication;
    --uncertainty insists (and is refused where nothing can be drawn)."""
    from atlarge.scenario.uncertainty import default_inner, has_parameter_draws

    if fixed:
        if asked or inner is not None:
            raise OptionError(
                "--fixed", "holds every parameter: it cannot go with --uncertainty or --inner"
            )
        return None
    if inner is not None:
        return inner
    if not has_parameter_draws(sc):
        if asked:
            raise OptionError("--uncertainty", "the scenario has no ranged parameter to draw")
        err_console.print("note: the scenario has no ranged parameter: the bands are chance alone")
        return None
    if reps < 2:
        return None
    chosen = default_inner(reps)
    if chosen is None:
        near = max(40, round(reps / 20) * 20)
        raise OptionError(
            "--reps",
            f"{reps} replications do not split into 10-40 whole parameter draws; use e.g. "
            f"--reps {near}, or give --inner, or --fixed",
        )
    return chosen


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Short horizon, under a minute.")] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the cases as JSON to this file.")
    ] = None,
    scenario: Annotated[Path, typer.Option(help="Scenario the cases are built from.")] = Path(
        "scenarios/baseline-2024.toml"
    ),
) -> None:
    """Speed of the engine against the SimPy reference model (seconds per replication)."""
    import json

    from atlarge.reference.bench import run_bench
    from atlarge.report.terminal import bench_table
    from atlarge.runs.outdir import check_file_out

    _check_scenario_option(scenario)
    if json_out is not None:
        check_file_out(json_out, "json")
    with err_console.status("benchmarking") as status:
        cases = run_bench(scenario, quick, progress=lambda m: status.update(f"benchmarking {m}"))
    out_console.print(bench_table(cases))
    if json_out is not None:
        from atlarge.runs.outdir import write_files

        doc = {"cases": [c.as_dict() for c in cases]}
        write_files({json_out: json.dumps(doc, indent=2) + "\n"})
        out_console.print(Text(f"Wrote {json_out}"))


@app.command()
def calibrate(
    out: Annotated[
        Path | None,
        typer.Option(help="Write the fit here (default: the package's data/calibration.json)."),
    ] = None,
    reps: Annotated[
        int | None,
        typer.Option(
            min=1, help="Replications per point and step (default: 8; bayes: 4; bayes-annual: 2)."
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            min=0, callback=_seed, help="Random seed (common random numbers; 0 to 2**63-1)."
        ),
    ] = 1,
    iterations: Annotated[int, typer.Option(min=1, max=100, help="Fixed-point steps.")] = 6,
    scenario: Annotated[Path, typer.Option(help="Pipeline the years are built from.")] = Path(
        "scenarios/baseline-2024.toml"
    ),
    scenario_out: Annotated[
        Path | None, typer.Option(help="Fitted scenario to write (default: SCENARIO-fitted.toml).")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            help="fixed-point (FY2016-FY2024 annual figures), bayes (the 2025 record, "
            "month by month; emcee) or bayes-annual (each fiscal year by emcee, then a "
            "population of years; leave-one-year-out)."
        ),
    ] = "fixed-point",
    walkers: Annotated[
        int | None, typer.Option(min=2, help="bayes: emcee walkers (default 32; annual 8).")
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(min=5, help="bayes: steps of every walker (default 600; annual 120)."),
    ] = None,
    burn: Annotated[
        int | None,
        typer.Option(min=0, help="bayes: steps discarded as burn-in (default half the steps)."),
    ] = None,
    moves: Annotated[
        str | None,
        typer.Option(
            help="bayes: emcee's proposal moves, de (differential evolution: travels along "
            "quantities that trade off; the default) or stretch (emcee's own default)."
        ),
    ] = None,
    workers: WorkersOpt = None,
    holdout_from: Annotated[
        str | None,
        typer.Option(
            help="bayes: leave out the figures from this date (YYYY-MM-DD) and predict them."
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Fit what the record does not give directly.

    fixed-point: the residual arrest posture (after each year's policy input), removal
    share, inflow and LOS scale to FY2016-FY2024; writes data/calibration.json and a
    scenario extending SCENARIO with the FY2024 fitted values, each marked as fitted.
    bayes: the 2025 dynamics (scenarios/2025-as-implemented.toml against the 2025 record
    through September); writes data/posterior-2025.json and scenarios/2025-fitted.toml,
    whose runs draw from the posterior.
    bayes-annual: each of FY2016-FY2024 by emcee, pooled into a population of years that
    predicts each year left out; writes data/posterior-annual.json.
    """
    import json

    from atlarge.analysis.bayes import MOVES

    if method in ("bayes", "bayes-annual"):
        if moves is not None and moves not in MOVES:
            raise OptionError("--moves", f"must be {' or '.join(MOVES)}, got '{moves}'")
        steps = steps or (600 if method == "bayes" else 120)
        burn = steps // 2 if burn is None else burn
    elif moves is not None:
        raise OptionError("--moves", "applies to --method bayes and bayes-annual only")
    if method == "bayes":
        _calibrate_bayes(out, reps or 4, seed, walkers or 32, steps, burn,
                         holdout_from, scenario_out, quiet, moves or "de")  # fmt: skip
        return
    if method == "bayes-annual":
        _calibrate_annual(out, scenario, reps or 2, seed, walkers or 8, steps, burn,
                          workers, quiet, moves or "de")  # fmt: skip
        return
    if method != "fixed-point":
        raise OptionError("--method", f"must be fixed-point, bayes or bayes-annual, got '{method}'")
    reps = reps or 8

    from atlarge.analysis.backtest_run import default_calibration_path, run_calibration
    from atlarge.analysis.fitted_scenario import fitted_scenario_toml
    from atlarge.runs.outdir import check_file_out, write_files_or_elsewhere
    from atlarge.scenario import load_scenario

    _check_scenario_option(scenario)
    base = load_scenario(scenario)
    _check_year_memory(base, reps)
    for parameter, target in (("out", out), ("scenario_out", scenario_out)):
        if target is not None:
            check_file_out(target, parameter)
    with err_console.status("calibrating") as status:
        doc = run_calibration(
            base,
            reps=reps,
            seed=seed,
            iterations=iterations,
            progress=lambda m: status.update(f"calibrating: {m}"),
        )
    path = out or default_calibration_path()
    fitted_path = scenario_out or scenario.with_name(f"{scenario.stem}-fitted.toml")
    fitted_text = fitted_scenario_toml(
        os.path.relpath(scenario.resolve(), fitted_path.resolve().parent), base, doc
    )
    written, failure = write_files_or_elsewhere(
        {path: json.dumps(doc, indent=2) + "\n", fitted_path: fitted_text}
    )
    _warn(failure)
    fit = doc["fit"]
    out_console.print(
        f"LOS scale {fit['los_scale']:.3f}; largest |log error| by step: "
        + ", ".join(f"{e:.3f}" for e in fit["max_abs_log_error_by_iteration"])
    )
    out_console.print(f"Wrote {written[0]} and {written[1]}")


def _check_chain(walkers: int, steps: int, burn: int, ndim: int, what: str) -> None:
    """What emcee needs of the options: steps left after burn-in, two walkers per
    fitted dimension (both Bayesian methods of ``calibrate``)."""
    if burn > steps - 4:
        raise OptionError("--burn", f"must leave at least 4 of --steps ({steps}), got {burn}")
    if walkers < 2 * ndim:
        raise OptionError(
            "--walkers",
            f"must be at least {2 * ndim} (twice the {ndim} fitted {what}), got {walkers}",
        )


def _calibrate_bayes(
    out: Path | None,
    reps: int,
    seed: int,
    walkers: int,
    steps: int,
    burn: int,
    holdout_from: str | None,
    scenario_out: Path | None,
    quiet: bool,
    moves: str = "de",
) -> None:
    """``atlarge calibrate --method bayes`` (see :mod:`atlarge.analysis.fit_2025`)."""
    import datetime as dt
    import json

    from atlarge.analysis import fit_2025
    from atlarge.analysis.posterior_scenario import posterior_scenario_toml
    from atlarge.runs.outdir import check_file_out, write_files_or_elsewhere

    _check_chain(walkers, steps, burn, len(fit_2025.PARAMS), "quantities")
    held = None
    if holdout_from is not None and (out is None or scenario_out is None):
        raise OptionError(
            "--holdout-from",
            "a fit that leaves figures out needs --out and --scenario-out, so it does not "
            "replace the posterior the package ships",
        )
    if holdout_from is not None:
        try:
            held = dt.date.fromisoformat(holdout_from)
        except ValueError:
            raise OptionError(
                "--holdout-from", f"'{holdout_from}' is not a date YYYY-MM-DD"
            ) from None
    for parameter, target in (("out", out), ("scenario_out", scenario_out)):
        if target is not None:
            check_file_out(target, parameter)
    with _bar(quiet, TimeElapsedColumn()) as bar:
        task = bar.add_task("Sampling the posterior", total=steps)
        doc = fit_2025.run_fit(
            reps=reps, seed=seed, walkers=walkers, steps=steps, burn=burn, holdout_from=held,
            moves=moves, progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    path = out or fit_2025.default_posterior_path()
    base_path = fit_2025.SCENARIO
    fitted_path = scenario_out or base_path.with_name("2025-fitted.toml")
    here = fitted_path.resolve().parent
    text = posterior_scenario_toml(
        os.path.relpath(base_path.resolve(), here),
        fit_2025.base_scenario(),
        doc,
        fit_2025.PARAMS,
        posterior_file=os.path.relpath(path.resolve(), here),
    )
    files = {path: json.dumps(doc, indent=2) + "\n", fitted_path: text}
    if held is None and scenario_out is None:  # the shipped fit: carried to the operation too
        from atlarge.scenario import load_scenario

        carried = fit_2025.carried_path()
        files[carried] = posterior_scenario_toml(
            fit_2025.CARRIED_TO.name,
            load_scenario(fit_2025.CARRIED_TO),
            doc,
            fit_2025.PARAMS,
            posterior_file=os.path.relpath(path.resolve(), carried.resolve().parent),
            carried=True,
        )
    written, failure = write_files_or_elsewhere(files)
    _warn(failure)
    d = doc["diagnostics"]
    out_console.print(
        f"acceptance {d['acceptance_fraction']:.2f}; R-hat max {max(d['rhat']):.3f}; "
        f"fitted figures inside p5-p95: {doc['checks']['coverage']:.0%}"
    )
    out_console.print(f"Wrote {' and '.join(map(str, written))}")


def _calibrate_annual(
    out: Path | None,
    scenario: Path,
    reps: int,
    seed: int,
    walkers: int,
    steps: int,
    burn: int,
    workers: int | None,
    quiet: bool,
    moves: str = "de",
) -> None:
    """``atlarge calibrate --method bayes-annual`` (see :mod:`atlarge.analysis.annual_bayes`)."""
    import json

    from atlarge.analysis import annual_bayes
    from atlarge.runs.outdir import check_file_out, write_files_or_elsewhere
    from atlarge.runs.pools import worker_pool
    from atlarge.scenario import load_scenario

    _check_chain(walkers, steps, burn, len(annual_bayes.YEAR_PARAMS), "quantities of a year")
    _check_scenario_option(scenario)
    base = load_scenario(scenario)
    n = min(_workers(workers), len(annual_bayes.FIT_YEARS))
    _check_year_memory(base, annual_bayes.batch_rows(reps, walkers, n))
    if out is not None:
        check_file_out(out, "out")
    with _bar(quiet, TimeElapsedColumn()) as bar:
        task = bar.add_task("Fitting the years", total=2 * len(annual_bayes.FIT_YEARS))

        def progress(label: str) -> None:
            bar.update(task, advance=1, description=label)

        with worker_pool(n) as pool:
            doc = annual_bayes.run_annual_fit(
                base, reps=reps, seed=seed, walkers=walkers, steps=steps, burn=burn,
                moves=moves, mapper=pool.map, progress=progress,
            )  # fmt: skip
    path = out or annual_bayes.default_annual_path()
    written, failure = write_files_or_elsewhere({path: json.dumps(doc, indent=2) + "\n"})
    _warn(failure)
    for kind, label in (("fit", "in sample"), ("leave-one-year-out", "left out")):
        errs = doc["errors"].get(kind, {})
        parts = [
            f"{m} median |error| {e['median_abs_error']:.1%}, inside p5-p95 {e['coverage']:.0%}"
            for m, e in errs.items()
        ]
        out_console.print(f"{label}: " + "; ".join(parts))
    out_console.print(f"Wrote {written[0]}")


@app.command()
def backtest(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/backtest"),
    reps: Annotated[int, typer.Option(min=1, help="Replications per year.")] = 50,
    seed: SeedOpt = 11,
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration file (default: the package's).")
    ] = None,
    scenario: Annotated[Path, typer.Option(help="Pipeline the years are built from.")] = Path(
        "scenarios/baseline-2024.toml"
    ),
    quiet: QuietOpt = False,
) -> None:
    """Simulate each fiscal year and compare with what was observed; writes backtest.json."""
    import json

    from atlarge.analysis.backtest_run import load_calibration, run_backtest
    from atlarge.report.backtest_page import render_backtest
    from atlarge.report.terminal import backtest_table
    from atlarge.runs import check_out_dir, write_out_dir_or_elsewhere
    from atlarge.scenario import load_scenario

    _check_scenario_option(scenario)
    base = load_scenario(scenario)
    _check_year_memory(base, reps)
    check_out_dir(out)
    if calibration is not None and not calibration.is_file():
        what = why_not_a_file(calibration)
        raise OptionError("--calibration", f"'{calibration}' {what}")
    try:
        cal = load_calibration(calibration)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OptionError(
            "--calibration",
            f"'{calibration}' is not a calibration file written by atlarge calibrate "
            f"({type(exc).__name__}: {exc})"[:300],
        ) from None
    with _bar(quiet, TimeElapsedColumn(), TextColumn("{task.fields[year]}")) as bar:
        task = bar.add_task("Backtest years", total=None, year="")
        doc = run_backtest(
            base,
            cal,
            reps=reps,
            seed=seed,
            progress=lambda done, total, year: bar.update(
                task, completed=done, total=total, year=year
            ),
        )
    out, failure = write_out_dir_or_elsewhere(
        out,
        {
            "backtest.json": lambda p: p.write_text(json.dumps(doc, indent=2) + "\n"),
            "backtest.html": lambda p: p.write_text(render_backtest(doc), encoding="utf-8"),
            "summary.json": lambda p: p.write_text(json.dumps(doc["summary"], indent=2) + "\n"),
        },
    )
    _warn(failure)
    out_console.print(backtest_table(doc["summary"]))
    out_console.print(f"Wrote {out}/backtest.json and backtest.html")


@app.command()
def forecast(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/forecast"),
    reps: RepsOpt = 400,
    seed: SeedOpt = 1,
    inner: Annotated[
        int | None,
        typer.Option(
            min=1, max=MAX_INNER, help="Replications per parameter draw (default: about 20 draws)."
        ),
    ] = None,
    fixed: FixedOpt = False,
    workers: WorkersOpt = None,
    max_memory: MaxMemoryOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Monthly arrests, detention and removals with bands, and FY2025 totals; writes
    forecast.json (by default every ranged parameter is drawn: --fixed for randomness alone)."""
    import json

    from atlarge.analysis.forecast import forecast as make_forecast
    from atlarge.runs import check_out_dir, write_out_dir_or_elsewhere
    from atlarge.scenario import load_scenario
    from atlarge.simulation import Simulation

    sc = load_scenario(scenario)
    draws = _draws_per_run(sc, reps, fixed=fixed, asked=False, inner=inner)
    config = _run_config(
        reps=reps, seed=seed, days=None, workers=workers, executor="local",
        address=None, max_memory=max_memory, inner=draws,
    )  # fmt: skip
    check_out_dir(out)
    _on_stop(f"nothing was written to {out}")
    with _bar(quiet) as bar:
        task = _task(bar, f"Forecasting {sc.name}", total=reps)
        result = Simulation.run(sc, config, progress=lambda n: bar.advance(task(), n))
    doc = make_forecast(result.output)
    out, failure = write_out_dir_or_elsewhere(
        out, {"forecast.json": lambda p: p.write_text(json.dumps(doc, indent=2) + "\n")}
    )
    _warn(failure)
    out_console.print(f"Wrote {out}/forecast.json ({doc['band']})")


@app.command()
def checks(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/checks"),
    posterior: Annotated[
        Path | None,
        typer.Option(help="Posterior file (default: the package's data/posterior-2025.json)."),
    ] = None,
    annual: Annotated[
        Path | None,
        typer.Option(
            help="Annual fit file (atlarge calibrate --method bayes-annual; default: the "
            "package's data/posterior-annual.json)."
        ),
    ] = None,
) -> None:
    """Posterior predictive checks of the 2025 fit and of the annual record: writes
    checks.html (every fitted figure with the fitted model's p5-p95 band, the share inside;
    each fiscal year fitted and left out), posterior.json and posterior-annual.json."""
    import json

    from atlarge.analysis.annual_bayes import default_annual_path
    from atlarge.analysis.fit_2025 import default_posterior_path
    from atlarge.report.checks_page import annual_section, render_checks
    from atlarge.runs import check_out_dir, write_out_dir_or_elsewhere

    def read(option: str, path: Path, what: str) -> dict[str, Any]:
        if not path.is_file():
            raise OptionError(option, f"'{path}' {why_not_a_file(path)}")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise OptionError(
                option, f"'{path}' is not {what} ({type(exc).__name__}: {exc})"[:300]
            ) from None

    path = posterior or default_posterior_path()
    doc = read("--posterior", path, "a posterior written by atlarge calibrate --method bayes")
    annual = annual or default_annual_path()
    annual_doc = read("--annual", annual, "an annual fit of atlarge calibrate")
    try:
        annual_rows = annual_section(annual_doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OptionError(
            "--annual",
            f"'{annual}' is not an annual fit written by atlarge calibrate --method "
            f"bayes-annual ({type(exc).__name__}: {exc})"[:300],
        ) from None
    try:
        page = render_checks(doc, annual_rows)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OptionError(
            "--posterior",
            f"'{path}' is not a posterior written by atlarge calibrate --method bayes "
            f"({type(exc).__name__}: {exc})"[:300],
        ) from None
    check_out_dir(out)
    out, failure = write_out_dir_or_elsewhere(
        out,
        {
            "checks.html": lambda p: p.write_text(page, encoding="utf-8"),
            "posterior.json": lambda p: p.write_text(json.dumps(doc, indent=2) + "\n"),
            "posterior-annual.json": lambda p: p.write_text(
                json.dumps(annual_doc, indent=2) + "\n"
            ),
        },
    )
    _warn(failure)
    c = doc["checks"]
    held = c.get("held_out_coverage")
    out_console.print(
        f"Fitted figures inside p5-p95: {c['coverage']:.0%}"
        + (f"; held out: {held:.0%}" if held is not None else "")
    )
    out_console.print(f"Wrote {out}/checks.html")


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    vary: Annotated[list[str], typer.Option("--vary", help="PATH=LO:HI[:N], repeatable.")],
    design: Annotated[str, typer.Option(help="grid or lhs.")] = "grid",
    samples: Annotated[
        int, typer.Option(min=1, max=MAX_SAMPLES, help="Points of an lhs design.")
    ] = 16,
    reps: RepsOpt = 200,
    seed: SeedOpt = 1,
    days: DaysOpt = None,
    set_: SetOpt = None,
    db: DbOpt = Path("results.duckdb"),
    workers: WorkersOpt = None,
    uncertainty: UncertaintyOpt = False,
    inner: InnerOpt = 10,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    quiet: QuietOpt = False,
    max_memory: MaxMemoryOpt = None,
) -> None:
    """Run SCENARIO over a design of parameter values; each point is stored as it finishes.

    Started again with the same command, a sweep runs only the points still missing.
    """
    from rich.progress import TaskProgressColumn, TimeRemainingColumn

    from atlarge.report.terminal import sweep_table
    from atlarge.runs.store import Store
    from atlarge.runs.sweep import Vary, run_sweep

    config = _run_config(
        reps=reps, seed=seed, days=days, workers=workers, executor=executor,
        address=address, max_memory=max_memory, inner=inner if uncertainty else None,
    )  # fmt: skip
    varies = [Vary.parse(v) for v in vary]
    Store(db).identify()  # before any work (reads only); the write comes later
    _on_stop(f"points finished so far are kept in {db}; the same command runs the rest")
    columns = (TaskProgressColumn(), TimeRemainingColumn(), TextColumn("{task.fields[rate]}"))
    with _bar(quiet, *columns) as bar:
        task = _task(bar, "Sweep points", total=None, rate="")
        ran = {"n": 0}

        def progress(done: int, total: int, new: bool) -> None:
            task_id = task()
            ran["n"] += new
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{ran['n'] / elapsed:.2f} points/s" if ran["n"] and elapsed else ""
            bar.update(task_id, completed=done, total=total, rate=rate)

        res = run_sweep(
            scenario, varies, sets=_parse_sets(set_), design=design, samples=samples,
            config=config, db=db, progress=progress,
        )  # fmt: skip
    kpis = Store(db).kpis_for(res["run_ids"])
    rows = [kpis[r] for r in res["run_ids"]]
    out_console.print(sweep_table(res["design"], rows, width=out_console.width))
    out_console.print(
        f"Sweep {res['sweep_id']}: {res['points']} points, {res['ran']} run now, "
        f"{res['points'] - res['ran']} already stored, in {res['db']}"
    )


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    method: Annotated[str, typer.Option(help="sobol or morris.")] = "morris",
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="PATH=LO:HI, repeatable (default: every ranged parameter)."),
    ] = None,
    outputs: Annotated[str, typer.Option(help="KPIs, comma-separated.")] = (
        "arrests_per_day,peak_detention,removals_total,cost_total_usd"
    ),
    samples: Annotated[
        int | None, typer.Option(help="Sobol N or Morris trajectories (default 32 or 10).")
    ] = None,
    reps: RepsOpt = 20,
    seed: SeedOpt = 1,
    days: DaysOpt = None,
    set_: SetOpt = None,
    db: DbOpt = Path("results.duckdb"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/sensitivity"),
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    quiet: QuietOpt = False,
    max_memory: MaxMemoryOpt = None,
) -> None:
    """Rank the parameters that drive the KPIs (SALib Sobol' indices or Morris screening)."""
    import json

    from atlarge.report.sensitivity_page import render_sensitivity
    from atlarge.report.terminal import sensitivity_tables
    from atlarge.runs import check_out_dir, write_out_dir_or_elsewhere
    from atlarge.runs.sensitivity_run import run_sensitivity
    from atlarge.runs.store import Store
    from atlarge.runs.sweep import Vary

    config = _run_config(
        reps=reps, seed=seed, days=days, workers=workers, executor=executor,
        address=address, max_memory=max_memory,
    )  # fmt: skip
    check_out_dir(out)
    Store(db).identify()  # before any work (reads only); the write comes later
    varies = [Vary.parse(v) for v in vary or []]
    outs = [o.strip() for o in outputs.split(",") if o.strip()]
    _on_stop(
        f"model runs finished so far are kept in {db}, nothing was written to {out}; "
        "the same command runs the rest"
    )
    with _bar(quiet) as bar:
        task = _task(bar, "Model runs", total=None)
        doc = run_sensitivity(
            scenario, method, varies=varies, sets=_parse_sets(set_), outputs=outs,
            samples=samples, config=config, db=db,
            progress=lambda done, total, _new: bar.update(task(), completed=done, total=total),
        )  # fmt: skip
    out, failure = write_out_dir_or_elsewhere(
        out,
        {
            "sensitivity.json": lambda p: p.write_text(json.dumps(doc, indent=2) + "\n"),
            "sensitivity.html": lambda p: p.write_text(render_sensitivity(doc), encoding="utf-8"),
            "summary.json": lambda p: p.write_text(
                json.dumps({k: v for k, v in doc.items() if k != "indices"}, indent=2) + "\n"
            ),
        },
    )
    _warn(failure)
    for part in sensitivity_tables(doc):
        out_console.print(part)
    out_console.print(
        f"Wrote {out}/sensitivity.json and sensitivity.html "
        f"({doc['points']} model runs, {doc['ran']} run now; store {doc['db']})"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (localhost by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    scenarios: Annotated[Path, typer.Option(help="Folder of scenarios the server offers.")] = Path(
        "scenarios"
    ),
    max_jobs: Annotated[int, typer.Option(min=1, max=64, help="Runs at once.")] = 2,
    max_cells: Annotated[
        int,
        typer.Option(min=1, max=10**9, help="Cap on replications x days x offices per run."),
    ] = 400 * 365 * 25,
    db: Annotated[
        Path | None,
        typer.Option(help="Also record each finished run in this results store (DuckDB)."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the access token every /api request must send (default: the "
            "ATLARGE_TOKEN variable); required to serve beyond this machine."
        ),
    ] = None,
    insecure_no_token: Annotated[
        bool,
        typer.Option(
            "--insecure-no-token",
            help="Serve beyond this machine without an access token (anyone who can reach it "
            "can start runs).",
        ),
    ] = False,
) -> None:
    """Serve the explorer page and the HTTP API with uvicorn.

    Bound to anything but localhost, the server requires an access token
    (ATLARGE_TOKEN or --token-file): API requests send 'Authorization: Bearer
    TOKEN', and the page is opened as http://HOST:PORT/#token=TOKEN.
    """
    import uvicorn

    from atlarge.api import ApiSettings, create_app
    from atlarge.api.app import access_token
    from atlarge.runs.resources import memory_limit

    token, warning = access_token(host, token_file=token_file, insecure=insecure_no_token)
    if not scenarios.is_dir():
        raise OptionError("--scenarios", f"'{scenarios}' is not a folder")
    _check_bind(host, port)
    if db is not None:
        from atlarge.runs.store import open_store

        open_store(db)
    memory_limit()  # a malformed ATLARGE_MAX_MEMORY_GB is the server's error: say so now
    settings = ApiSettings(
        scenarios_dir=scenarios, max_jobs=max_jobs, max_cells=max_cells, db=db, token=token
    )
    if warning:
        err_console.print(Text(render_names(warning, FLAGS), style="bold red"), soft_wrap=True)
    out_console.print(f"atlarge explorer and API on http://{host}:{port}/ (Ctrl-C to stop)")
    if token:
        out_console.print(
            f"Access token required: open http://{host}:{port}/#token=TOKEN in the browser; "
            "API clients send 'Authorization: Bearer TOKEN'."
        )
    _on_stop("the server stopped; runs not finished were dropped")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def _check_bind(host: str, port: int) -> None:
    """Refuse a host that is not an address here or a port in use, before serving."""
    import errno
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError, ValueError) as exc:
        raise OptionError("--host", f"'{host}' is not a usable address ({exc})") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OptionError("--port", f"{port} is in use on {host}; pick another") from None
            raise OptionError(
                "--host", f"cannot listen on '{host}' port {port} ({exc.strerror or exc})"
            ) from None


@app.command()
def diff(
    scenario_a: Annotated[Path, typer.Argument(help="Scenario TOML file A.")],
    scenario_b: Annotated[Path, typer.Argument(help="Scenario TOML file B.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the differences to this JSON file.")
    ] = None,
) -> None:
    """What differs between two scenarios, path by path (each resolved with what it
    extends): both values, the unit, both sources, and sections only one side has."""
    import json

    from atlarge.report.diff_view import diff_table, section_rows
    from atlarge.runs.outdir import check_file_out, write_files
    from atlarge.scenario import load_scenario
    from atlarge.scenario.diff import diff_scenarios

    if json_out is not None:
        check_file_out(json_out, "json")
    result = diff_scenarios(load_scenario(scenario_a), load_scenario(scenario_b))
    if result:
        out_console.print(diff_table(result, str(scenario_a), str(scenario_b)))
    else:
        same = "resolve to the same values"
        out_console.print(Text(f"No differences: {scenario_a} and {scenario_b} {same}."))
    for row in section_rows(result):
        out_console.print(Text(f"section {row['path']}: {row['status']}"))
    if json_out is not None:
        doc = {"a_file": str(scenario_a), "b_file": str(scenario_b), **result.as_dict()}
        write_files({json_out: json.dumps(doc, indent=2) + "\n"})
        out_console.print(Text(f"Wrote {json_out}"))


AllowDifferentOpt = Annotated[
    bool,
    typer.Option(
        "--allow-different",
        help="Compare runs over different horizons or start dates (said loudly).",
    ),
]


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder A (written by atlarge run).")],
    run_b: Annotated[Path, typer.Argument(help="Run folder B (written by atlarge run).")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/compare"),
    allow_different: AllowDifferentOpt = False,
) -> None:
    """Two run folders side by side: each KPI of A and B with its band, and B minus A
    with its band (paired over replications when both runs used the same seed and
    replications and drew the same parameters alike, else over independently resampled
    pairs); writes compare.html and compare.json to OUT."""
    import json

    from atlarge.analysis.compare import compare_runs
    from atlarge.report.compare import compare_table, render_compare
    from atlarge.runs import check_out_dir, write_out_dir_or_elsewhere
    from atlarge.runs.run_folder import read_run

    _out_apart_from_runs(out, {"RUN_A": run_a, "RUN_B": run_b})
    check_out_dir(out)
    doc = compare_runs(read_run(run_a, "run_a"), read_run(run_b, "run_b"))
    blocking = [d["message"] for d in doc["differences"] if d["blocking"]]
    if blocking and not allow_different:
        raise OptionError(
            "RUN_B",
            f"differs from RUN_A in what was run ({'; '.join(blocking)}); its totals do not "
            "compare with A's: pass --allow-different to compare them anyway",
        )
    for difference in doc["differences"]:
        _warn(f"A and B differ: {difference['message']}")
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    page = render_compare(doc)
    with out_console.capture() as shown:  # rendered before anything is written, so
        out_console.print(compare_table(doc))  # no failure to print follows the files
    path, failure = write_out_dir_or_elsewhere(
        out,
        {
            "compare.json": lambda p: p.write_text(text, encoding="utf-8"),
            "compare.html": lambda p: p.write_text(page, encoding="utf-8"),
        },
    )
    out_console.print(Text.from_ansi(shown.get()), end="", soft_wrap=True)
    _warn(failure)
    out_console.print(Text(f"Wrote {path}/compare.html, compare.json"))


def _out_apart_from_runs(out: Path, runs: dict[str, Path]) -> None:
    """Refuse an output folder that is, holds or lies inside a run folder being compared:
    writing it would replace (or move) that run's files, which atlarge wrote and so would
    otherwise accept to replace."""
    here = out.resolve()
    for name, run in runs.items():
        there = run.resolve()
        if here == there:
            where = f"is {name}"
        elif there in here.parents:
            where = f"lies inside {name} ('{run}')"
        elif here in there.parents:
            where = f"holds {name} ('{run}')"
        else:
            continue
        raise OptionError(
            "--out",
            f"'{out}' {where}: writing it would replace that run's files; choose a folder "
            "apart from both runs",
        )


results_app = typer.Typer(help="Show and compare stored runs.", no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("list")
def results_list(db: DbOpt = Path("results.duckdb")) -> None:
    """List stored runs."""
    from atlarge.report.terminal import runs_table
    from atlarge.runs.store import existing_store

    rows = existing_store(db).runs()
    out_console.print(runs_table(rows, f"{len(rows)} runs in {db}", width=out_console.width))


@results_app.command("compare")
def results_compare(
    run_a: Annotated[str, typer.Argument(help="Run id (a prefix is enough).")],
    run_b: Annotated[str, typer.Argument(help="Run id (a prefix is enough).")],
    db: DbOpt = Path("results.duckdb"),
    allow_different: Annotated[
        bool,
        typer.Option(
            "--allow-different",
            help="Compare runs over different horizons or kinds of band (said loudly).",
        ),
    ] = False,
) -> None:
    """Compare the KPIs of two stored runs (medians, and B minus A): like with like, so
    runs over different horizons are refused unless --allow-different."""
    from atlarge.report.terminal import compare_table
    from atlarge.runs.store import existing_store, stored_run_differences

    store = existing_store(db)
    ids = []
    for name, prefix in (("RUN_A", run_a), ("RUN_B", run_b)):
        try:
            ids.append(store.resolve(prefix))
        except KeyError as exc:
            raise OptionError(name, f"no single stored run matches {exc}") from None
    differences = stored_run_differences(store.run(ids[0]), store.run(ids[1]))
    if differences and not allow_different:
        raise OptionError(
            "RUN_B",
            f"differs from RUN_A in what was run ({'; '.join(differences)}); its totals do "
            "not compare with A's: pass --allow-different to compare them anyway",
        )
    for difference in differences:
        _warn(f"A and B differ: {difference}")
    out_console.print(compare_table(ids, store.kpis(ids[0]), store.kpis(ids[1])))


def _error_message(exc: AtlargeInputError) -> str:
    """An input error as this command line says it: parameters named as its flags."""
    if isinstance(exc, OptionError):
        return f"{FLAGS.get(exc.parameter, exc.parameter)}: {exc.render(FLAGS)}"
    if isinstance(exc, ScenarioError):
        from atlarge.scenario.loader import SET_ORIGIN

        if exc.file == SET_ORIGIN:
            return f"{SET_SHOWN}: {exc.path}: {exc.message}"
    return str(exc)


def _fail(kind: str, message: str, code: int) -> None:
    err_console.print(Text.assemble((kind, "bold red"), ": ", message), soft_wrap=True)
    sys.exit(code)


class _Stopped(BaseException):
    """SIGINT or SIGTERM, raised in the main thread so that every cleanup runs: the
    output folder's temporary files are removed and pool workers stopped
    (:mod:`atlarge.runs.pools`). Not a KeyboardInterrupt, which Typer would swallow."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_NOTE = ["nothing was written"]


def _on_stop(note: str) -> None:
    """What the command has kept so far, said if it is interrupted now."""
    _STOP_NOTE[0] = note


def _raise_stopped(signum: int, _frame: object) -> None:
    raise _Stopped(signum)


def _show_warning(fallback):
    """Print the package's warnings as one ``warning:`` line; leave others to Python."""

    def show(message, category, *args, **kwargs):
        if issubclass(category, AtlargeWarning):
            _warn(str(message))
        else:
            fallback(message, category, *args, **kwargs)

    return show


def main() -> None:
    """Entry point: turn errors into messages and exit codes, never tracebacks.

    Typer reports its own usage errors (unknown option, ``--reps 0``) with
    exit code 2; errors in scenario files and option values are ours. Ctrl-C
    and SIGTERM stop any command within a second or so, with exit code 130
    and 143, and say what was kept.
    """
    _on_stop("nothing was written")
    warnings.simplefilter("always", AtlargeWarning)
    shown = warnings.showwarning
    warnings.showwarning = _show_warning(shown)
    previous = {s: signal.signal(s, _raise_stopped) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        app()
    except _Stopped as exc:
        kind = "interrupted" if exc.signum == signal.SIGINT else "terminated"
        _fail(kind, _STOP_NOTE[0], 128 + exc.signum)
    except AtlargeInputError as exc:
        _fail("error", _error_message(exc), 2)
    except KeyboardInterrupt:
        _fail("interrupted", _STOP_NOTE[0], 130)
    except Exception as exc:
        if os.environ.get("ATLARGE_DEBUG"):
            raise
        _fail(
            "internal error",
            f"{type(exc).__name__}: {exc} (set ATLARGE_DEBUG=1 for a traceback)",
            1,
        )
    finally:
        warnings.showwarning = shown
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)


if __name__ == "__main__":
    main()
