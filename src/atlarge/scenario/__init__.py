"""Scenario files: load, validate, resolve ``extends`` and overrides, hash.

Imports no other layer of the package: it turns files into typed objects.
"""

from atlarge.scenario.loader import iter_params, load_scenario, scenario_sha256
from atlarge.scenario.params import Param
from atlarge.scenario.schema import AGENCIES, AGENCY_LABELS, Scenario

__all__ = [
    "AGENCIES",
    "AGENCY_LABELS",
    "Param",
    "Scenario",
    "iter_params",
    "load_scenario",
    "scenario_sha256",
]
