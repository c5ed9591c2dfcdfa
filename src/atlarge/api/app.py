"""The HTTP API (scenarios, runs as background jobs, results, comparisons) and the
explorer page at ``/`` that is built on it (static/: plain HTML, JS and CSS).

Thin by design: requests are parsed and checked here, everything else is
the same path as the CLI (scenario loader, ``atlarge.simulate``, summaries).

Safety: the server binds to localhost unless told otherwise; bound to any
other address it needs an access token (``ATLARGE_TOKEN`` or ``--token-file``),
and every ``/api`` request without ``Authorization: Bearer TOKEN`` gets a 401
(see :func:`access_token`; the page takes the token from its URL fragment,
``/#token=...``). A scenario is
named by its id (a file name stem in the server's scenario folder), never
by a path from the request; overrides go through the same validation as
files (a bad one is a 422 naming its field path); replications x days x
offices, request bodies and concurrent jobs are capped; errors never carry
a traceback.

Runs are jobs of one :class:`~atlarge.runs.jobs.JobQueue` (bounded by jobs and
memory; cancelled with ``DELETE /api/runs/{job_id}``). Errors from the layers
below name parameters; :data:`API_FIELDS` shows each as this API's JSON field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import io
import ipaddress
import math
import os
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import plotly
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from atlarge._version import __version__
from atlarge.analysis import national_bands, parameter_rows
from atlarge.analysis.binding import binding_json
from atlarge.analysis.budget import line_bands
from atlarge.analysis.kpis import KPIS, shown_kpis
from atlarge.analysis.summary import run_differences
from atlarge.api.responses import (
    Bands,
    Brief,
    Comparison,
    FormattedHomeRow,
    FormattedLine,
    HomeOutputRow,
    Limits,
    Meta,
    RunwayRow,
    Summary,
)
from atlarge.errors import (
    AtlargeInputError,
    OptionError,
    ScenarioError,
    render_names,
    why_not_a_file,
)
from atlarge.model import COST_STAGES
from atlarge.report.exports import XLSX_TYPE, kpis_csv, offices_csv, to_xlsx
from atlarge.report.format import format_difference, format_value
from atlarge.runs.config import MAX_SEED, RunConfig
from atlarge.runs.jobs import Job, JobNotFound, JobQueue, QueueFull
from atlarge.runs.resources import ENV as MEMORY_ENV
from atlarge.runs.resources import run_estimate
from atlarge.runs.store import Store, run_row, utc_now
from atlarge.runs.timeseries import national_table
from atlarge.scenario import load_scenario
from atlarge.scenario.diff import ParentChanges, changes_from_parent
from atlarge.scenario.levers import scenario_levers
from atlarge.scenario.loader import SET_ORIGIN
from atlarge.scenario.uncertainty import draws_problem

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ASSETS: dict[str, tuple[Path, str]] = {
    "explorer.js": (STATIC / "explorer.js", "text/javascript"),
    "explorer.css": (STATIC / "explorer.css", "text/css"),
    "plotly.min.js": (PLOTLY_JS, "text/javascript"),
}
"""The only files the server sends: a fixed table, never a path from a request."""
API_FIELDS = {"sets": "overrides"}
"""Parameter (as the layers below name it) -> the JSON field that sets it, where they
differ (``reps``, ``seed``, ``days``, ``uncertainty_inner`` are the same)."""
TOKEN_ENV = "ATLARGE_TOKEN"
MIN_TOKEN_LENGTH = 16
MAX_OVERRIDE_TEXT = 200  # characters of an override's path or text value
NEEDS_TOKEN = (
    "this server needs its access token: send 'Authorization: Bearer TOKEN' "
    "(in the browser, open the page as /#token=TOKEN)"
)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def access_token(
    host: str,
    *,
    token_file: Path | None = None,
    env: dict[str, str] | None = None,
    insecure: bool = False,
) -> tuple[str | None, str | None]:
    """Decide how ``serve --host HOST`` may start: ``(token, warning)``.

    The token comes from ``token_file`` or the ``ATLARGE_TOKEN`` variable of ``env``;
    it is required to bind beyond loopback unless ``insecure`` (then the warning says
    what that means). Raises :class:`OptionError` (exit 2) when serving must not start.
    Parameters are named as ``serve`` takes them (``token_file``, ``host``,
    ``insecure_no_token``), as is the warning's.
    """
    env = os.environ if env is None else env
    token = None
    if token_file is not None:
        if not token_file.is_file():
            raise OptionError("token_file", f"'{token_file}' {why_not_a_file(token_file)}")
        try:
            with token_file.open("rb") as fh:  # a token is short: never read a large file whole
                token = fh.read(4097).decode("utf-8")[:4096].strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise OptionError("token_file", f"cannot read '{token_file}' ({exc})") from None
        if not token:
            raise OptionError("token_file", f"'{token_file}' is empty")
        source = "token_file"
    elif env.get(TOKEN_ENV, "").strip():
        token, source = env[TOKEN_ENV].strip(), TOKEN_ENV
    if token is not None:
        if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() or not c.isprintable() for c in token):
            raise OptionError(
                source,
                f"the access token must be at least {MIN_TOKEN_LENGTH} printable characters "
                "without spaces (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')",
            )
        return token, None
    if is_loopback(host):
        return None, None
    if not insecure:
        raise OptionError(
            "host",
            f"'{host}' opens run submission beyond this machine: set {TOKEN_ENV} or "
            "`token_file` FILE to require an access token (or `insecure_no_token` to serve "
            "without one)",
        )
    return None, (
        f"WARNING: serving on '{host}' WITHOUT an access token: anyone who can reach this "
        "address can start runs and read results (`insecure_no_token`)"
    )


@dataclass(frozen=True)
class ApiSettings:
    scenarios_dir: Path = Path("scenarios")
    max_cells: int = 400 * 365 * 25  # replications x days x offices per request
    max_body_bytes: int = 64 * 1024
    max_jobs: int = 2  # running or queued at once
    keep_jobs: int = 50  # finished jobs kept in memory for results and comparisons
    db: Path | None = None  # results store each finished run is recorded in (as sweeps do)
    chunk_size: int | None = None  # replications per chunk (default: _chunk_size of the run)
    token: str | None = None  # if set, every /api request needs "Authorization: Bearer TOKEN"


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=100, description="A scenario id.")
    overrides: dict[
        Annotated[str, Field(min_length=1, max_length=MAX_OVERRIDE_TEXT)],
        Annotated[float, Field(allow_inf_nan=False)]
        | int
        | bool
        | Annotated[str, Field(max_length=MAX_OVERRIDE_TEXT)],
    ] = Field(
        default_factory=dict,
        max_length=50,
        description="Parameter path -> value, checked as the scenario's own values are.",
    )
    reps: int = Field(default=100, ge=1, le=2000)
    days: int | None = Field(default=None, ge=1, le=3650)
    seed: int = Field(default=1, ge=0, le=MAX_SEED)
    uncertainty_inner: int | None = Field(
        default=None, ge=1, le=1000, description="Draw ranged parameters, J per draw."
    )

    @model_validator(mode="after")
    def _whole_draws(self) -> RunRequest:
        if self.uncertainty_inner is not None:
            problem = draws_problem(self.reps, self.uncertainty_inner)
            if problem:
                raise ValueError(render_names(problem, API_FIELDS))
        return self

    def config(self) -> RunConfig:
        """The run this request asks for (in the server's process, its memory checked on
        submission)."""
        return RunConfig(
            reps=self.reps,
            seed=self.seed,
            days=self.days,
            uncertainty_inner=self.uncertainty_inner,
            chunk_size=_chunk_size(self.reps),
            max_memory_gb=math.inf,
        )


class JobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    scenario: str
    done: int = Field(description="Replications finished so far.")
    total: int = Field(description="Replications asked for.")
    error: str | None = None
    request: RunRequest
    stored_run_id: str | None = Field(
        default=None, description="The run's id in the server's results store, if it has one."
    )


@dataclass
class Finished:
    """What a finished run job holds: the run, and where the server's store has it."""

    result: Any  # atlarge.simulation.Simulation
    stored_run_id: str | None = None
    note: str | None = None  # said in the status's error (e.g. not recorded in the store)
    bands: dict[str, Any] | None = None  # computed on first request


