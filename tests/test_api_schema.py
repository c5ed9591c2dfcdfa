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
