"""Golden summaries: the numbers of every shipped scenario, bit for bit.

Small runs (70 days, 4 replications, seed 7, chunks of 3, with and without
parameter draws) of each scenario in ``scenarios/``; their KPIs and tables must
equal the files in ``tests/golden/`` exactly. A refactoring that moves a
number fails here. A change that is meant to move numbers (a new mechanism, a
refit) regenerates the files on purpose and says so in its note:

    python tests/test_golden.py --write

The files were first written before issue 10's changes and checked equal after
them (the issue changed no number).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
KEYS = ("kpis", "by_office", "by_agency", "by_group", "cost_by_stage_usd")
CASES = {"fixed": {}, "uncertainty": {"uncertainty_inner": 2}}


def golden_summary(scenario: Path, case: str) -> dict:
    """The compared part of the summary of one small run."""
    from atlarge.scenario import load_scenario
    from atlarge.simulation import simulate

    sc = load_scenario(scenario, set={"days": 70})
    res = simulate(sc, reps=4, seed=7, workers=1, chunk_size=3, **CASES[case])
    summary = res.summary()
    return json.loads(json.dumps({k: summary[k] for k in KEYS if k in summary}))


def _cases():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        for case in CASES:
            yield pytest.param(path, case, id=f"{path.stem}-{case}")


@pytest.mark.parametrize(("scenario", "case"), list(_cases()))
def test_numbers_are_bit_identical_to_the_golden_files(scenario, case):
    expected = GOLDEN / f"{scenario.stem}-{case}.json"
    assert expected.is_file(), f"no golden file for {scenario.name} ({case}): run with --write"
    assert golden_summary(scenario, case) == json.loads(expected.read_text())


def test_every_golden_file_belongs_to_a_shipped_scenario():
    wanted = {f"{p.stem}-{c}.json" for p in (ROOT / "scenarios").glob("*.toml") for c in CASES}
    assert {p.name for p in GOLDEN.glob("*.json")} == wanted


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write  (rewrites tests/golden/)")
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("*.json"):
        old.unlink()
    for param in _cases():
        scenario, case = param.values
        doc = golden_summary(scenario, case)
        (GOLDEN / f"{scenario.stem}-{case}.json").write_text(
            json.dumps(doc, indent=1, sort_keys=True)
        )
        print("wrote", scenario.stem, case)