class Partial:
    """The replications of a running job finished so far (views into the run's arrays, set
    after each chunk) and their bands, computed only when asked for: a run nobody watches
    pays nothing for it."""

    def __init__(self) -> None:
        self.output: Any = None  # atlarge.model.ModelOutput of the first n replications
        self.bands: dict[str, Any] | None = None
        self.lock = threading.Lock()

    def seen(self, out: Any) -> None:
        self.output = out

    def current(self, total: int) -> dict[str, Any] | None:
        """The bands of the replications finished so far; None before the first chunk."""
        from atlarge.simulation import Simulation

        with self.lock:
            out = self.output
            if out is None:
                return None
            if self.bands is None or self.bands["reps_done"] != out.reps:
                self.bands = _bands(Simulation(out), total, partial=True)
            return self.bands


def _bands(result: Any, total: int, *, partial: bool = False) -> dict[str, Any]:
    """The bands response of a run (``result``: a Simulation of all or the first
    replications)."""
    out, summary = result.output, result.summary()
    return national_bands(out) | {
        "partial": partial,
        "reps_done": out.reps,
        "reps_total": total,
        "mechanisms": summary["mechanisms"],
        "binding": binding_json(out),
        "budget": _budget_bands(out, summary),
        "home_missions": _home_losses(summary),
    }


