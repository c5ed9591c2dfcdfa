"""Schemathesis: requests generated from the API's own OpenAPI schema never get a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from atlarge.api import ApiSettings, create_app
from tests.conftest import SCENARIOS

# Accepted runs are tiny (replications x days x offices <= 500), so generated ones finish fast.
APP = create_app(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=2, max_cells=500))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_on_generated_requests(case):
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error,))


def test_openapi_types_the_results_and_real_responses_validate_against_it():
    """/openapi.json describes the summary (every KPI with mean, p5, p50, p95), the
    comparison, the registry and the bands; what the server sends validates against it."""
    import time

    from fastapi.testclient import TestClient
    from jsonschema import Draft202012Validator

    from atlarge.analysis.kpis import KPIS

    with TestClient(create_app(ApiSettings(scenarios_dir=SCENARIOS))) as client:
        spec = client.get("/openapi.json").json()
        components = spec["components"]["schemas"]

        def schema_of(path: str) -> dict:
            ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            return {**ok["schema"], "components": spec["components"]}

        summary = schema_of("/api/runs/{job_id}/summary")
        assert summary["$ref"].endswith("/Summary")
        kpis = components[components["Summary"]["properties"]["kpis"]["$ref"].split("/")[-1]]
        # Required: every KPI but those shown only when their stage is on.
        assert set(kpis["required"]) == {k for k, kpi in KPIS.items() if not kpi.only_when_on}
        assert set(kpis["properties"]) == set(KPIS)
        for key, kpi in KPIS.items():
            assert kpis["properties"][key]["title"] == kpi.label
            assert kpi.definition in kpis["properties"][key]["description"]
        assert {"mean", "p5", "p50", "p95"} <= set(components["Stats"]["required"])
        # Bands say whether they cover the whole run or the replications finished so far.
        bands = components["Bands"]
        assert {"partial", "reps_done", "reps_total", "mechanisms"} <= set(bands["required"])
        assert bands["properties"]["partial"]["type"] == "boolean"

        body = {"scenario": "operation-at-large", "reps": 4, "days": 10}
        job = client.post("/api/runs", json=body).json()["job_id"]
        deadline = time.time() + 120
        while client.get(f"/api/runs/{job}").json()["status"] not in ("done", "failed"):
            assert time.time() < deadline, "the run did not finish"
            time.sleep(0.05)
        for path, url in [
            ("/api/runs/{job_id}/summary", f"/api/runs/{job}/summary"),
            ("/api/runs/{job_id}/bands", f"/api/runs/{job}/bands"),
            ("/api/compare", f"/api/compare?a={job}&b={job}"),
            ("/api/meta", "/api/meta"),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            Draft202012Validator(schema_of(path)).validate(response.json())
        # A response that breaks the schema is caught: the checks are not vacuous.
        broken = client.get(f"/api/runs/{job}/summary").json()
        del broken["kpis"]["arrests_total"]["p50"]
        assert not Draft202012Validator(schema_of("/api/runs/{job_id}/summary")).is_valid(broken)
