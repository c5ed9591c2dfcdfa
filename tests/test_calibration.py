"""Calibration machinery: known parameters are recovered from a synthetic record."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from atlarge.analysis.backtest import YEARS, YearParams, simulate_year, year_scenario
from atlarge.analysis.calibrate import calibrate, held_out_params
from atlarge.scenario import load_scenario
from atlarge.scenario.schedules import scenario_warnings

SMALL = Path(__file__).parent / "scenarios" / "small-open.toml"
CHANNELS = Path(__file__).parent / "scenarios" / "small-channels.toml"
TOL = {"posture": 0.03, "removal_share": 0.03, "border_transfers_per_day": 0.08, "los": 0.05}


@pytest.fixture(scope="module")
def synthetic():
    """Two years of a three-office pipeline generated with known parameters.

    The base has every arrest channel (custodial, with 287(g) partners; at large;
    collateral) and a narrow priority for one group, so the fit recovers the residual
    posture under each year's policy input (FY2017: narrow, then broad from 2017-02-20;
    FY2024: broad in the warm-up, then narrow from 2023-06-23)."""
    base = load_scenario(CHANNELS, set={"transport.seats_per_day": 3000})
    years = (YEARS[2017], YEARS[2024])  # FY2017: inflow from book-ins; FY2024: fitted
    truth = {  # chosen so that neither beds nor seats bind in either year
        "FY2017": YearParams(1.25, 0.70, YEARS[2017].border_from_book_ins(), 0.9),
        "FY2024": YearParams(0.85, 0.60, 300.0, 0.9),
    }
    record = {}
    for y in years:
        values = simulate_year(base, y, truth[y.period], reps=24, seed=99)
        for metric, v in values.items():
            record[(metric, y.period)] = float(np.mean(v))
    return base, years, truth, record


def test_calibrate_recovers_known_parameters(synthetic):
    base, years, truth, record = synthetic
    fit = calibrate(
        base, years, observed=lambda m, p: record.get((m, p)), reps=6, seed=1, iterations=6
    )
    assert fit.history[-1] < 0.02 < fit.history[0]  # it converged from a real distance
    assert fit.los_scale == pytest.approx(0.9, rel=TOL["los"])
    for period, true in truth.items():
        got = fit.years[period]
        assert got.posture == pytest.approx(true.posture, rel=TOL["posture"]), period
        assert got.removal_share == pytest.approx(true.removal_share, rel=TOL["removal_share"]), (
            period
        )
        assert got.border_transfers_per_day == pytest.approx(
            true.border_transfers_per_day, rel=TOL["border_transfers_per_day"]
        ), period
    assert not fit.border_fitted["FY2017"] and fit.border_fitted["FY2024"]


def test_held_out_years_take_the_other_years_typical_values(synthetic):
    base, years, _, record = synthetic
    fit = calibrate(
        base, years, observed=lambda m, p: record.get((m, p)), reps=2, seed=1, iterations=1
    )
    p = held_out_params(fit, YEARS[2024])
    assert p.posture == pytest.approx(fit.years["FY2017"].posture)
    assert p.los_scale == fit.los_scale


def test_year_scenario_uses_the_years_inputs():
    base = load_scenario(SMALL)
    sc = year_scenario(base, YEARS[2017], YearParams(1.0, 0.5, 100.0, 1.0))
    assert sc.workforce.ero.headcount.value == 5800
    assert sc.detention.beds.value == 39324
    removal = sum(d.share.value for d in sc.dispositions.values() if d.outcome == "removal")
    assert removal == pytest.approx(0.5)
    assert sum(d.share.value for d in sc.dispositions.values()) == pytest.approx(1.0)
    assert sc.start_date.isoformat() == "2016-06-03"  # 120 warm-up days before 1 Oct 2016


def _priority(sc, when):
    return sc.policy.priority["no_criminal"].at(when)


@pytest.fixture(scope="module")
def channels():
    """A base with [custodial], [collateral], 287(g) partners and a narrow priority for
    one group (0.4 from its start, 0.2 from 2023-12-01: narrow is the value on its start)."""
    return load_scenario(CHANNELS)


@pytest.mark.parametrize(
    ("fy", "day", "scope"),
    [
        (2015, "2014-06-03", "narrow"),  # before the Johnson memorandum: narrow from the start
        (2015, "2014-11-20", "narrow"),
        (2016, "2016-09-30", "narrow"),
        (2017, "2017-02-19", "narrow"),
        (2017, "2017-02-20", "broad"),  # Kelly memorandum
        (2018, "2017-06-03", "broad"),
        (2018, "2018-09-30", "broad"),
        (2022, "2021-06-03", "narrow"),  # ICE interim guidance, 2021-02-18
        (2022, "2021-11-29", "narrow"),  # Mayorkas guidelines in effect
        (2022, "2022-06-09", "narrow"),
        (2022, "2022-06-10", "broad"),  # guidelines vacated (S.D. Tex.)
        (2023, "2022-06-09", "narrow"),  # warm-up
        (2023, "2022-06-10", "broad"),
        (2023, "2023-06-22", "broad"),
        (2023, "2023-06-23", "narrow"),  # United States v. Texas
        (2024, "2023-06-22", "broad"),  # warm-up
        (2024, "2023-06-23", "narrow"),
        (2024, "2024-09-30", "narrow"),
    ],
)
def test_year_scenario_applies_the_years_priority_policy(channels, fy, day, scope):
    import datetime as dt

    from atlarge.analysis.backtest import policy_in_force

    when = dt.date.fromisoformat(day)
    sc = year_scenario(channels, YEARS[fy], YearParams())
    assert sc.start_date <= when < sc.start_date + dt.timedelta(days=sc.days)
    assert _priority(sc, when) == {"narrow": 0.4, "broad": 1.0}[scope]
    assert policy_in_force(when).scope == scope
    # every group the base gives a priority keeps one; narrow is the base's own value on
    # its start (1 for the groups the shipped guidelines make wholly eligible)
    assert set(sc.policy.priority) == set(channels.policy.priority)
    for key, p in sc.policy.priority.items():
        narrow = channels.policy.priority[key].at(channels.start_date)
        assert p.at(when) == {"narrow": narrow, "broad": 1.0}[scope]
    # every policy date lies inside the horizon (none before its start or after its end)
    assert not [w for w in scenario_warnings(sc) if w.path.startswith("policy.")]


def test_year_policy_documents_are_dated_and_published():
    from atlarge.analysis.backtest import POLICY, year_policy

    assert [p.effective for p in POLICY] == sorted(p.effective for p in POLICY)
    assert all(p.publisher and p.document and p.date <= p.effective for p in POLICY)
    fy2022 = [(w.isoformat(), p.scope) for w, p in year_policy(YEARS[2022])]
    assert fy2022 == [("2021-06-03", "narrow"), ("2021-11-29", "narrow"), ("2022-06-10", "broad")]
    assert year_policy(YEARS[2015])[0][1].document.startswith("Policies for the")


def _without_priority(base, keep=()):
    """``base`` with ``policy.priority`` only for the groups in ``keep`` (the shipped
    baseline gives every group one, and a file cannot take an inherited table away)."""
    priority = {k: v for k, v in base.policy.priority.items() if k in keep}
    return base.model_copy(update={"policy": base.policy.model_copy(update={"priority": priority})})


def test_groups_the_base_leaves_out_stay_out(channels):
    base = _without_priority(channels, keep={"no_criminal"})
    for fy in (2017, 2024):
        sc = year_scenario(base, YEARS[fy], YearParams())
        # fully eligible whatever the policy: no priority is added for them
        assert set(sc.policy.priority) == {"no_criminal"}
        changed = {k.split("@")[0] for k in sc.overrides if k.startswith("policy.")}
        assert changed == {"policy.priority.no_criminal"}


def test_without_a_priority_the_policy_input_changes_nothing():
    base = _without_priority(load_scenario(SMALL))
    assert not base.policy.priority
    sc = year_scenario(base, YEARS[2017], YearParams())
    assert not sc.policy.priority
    assert not any(k.startswith("policy.") for k in sc.overrides)


def test_posture_is_a_residual_on_every_yield_and_partners_are_kept(channels):
    sc = year_scenario(channels, YEARS[2017], YearParams(posture=1.5))
    assert sc.custodial.arrests_per_agent_day.value == pytest.approx(0.5 * 1.5)
    for key, g in channels.groups.items():
        assert sc.groups[key].arrests_per_agent_day.value == pytest.approx(
            g.arrests_per_agent_day.value * 1.5
        )
    assert sc.workforce.partners_287g == channels.workforce.partners_287g  # no per-year count
    assert sc.workforce.ero.headcount.value == YEARS[2017].officers
    assert sc.collateral == channels.collateral  # collateral follows at-large arrests


def test_held_out_years_keep_their_own_policy_input(channels):
    from atlarge.analysis.calibrate import Calibration

    fit = Calibration(
        los_scale=1.0,
        years={
            "FY2017": YearParams(2.0, 0.7, 100.0),
            "FY2024": YearParams(0.5, 0.7, 100.0),
            "FY2018": YearParams(1.0, 0.7, 100.0),
        },
        border_fitted={},
        fitted_on={},
    )
    p = held_out_params(fit, YEARS[2018])
    assert p.posture == pytest.approx(1.0)  # the others' typical residual
    sc = year_scenario(channels, YEARS[2018], p)
    assert _priority(sc, sc.start_date) == 1.0  # FY2018's own input: broad


def test_fitted_scenario_is_what_calibrate_writes_from_the_committed_fit():
    from atlarge.analysis.backtest_run import load_calibration
    from atlarge.analysis.fitted_scenario import fitted_scenario_toml
    from tests.conftest import SCENARIOS

    base = load_scenario(SCENARIOS / "baseline-2024.toml")
    expected = fitted_scenario_toml("baseline-2024.toml", base, load_calibration())
    path = SCENARIOS / "baseline-2024-fitted.toml"
    assert path.read_text() == expected, "rerun `atlarge calibrate` and commit both files"
    sc = load_scenario(path)
    fitted = [p for p in sc.dispositions.values() if p.share.fitted]
    assert len(fitted) == len(sc.dispositions)
    assert all("FY2024" in f for f in sc.inflow.border_transfers_per_day.fitted.fitted_on)
    assert sc.groups["no_criminal"].arrests_per_agent_day.fitted is not None


def test_fitted_scenario_parses_back_to_the_fit():
    """Every value written is the fit's (bit for bit), with its unit, and the text survives
    quotes, backslashes and control characters (DEL, which JSON quoting let through and TOML
    refuses) in what it carries over from the base."""
    import tomllib

    from atlarge.analysis.backtest_run import load_calibration
    from atlarge.analysis.fitted_scenario import METHOD, fitted_scenario_toml
    from tests.conftest import SCENARIOS

    calibration = load_calibration()
    base = load_scenario(SCENARIOS / "baseline-2024.toml")
    base = base.model_copy(update={"name": 'A "quoted" \\ name', "description": "Two\nlines\x7f."})
    doc = tomllib.loads(fitted_scenario_toml('dir\\odd "base".toml', base, calibration))
    y = calibration["fit"]["years"]["FY2024"]
    fitted = year_scenario(
        base,
        YEARS[2024],
        YearParams(
            y["posture"], y["removal_share"], y["border_transfers_per_day"],
            calibration["fit"]["los_scale"],
        ),
    )  # fmt: skip
    assert doc["extends"] == 'dir\\odd "base".toml'
    assert doc["name"] == 'A "quoted" \\ name (fitted)'
    assert doc["description"].startswith("Two\nlines\x7f. Fitted to the public record")
    assert doc["workforce"]["ero"]["headcount"]["value"] == YEARS[2024].officers
    assert "fitted" not in doc["workforce"]["ero"]["headcount"]  # an input, not a fit
    inflow = doc["inflow"]["border_transfers_per_day"]
    assert inflow["value"] == y["border_transfers_per_day"]
    assert inflow["fitted"]["method"] == METHOD
    for key, g in fitted.groups.items():
        table = doc["groups"][key]["arrests_per_agent_day"]
        assert table["value"] == g.arrests_per_agent_day.value
        assert table["unit"] == g.arrests_per_agent_day.unit
        assert table["fitted"]["fitted_on"] == ["ICE ERO administrative arrests FY2024"]
    for key, d in fitted.dispositions.items():
        assert doc["dispositions"][key]["share"]["value"] == d.share.value
        assert doc["dispositions"][key]["mean_days"]["value"] == d.mean_days.value


def test_fitted_scenario_carries_the_custodial_yield_times_the_residual(channels, tmp_path):
    import tomllib

    from atlarge.analysis.backtest_run import load_calibration
    from atlarge.analysis.fitted_scenario import fitted_scenario_toml

    calibration = load_calibration()
    posture = calibration["fit"]["years"]["FY2024"]["posture"]
    text = fitted_scenario_toml(str(CHANNELS), channels, calibration)
    table = tomllib.loads(text)["custodial"]["arrests_per_agent_day"]
    assert table["value"] == pytest.approx(0.5 * posture)
    assert table["unit"] == "arrests/agent-day"
    assert table["fitted"]["fitted_on"] == ["ICE ERO administrative arrests FY2024"]
    assert "residual" in table["source"]["note"]
    path = tmp_path / "fitted.toml"
    path.write_text(text)
    sc = load_scenario(path)  # extends the base: its custodial section whole, yield replaced
    assert sc.custodial.arrests_per_agent_day.value == table["value"]
    assert sc.custodial.group_mix == channels.custodial.group_mix
    assert sc.policy.priority == channels.policy.priority  # the base's policy, not a year's


def test_a_held_out_years_removal_share_follows_its_share_under_title_42():
    """The other years' shares on a line in their share under Title 42 (FY2022 wholly,
    FY2023 61%): a left-out year is read off the line at its own share."""
    from atlarge.analysis.backtest import title42_share
    from atlarge.analysis.calibrate import Calibration

    def share(fy):
        return 0.8 - 0.4 * title42_share(YEARS[fy])

    years = {f"FY{fy}": YearParams(1.0, share(fy), 100.0) for fy in (2016, 2018, 2023, 2024)}
    fit = Calibration(los_scale=1.0, years=years, border_fitted={}, fitted_on={})
    assert held_out_params(fit, YEARS[2022]).removal_share == pytest.approx(0.4)
    assert held_out_params(fit, YEARS[2017]).removal_share == pytest.approx(0.8)
    # without a year under the order among the others, no line: their mean
    flat = Calibration(los_scale=1.0, years={k: v for k, v in years.items() if k != "FY2023"},
                       border_fitted={}, fitted_on={})  # fmt: skip
    assert held_out_params(flat, YEARS[2022]).removal_share == pytest.approx(0.8)


def test_a_held_out_year_takes_only_the_years_that_measure_each_quantity():
    """FY2017 has no removals figure: its removal share is only the starting value, so it
    does not enter the line; every year measures arrests, and the posture is a line in
    the share of the year under a broad priority policy."""
    from atlarge.analysis.backtest import broad_share, title42_share
    from atlarge.analysis.calibrate import Calibration

    def params(fy, share):
        return YearParams(math.exp(-0.15 + 0.3 * broad_share(YEARS[fy])), share, 100.0)

    years = {f"FY{fy}": params(fy, 0.8 - 0.4 * title42_share(YEARS[fy]))
             for fy in (2016, 2018, 2022, 2023, 2024)}  # fmt: skip
    years["FY2017"] = params(2017, 0.05)  # far off the line: would pull it if used
    fitted_on = {k: ["arrests", "removals"] for k in years} | {"FY2017": ["arrests", "alos"]}
    fit = Calibration(los_scale=1.0, years=years, border_fitted={}, fitted_on=fitted_on)
    held = held_out_params(fit, YEARS[2022])
    assert held.removal_share == pytest.approx(0.4)
    assert held.posture == pytest.approx(math.exp(-0.15 + 0.3 * broad_share(YEARS[2022])))
    assert held_out_params(fit, YEARS[2018]).posture == pytest.approx(math.exp(0.15))