def _budget_bands(out: Any, summary: dict[str, Any]) -> dict[str, Any] | None:
    """The Budget panel's data: summary.json's funding lines, formatted as the report
    writes them, each with its daily bands of cumulative spending; None without a budget."""
    from atlarge.report.html import ON_EXHAUSTED, funding_line_rows

    cumulative = line_bands(out)
    if cumulative is None:
        return None
    formatted = funding_line_rows(summary)
    return {
        "on_exhausted": summary["on_exhausted"],
        "on_exhausted_text": ON_EXHAUSTED[summary["on_exhausted"]],
        "lines": [
            {
                **{k: row[k] for k in RunwayRow.model_fields},  # a new summary key: not here
                "formatted": {k: f[k] for k in FormattedLine.model_fields},
                "cumulative": cumulative[row["line"]],
            }
            for row, f in zip(summary["funding_runway"], formatted, strict=True)
        ],
    }


def _home_losses(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The panel "What home missions lose": summary.json's rows, formatted as the report
    writes them; None when the run takes no agent-days from another agency."""
    from atlarge.report.html import home_band_text, home_rows  # the report's words

    rows = summary.get("home_output_forgone") or []
    if not rows:
        return None
    formatted = home_rows(summary)
    return {
        "definition": summary["home_output_forgone_definition"],
        "band_text": home_band_text(summary),
        "rows": [
            {
                **{k: row[k] for k in HomeOutputRow.model_fields},  # a new summary key: not here
                "formatted": {k: f[k] for k in FormattedHomeRow.model_fields},
            }
            for row, f in zip(rows, formatted, strict=True)
        ],
    }


def _status(job: Job, request: RunRequest) -> JobStatus:
    finished: Finished | None = job.result
    error = job.error
    if isinstance(job.exception, OptionError):
        error = f"{API_FIELDS.get(job.exception.parameter, job.exception.parameter)}: " + (
            job.exception.render(API_FIELDS)
        )
    return JobStatus(
        job_id=job.id,
        status=job.state,
        scenario=request.scenario,
        done=job.done,
        total=job.total,
        error=error or (finished.note if finished else None),
        request=request,
        stored_run_id=finished.stored_run_id if finished else None,
    )


def _parent_changes(path: Path) -> ParentChanges | None:
    """What the scenario file a run starts from changes from the scenario it extends, for
    its report (None when it extends nothing). The file has just loaded, so an error here
    can only be a file changed since: the report then goes without the table."""
    try:
        return changes_from_parent(path)
    except AtlargeInputError:
        return None


def _scenario_ids(settings: ApiSettings) -> dict[str, Path]:
    folder = settings.scenarios_dir
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def _scenario_path(settings: ApiSettings, scenario_id: str) -> Path:
    path = _scenario_ids(settings).get(scenario_id)
    if path is None:
        raise HTTPException(404, f"no scenario '{scenario_id}'")
    return path


def _chunk_size(reps: int) -> int:
    """About ten progress steps, but no chunk under 25 replications: each chunk costs a
    Python pass over the days, and the numbers do not depend on the chunking."""
    return max(25, math.ceil(reps / 10))


def _store_run(
    store: Store, result: Any, request: RunRequest, started: dt.datetime, finished: dt.datetime
) -> str:
    """Record a finished run in the results store, as a sweep records its points: the
    same id for the same numbers, so ``atlarge results`` lists and compares it."""
    out = result.output
    horizon = {} if request.days is None else {"days": request.days}
    row = run_row(
        out.scenario,
        {**request.overrides, **horizon},  # recorded as a sweep records its points
        seed=out.seed,
        reps=out.reps,
        inner=request.uncertainty_inner,
        started=started,
        finished=finished,
    )
    store.add_run(row, result.summary()["kpis"], national_table(out))
    return row["run_id"]


def _download(job: Job, what: str) -> dict[str, str]:
    """A file name for saving a result: scenario, job id, what it is (ids are safe)."""
    name = f"{job.label}-{job.id}-{what}"
    return {"content-disposition": f'attachment; filename="{name}"'}


def _failing_override(path: Path, overrides: dict[str, Any]) -> str | None:
    """The first override that cannot be applied on its own (to name it in a 422)."""
    for key, value in overrides.items():
        try:
            load_scenario(path, set={key: value})
        except (AtlargeInputError, ValueError, OverflowError, TypeError):
            return key
    return None


def _unprocessable(loc: list[Any], msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": loc, "msg": msg, "type": "value_error"}])


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        """On shutdown (Ctrl-C), queued runs are dropped and running ones stop after their
        current chunk, so the process exits within seconds instead of finishing them."""
        yield
        queue.close("the server stopped before the run finished")

    app = FastAPI(
        lifespan=lifespan,
        title="atlarge",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Simulate large-scale immigration enforcement operations "
        "(aggregate counts only).",
    )
    queue = JobQueue(
        settings.max_jobs,
        keep=settings.keep_jobs,
        memory_hint="ask for fewer reps or days",
        raise_limit=f"the server's limit is set by {MEMORY_ENV}",
    )
    requests: dict[str, RunRequest] = {}  # job id -> what was asked, while the queue keeps it
    partials: dict[str, Partial] = {}  # job id -> its replications so far, while it runs
    store = Store(settings.db) if settings.db is not None else None
    store_lock = threading.Lock()

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        path = request.url.path
        if settings.token is not None and (path == "/api" or path.startswith("/api/")):
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            expected = settings.token.encode("utf-8")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode("utf-8", "surrogateescape"), expected
            ):
                return JSONResponse(
                    {"detail": NEEDS_TOKEN},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > settings.max_body_bytes):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(Exception)
    async def no_tracebacks(_request: Request, _exc: Exception):
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(AtlargeInputError)
    async def input_error(_request: Request, exc: AtlargeInputError):
        if isinstance(exc, ScenarioError):
            loc = ["body", "overrides", exc.path] if exc.file == SET_ORIGIN else ["body"]
            msg = exc.message
        elif isinstance(exc, OptionError):
            loc = ["body", API_FIELDS.get(exc.parameter, exc.parameter)]
            msg = exc.render(API_FIELDS)
        else:
            loc, msg = ["body"], str(exc)
        return JSONResponse(
            {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]}, status_code=422
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no file '{name}'")
        path, media_type = ASSETS[name]
        return FileResponse(path, media_type=media_type)

    @app.get("/api/meta")
    def meta() -> Meta:
        """What a client needs to label results: every KPI and daily measure with its
        label, unit, definition, format and how it adds up (the registries), the cost
        stages, and this server's limits."""
        limits = Limits(
            max_cells=settings.max_cells,
            max_jobs=settings.max_jobs,
            max_body_bytes=settings.max_body_bytes,
        )
        return Meta.of(__version__, list(COST_STAGES), limits)

    @app.get("/api/scenarios")
    def list_scenarios() -> list[dict[str, str]]:
        out = []
        for sid, path in _scenario_ids(settings).items():
            try:
                sc = load_scenario(path)
            except AtlargeInputError:
                continue
            out.append({"id": sid, "name": sc.name, "description": sc.description})
        return out

    @app.get("/api/scenarios/{scenario_id}")
    def get_scenario(scenario_id: str) -> dict[str, Any]:
        sc = load_scenario(_scenario_path(settings, scenario_id))
        return {
            "id": scenario_id,
            "name": sc.name,
            "description": sc.description,
            "start_date": sc.start_date.isoformat(),
            "days": sc.days,
            "offices": len(sc.offices.include or []) or 25,
            "levers": [lever.model_dump() for lever in scenario_levers(sc)],
            "parameters": parameter_rows(sc),
        }

    @app.post("/api/runs", status_code=202)
    def start_run(req: RunRequest) -> JobStatus:
        from atlarge.simulation import Simulation, with_days

        path = _scenario_path(settings, req.scenario)
        try:
            sc = load_scenario(path, set={k: v for k, v in req.overrides.items()})
        except ScenarioError as exc:
            loc = (
                ["body", "overrides", exc.path] if exc.file == SET_ORIGIN else ["body", "scenario"]
            )
            raise _unprocessable(loc, exc.message) from None
        except (ValueError, OverflowError, TypeError) as exc:  # a value no check caught
            key = _failing_override(path, req.overrides)
            loc = ["body", "overrides"] + ([key] if key else [])
            raise _unprocessable(loc, f"unusable value: {exc}"[:300]) from None
        parent = _parent_changes(path)  # the report's "Changes from" table, as atlarge run's
        days = req.days or sc.days
        offices = len(sc.offices.include or []) or 25
        if req.reps * days * offices > settings.max_cells:
            raise _unprocessable(
                ["body", "reps"],
                f"reps x days x offices = "
                f"{req.reps * days * offices:,} exceeds the cap of "
                f"{settings.max_cells:,}",
            )
        as_run = with_days(sc, req.days) if req.days else sc  # once, for estimate and run
        config = dataclasses.replace(req.config(), days=None)
        if settings.chunk_size is not None:
            config = dataclasses.replace(config, chunk_size=settings.chunk_size)
        partial = Partial()
        estimate = run_estimate(as_run, config, tables=False)

        def work(progress) -> Finished:
            started = utc_now()
            try:
                result = Simulation.run(as_run, config, progress=progress, on_chunk=partial.seen)
            except BaseException:  # failed or cancelled: no bands, and its arrays let go
                partial.seen(None)
                raise
            result.summary()
            result.parent = parent
            finished = Finished(result)
            if store is not None:
                try:
                    with store_lock:
                        finished.stored_run_id = _store_run(store, result, req, started, utc_now())
                except Exception as exc:  # the results stand; say they were not stored
                    finished.note = f"not recorded in the results store ({type(exc).__name__})"
            return finished

        try:  # runs accepted and not finished have their memory reserved
            job = queue.submit(work, total=req.reps, label=req.scenario, estimate=estimate)
        except QueueFull as exc:
            raise HTTPException(429, str(exc)) from None
        except OptionError as exc:
            if exc.parameter != "reps":  # the server's own setting is wrong
                raise
            raise _unprocessable(["body", "reps"], exc.render(API_FIELDS)) from None
        requests[job.id] = req
        partials[job.id] = partial
        for gone in set(requests) - {j.id for j in queue.jobs()}:
            requests.pop(gone, None)
        for ended in set(partials) - {j.id for j in queue.jobs() if j.active}:
            partials.pop(ended, None)  # a finished run's bands are its own
        return _status(job, req)

    def _job(job_id: str, finished: bool = False) -> Job:
        try:
            job = queue.status(job_id)
        except JobNotFound:
            raise HTTPException(404, f"no job '{job_id}'") from None
        if finished and job.state != "done":
            raise HTTPException(409, f"job '{job_id}' is {job.state}")
        return job

    def _run(job_id: str) -> Finished:
        return _job(job_id, finished=True).result

    @app.get("/api/runs")
    def list_runs() -> list[JobStatus]:
        """The jobs this server keeps, oldest first (a page reload finds its runs again)."""
        return [_status(j, requests[j.id]) for j in queue.jobs() if j.id in requests]

    @app.get("/api/runs/{job_id}")
    def run_status(job_id: str) -> JobStatus:
        job = _job(job_id)
        return _status(job, requests[job.id])

    @app.delete("/api/runs/{job_id}")
    def cancel_run(job_id: str) -> JobStatus:
        """Cancel a run: at once if queued, after its current chunk if running (a run that
        has ended is left as it is)."""
        job = _job(job_id)
        queue.cancel(job.id)
        return _status(job, requests[job.id])

    @app.get("/api/runs/{job_id}/bands", response_model=Bands)
    def run_bands_(job_id: str) -> dict[str, Any]:
        """Daily percentile bands (p5, p25, p50, p75, p95, mean) of the national series,
        the target, beds and seats lines, arrests by priority group, which capacity
        binds (the share of replications in which each is full, day by day), with a
        budget each funding line's runway and cumulative spending (null without one), and
        what the detailing agencies' home missions lose (null when none is detailed).

        While the run goes on, after its first chunk: the same of the replications
        finished so far, with ``partial`` true and ``reps_done`` of ``reps_total`` (409
        before the first chunk, as for a run that failed or was cancelled)."""
        job = _job(job_id)
        if job.state != "done":
            partial = partials.get(job.id)
            bands = partial.current(job.total) if partial and job.active else None
            if bands is None:
                raise HTTPException(409, f"job '{job_id}' is {job.state}")
            return bands
        run: Finished = job.result
        if run.bands is None:
            run.bands = _bands(run.result, job.total)
        return run.bands

    @app.get("/api/runs/{job_id}/report")
    def run_report(job_id: str) -> Response:
        """The run's self-contained HTML report, as ``atlarge run`` writes it."""
        from atlarge.report import render_report

        job = _job(job_id, finished=True)
        result = job.result.result
        html = render_report(result.output, result.summary(), parent=result.parent)
        return Response(html, media_type="text/html", headers=_download(job, "report.html"))

    @app.get(
        "/api/runs/{job_id}/summary", response_model=Summary, response_model_exclude_unset=True
    )
    def run_summary(job_id: str) -> dict[str, Any]:
        """The run's summary.json, as ``atlarge run`` writes it."""
        return _run(job_id).result.summary()

    @app.get("/api/runs/{job_id}/brief", response_model=Brief)
    def run_brief(job_id: str) -> dict[str, Any]:
        """The run's "In brief": a few plain sentences with every figure's band and kind
        of band, as ``atlarge run`` writes brief.md and the top of report.html."""
        from atlarge.report.brief import brief_json

        return brief_json(_run(job_id).result.summary())

    @app.get("/api/runs/{job_id}/timeseries")
    def run_timeseries(job_id: str, format: Literal["json", "csv", "parquet"] = "json"):
        job = _job(job_id, finished=True)
        table = national_table(job.result.result.output)
        if format == "json":
            return {
                "columns": table.column_names,
                "rows": [list(r.values()) for r in table.to_pylist()],
            }
        buf = io.BytesIO()
        if format == "csv":
            pacsv.write_csv(table, buf)
            return Response(
                buf.getvalue(), media_type="text/csv", headers=_download(job, "national.csv")
            )
        pq.write_table(table, buf)
        return Response(
            buf.getvalue(),
            media_type="application/vnd.apache.parquet",
            headers=_download(job, "national.parquet"),
        )

    @app.get(
        "/api/runs/{job_id}/export.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "The table as CSV."}},
    )
    def run_export_csv(job_id: str, table: Literal["kpis", "offices"] = "kpis") -> Response:
        """The run's KPI table (``table=kpis``) or field-office table (``offices``) as CSV,
        as ``atlarge run`` writes kpis.csv and offices.csv: the numbers of the summary in
        full, each row with the kind of its band."""
        job = _job(job_id, finished=True)
        summary = job.result.result.summary()
        text = kpis_csv(summary) if table == "kpis" else offices_csv(summary)
        return Response(
            text, media_type="text/csv; charset=utf-8", headers=_download(job, f"{table}.csv")
        )

    @app.get(
        "/api/runs/{job_id}/export.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX_TYPE: {}}, "description": "The workbook."}},
    )
    def run_export_xlsx(job_id: str) -> Response:
        """The run's KPI and field-office tables as one workbook (sheets KPIs, Offices and
        About), as ``atlarge run`` writes atlarge-results.xlsx."""
        job = _job(job_id, finished=True)
        data = to_xlsx(job.result.result.summary())
        return Response(data, media_type=XLSX_TYPE, headers=_download(job, "results.xlsx"))

    @app.get("/api/compare", response_model=Comparison, response_model_exclude_unset=True)
    def compare(a: str, b: str | None = None, allow_different: bool = False) -> dict[str, Any]:
        """Two runs' KPIs side by side with the difference of medians (B - A), each also
        labelled and formatted as the report shows it; without ``b``, run A's alone.

        Only like with like: runs over another horizon or from another start date are
        refused (409) unless ``allow_different=true``; ``differences`` lists what differs
        (also what the bands contain), for the client to show."""
        sa = _run(a).result.summary()
        runs = {"a": sa["kpis"]}
        differences: list[dict[str, Any]] = []
        if b is not None:
            sb = _run(b).result.summary()
            runs["b"] = sb["kpis"]
            differences = run_differences(sa, sb)
            blocking = [d["message"] for d in differences if d["blocking"]]
            if blocking and not allow_different:
                raise HTTPException(
                    409,
                    f"runs {a} and {b} are not like with like ({'; '.join(blocking)}); compare "
                    "runs over the same days, or ask with allow_different=true",
                )
        kpis = {}
        shown = shown_kpis(sa).keys() | (shown_kpis(sb).keys() if b is not None else set())
        # A mechanism off in both: no row; a KPI one run does not list (its stage off): none.
        for k in (k for k in runs["a"] if k in shown and all(k in r for r in runs.values())):
            entry: dict[str, Any] = {
                "label": KPIS[k].label,
                **{t: s[k] for t, s in runs.items()},
            }
            entry["formatted"] = {
                t: {q: format_value(k, s[k][q]) for q in ("p5", "p50", "p95")}
                for t, s in runs.items()
            }
            if b is not None:
                pa, pb = runs["a"][k]["p50"], runs["b"][k]["p50"]
                diff = None if pa is None or pb is None else pb - pa
                entry["difference_p50"] = diff
                entry["formatted"]["difference_p50"] = format_difference(k, diff)
            kpis[k] = entry
        return {"a": a, "b": b, "differences": differences, "kpis": kpis}

    return app
