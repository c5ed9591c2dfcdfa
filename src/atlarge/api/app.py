"""The HTTP API: scenarios, runs as background jobs, results, comparisons.

Thin by design: requests are parsed and checked here, everything else is
the same path as the CLI (scenario loader, ``atlarge.simulate``, summaries).

Safety: the server binds to localhost unless told otherwise; a scenario is
named by its id (a file name stem in the server's scenario folder), never
by a path from the request; overrides go through the same validation as
files (a bad one is a 422 naming its field path); replications x days x
offices, request bodies and concurrent jobs are capped; errors never carry
a traceback.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from atlarge._version import __version__
from atlarge.errors import AtlargeInputError, ScenarioError
from atlarge.runs.timeseries import national_table
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.loader import SET_ORIGIN

LANDING = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>atlarge</title>
<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;color:#222}
code{background:#f4f4f4;padding:0 .3rem}</style></head><body>
<h1>atlarge API</h1>
<p>Aggregate counts only. The schema is at <a href="/openapi.json">/openapi.json</a>.</p>
<ul>
<li><code>GET /api/scenarios</code>: the scenarios this server has</li>
<li><code>GET /api/scenarios/{id}</code>: every parameter with value, unit, source and kind</li>
<li><code>POST /api/runs</code> <code>{"scenario": id, "overrides": {path: value}, "reps": n,
"days": d, "seed": s}</code>: start a run (a background job)</li>
<li><code>GET /api/runs/{job}</code>: status and progress</li>
<li><code>GET /api/runs/{job}/summary</code>, <code>/timeseries?format=json|csv|parquet</code></li>
<li><code>GET /api/compare?a=job&amp;b=job</code>: two runs' KPIs side by side</li>
</ul></body></html>
"""


@dataclass(frozen=True)
class ApiSettings:
    scenarios_dir: Path = Path("scenarios")
    max_cells: int = 400 * 365 * 25  # replications x days x offices per request
    max_body_bytes: int = 64 * 1024
    max_jobs: int = 2  # running or queued at once
    keep_jobs: int = 50  # finished jobs kept in memory for results and comparisons


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=100, description="A scenario id.")
    overrides: dict[str, float | int | bool | str] = Field(
        default_factory=dict, max_length=50, description="Parameter path -> value, as with --set."
    )
    reps: int = Field(default=100, ge=1, le=2000)
    days: int | None = Field(default=None, ge=1, le=3650)
    seed: int = Field(default=1, ge=0, le=2**63 - 1)
    uncertainty_inner: int | None = Field(
        default=None, ge=1, le=1000, description="Draw ranged parameters, J per draw."
    )


class JobStatus(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    scenario: str
    done: int
    total: int
    error: str | None = None


@dataclass
class Job:
    job_id: str
    scenario: str
    total: int
    status: str = "queued"
    done: int = 0
    error: str | None = None
    result: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status_model(self) -> JobStatus:
        return JobStatus(
            job_id=self.job_id,
            status=self.status,
            scenario=self.scenario,
            done=self.done,
            total=self.total,
            error=self.error,
        )


def _scenario_ids(settings: ApiSettings) -> dict[str, Path]:
    folder = settings.scenarios_dir
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def _scenario_path(settings: ApiSettings, scenario_id: str) -> Path:
    path = _scenario_ids(settings).get(scenario_id)
    if path is None:
        raise HTTPException(404, f"no scenario '{scenario_id}'")
    return path


def _unprocessable(loc: list[Any], msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": loc, "msg": msg, "type": "value_error"}])


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    app = FastAPI(
        title="atlarge",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Simulate large-scale immigration enforcement operations "
        "(aggregate counts only).",
    )
    jobs: OrderedDict[str, Job] = OrderedDict()
    jobs_lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=settings.max_jobs, thread_name_prefix="atlarge-job")

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > settings.max_body_bytes):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(Exception)
    async def no_tracebacks(_request: Request, _exc: Exception):
        return JSONResponse({"detail": "internal error"}, status_code=500)

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
        return Response(LANDING, media_type="text/html")

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
        params = [
            {
                "path": path,
                "value": p.value,
                "unit": p.unit,
                "source": p.source,
                "assumption": p.assumption,
                "fitted": p.fitted is not None,
                "rationale": p.rationale,
                "range": list(p.range) if p.range else None,
                "time_varying": p.time_varying,
            }
            for path, p in iter_params(sc)
        ]
        return {
            "id": scenario_id,
            "name": sc.name,
            "description": sc.description,
            "start_date": sc.start_date.isoformat(),
            "days": sc.days,
            "offices": len(sc.offices.include or []) or 25,
            "parameters": params,
        }

    @app.post("/api/runs", status_code=202)
    def start_run(req: RunRequest) -> JobStatus:
        from atlarge.simulation import simulate

        path = _scenario_path(settings, req.scenario)
        try:
            sc = load_scenario(path, set={k: v for k, v in req.overrides.items()})
        except ScenarioError as exc:
            loc = (
                ["body", "overrides", exc.path] if exc.file == SET_ORIGIN else ["body", "scenario"]
            )
            raise _unprocessable(loc, exc.message) from None
        days = req.days or sc.days
        offices = len(sc.offices.include or []) or 25
        if req.reps * days * offices > settings.max_cells:
            raise _unprocessable(
                ["body", "reps"],
                f"reps x days x offices = "
                f"{req.reps * days * offices:,} exceeds the cap of "
                f"{settings.max_cells:,}",
            )
        with jobs_lock:
            active = sum(j.status in ("queued", "running") for j in jobs.values())
            if active >= settings.max_jobs:
                raise HTTPException(429, f"{active} jobs already running; try again later")
            job = Job(job_id=uuid.uuid4().hex[:12], scenario=req.scenario, total=req.reps)
            jobs[job.job_id] = job
            while len(jobs) > settings.keep_jobs:
                oldest = next(iter(jobs))
                if jobs[oldest].status in ("queued", "running"):
                    break
                jobs.popitem(last=False)

        def work() -> None:
            job.status = "running"

            def progress(n: int) -> None:
                with job.lock:
                    job.done += n

            try:
                job.result = simulate(
                    sc,
                    reps=req.reps,
                    seed=req.seed,
                    days=req.days,
                    progress=progress,
                    uncertainty_inner=req.uncertainty_inner,
                )
                job.result.summary()
                job.status = "done"
            except AtlargeInputError as exc:
                job.error, job.status = str(exc), "failed"
            except Exception:
                job.error, job.status = "internal error", "failed"

        pool.submit(work)
        return job.status_model()

    def _job(job_id: str, finished: bool = False) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job '{job_id}'")
        if finished and job.status != "done":
            raise HTTPException(409, f"job '{job_id}' is {job.status}")
        return job

    @app.get("/api/runs/{job_id}")
    def run_status(job_id: str) -> JobStatus:
        return _job(job_id).status_model()

    @app.get("/api/runs/{job_id}/summary")
    def run_summary(job_id: str) -> dict[str, Any]:
        return _job(job_id, finished=True).result.summary()

    @app.get("/api/runs/{job_id}/timeseries")
    def run_timeseries(job_id: str, format: Literal["json", "csv", "parquet"] = "json"):
        table = national_table(_job(job_id, finished=True).result.output)
        if format == "json":
            return {
                "columns": table.column_names,
                "rows": [list(r.values()) for r in table.to_pylist()],
            }
        buf = io.BytesIO()
        if format == "csv":
            pacsv.write_csv(table, buf)
            return Response(buf.getvalue(), media_type="text/csv")
        pq.write_table(table, buf)
        return Response(buf.getvalue(), media_type="application/vnd.apache.parquet")

    @app.get("/api/compare")
    def compare(a: str, b: str) -> dict[str, Any]:
        sa = _job(a, finished=True).result.summary()["kpis"]
        sb = _job(b, finished=True).result.summary()["kpis"]
        return {
            "a": a,
            "b": b,
            "kpis": {
                k: {
                    "a": sa[k],
                    "b": sb[k],
                    "difference_p50": None
                    if sa[k]["p50"] is None or sb[k]["p50"] is None
                    else sb[k]["p50"] - sa[k]["p50"],
                }
                for k in sa
                if k in sb
            },
        }

    return app
