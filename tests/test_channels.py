"""Arrest channels, priority and departures from the pools (issue 12, docs/model.md 3.3).

Over scenarios generated with the new sections (hypothesis), for every replication,
office and day: each pool is the previous day's, plus replenishment, less the day's
arrests (all channels) and departures, and nothing else; arrests are the sum of the
custodial, at-large and collateral arrests; no count is negative; under hold the
arrests of all channels together never exceed the room. With the sections present but
doing nothing the numbers are those without them, bit for bit; a group with priority 0
is arrested in no channel; bad sections are refused with the path named.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.api.responses import Summary
from atlarge.engine.allocation import stochastic_round
from atlarge.engine.rng import RandomStreams
from atlarge.model.inputs import build_inputs
from atlarge.model.steps import Stream
from atlarge.runs.replications import run_replications
from atlarge.scenario import Scenario, load_scenario
from atlarge.scenario.levers import scenario_levers
from atlarge.simulation import simulate
from tests.conftest import BASELINE, OPERATION, copy_scenarios
from tests.test_hold import _check_hold
from tests.test_model_properties import _check_invariants

GROUPS = ("conviction_and_order", "other_criminal", "no_criminal")
UNITS = {
    "removable_bookings_per_day": "persons/day",
    "arrests_per_agent_day": "arrests/agent-day",
    "per_arrest": "persons/arrest",
    "headcount": "agents",
    "ramp_days": "days",
    "cost_per_agent_day": "USD/agent-day",
}


def _param(path: str, value: float, schedule: dict[str, float] | None = None) -> str:
    unit = UNITS.get(path.rsplit(".", 1)[-1], "fraction")
    lines = [f"[{path}]", f"value = {value!r}", f'unit = "{unit}"', 'source = "Test"']
    if schedule:
        lines.append(
            "schedule = { " + ", ".join(f'"{d}" = {v!r}' for d, v in schedule.items()) + " }"
        )
    return "\n".join(lines) + "\n"


def channel_toml(
    *,
    custodial: dict | None = None,
    ero_custodial_share: float | None = None,
    partners: dict | None = None,
    collateral: float | None = None,
    departures: tuple[float, float] | None = None,
    priority: dict[str, float | tuple[float, dict[str, float]]] | None = None,
) -> str:
    """The new sections as TOML, each left out when None."""
    out = []
    if custodial is not None:
        c = custodial
        out.append(_param("custodial.removable_bookings_per_day", c["bookings"]))
        out.append(_param("custodial.detainer_share", c["detainer"]))
        out.append(_param("custodial.arrests_per_agent_day", c["yield"]))
        for g, share in c["mix"].items():
            out.append(_param(f"custodial.group_mix.{g}", share))
    if ero_custodial_share is not None:
        out.append(_param("workforce.ero.custodial_share", ero_custodial_share))
    if partners is not None:
        out.append("[workforce.partners_287g]\ndiverted = true\n")
        out.append(_param("workforce.partners_287g.headcount", partners["headcount"]))
        out.append(_param("workforce.partners_287g.relative_productivity", 0.5))
        out.append(_param("workforce.partners_287g.ramp_days", 10.0))
        out.append(_param("workforce.partners_287g.cost_per_agent_day", 500.0))
        out.append(_param("workforce.partners_287g.custodial_share", partners["custodial_share"]))
    if collateral is not None:
        out.append(_param("collateral.per_at_large_arrest", collateral))
    if departures is not None:
        out.append(_param("departures.share_per_year", departures[0]))
        out.append(_param("departures.per_arrest", departures[1]))
    for g, p in (priority or {}).items():
        value, schedule = p if isinstance(p, tuple) else (p, None)
        out.append(_param(f"policy.priority.{g}", value, schedule))
    return "\n".join(out)


def load_with(base: Path, sections: str, **sets):
    """``base`` (a shipped scenario) extended by ``sections``, with ``--set`` overrides."""
    with tempfile.TemporaryDirectory() as d:
        copy_scenarios(Path(d))
        path = Path(d) / "channels.toml"
        path.write_text(f'extends = "{base.name}"\nname = "channels"\n\n{sections}')
        return load_scenario(path, set={k.replace("__", "."): v for k, v in sets.items()})


def without_channels(sc: Scenario) -> Scenario:
    """``sc`` without the channel sections (``[custodial]``, ``[collateral]``,
    ``[departures]``, ``policy.priority``) and without custodial effort (every agency's
    ``custodial_share`` left out): the one-channel model. The shipped scenarios have them."""
    data = sc.model_dump()
    data["custodial"] = data["collateral"] = data["departures"] = None
    if data["policy"] is not None:
        data["policy"]["priority"] = {}
    for agency in data["workforce"].values():
        if isinstance(agency, dict) and "headcount" in agency:
            agency["custodial_share"] = None
    return Scenario.model_validate(data)


def without_custodial_effort(sc: Scenario) -> Scenario:
    """``sc`` with every agency's ``custodial_share`` left out (all effort at large)."""
    data = sc.model_dump()
    for agency in data["workforce"].values():
        if isinstance(agency, dict) and "headcount" in agency:
            agency["custodial_share"] = None
    return Scenario.model_validate(data)


def _mix(weights: list[int]) -> dict[str, float]:
    """Shares over the groups from whole weights (sum exactly 1 up to rounding)."""
    total = sum(weights)
    shares = [w / total for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    return {g: max(s, 0.0) for g, s in zip(GROUPS, shares, strict=True)}


channel_sections = st.fixed_dictionaries(
    {
        "custodial": st.none()
        | st.fixed_dictionaries(
            {
                "bookings": st.integers(0, 4000).map(float),
                "detainer": st.floats(0.0, 1.0),
                "yield": st.floats(0.0, 5.0),
                "mix": st.lists(st.integers(1, 5), min_size=3, max_size=3).map(_mix),
            }
        ),
        "ero_custodial_share": st.none() | st.floats(0.0, 1.0),
        "partners": st.none()
        | st.fixed_dictionaries(
            {"headcount": st.integers(0, 3000).map(float), "custodial_share": st.floats(0, 1)}
        ),
        "collateral": st.none() | st.floats(0.0, 1.0),
        "departures": st.none() | st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 10.0)),
        "priority": st.dictionaries(st.sampled_from(GROUPS), st.floats(0.0, 1.0), max_size=3),
    }
)


def _sections(v: dict) -> str:
    v = dict(v)
    if v["custodial"] is None:  # custodial effort needs the channel
        v["ero_custodial_share"] = None
        if v["partners"] is not None:
            v["partners"] = {**v["partners"], "custodial_share": 0.0}
    return channel_toml(**v)


def _check_pools(inputs, s, seed: int) -> None:
    """Pool conservation, the channels' sum, and departures from the pools."""
    parts = s["arrests_custodial"] + s["arrests_at_large"] + s["arrests_collateral"]
    assert np.array_equal(parts, s["arrests"]), "arrests are not the sum of the channels"
    n_r, n_o, n_g, n_d = s["pool"].shape
    streams = RandomStreams.for_replications(seed, np.arange(n_r))
    before = np.broadcast_to(inputs.pool0, (n_r, n_o, n_g)).astype(np.int64)
    for t in range(n_d):
        u = streams.uniform((n_o, n_g), t, Stream.REPLENISH)
        added = stochastic_round(np.broadcast_to(inputs.replenish[t], before.shape), u)
        after = s["pool"][..., t].astype(np.int64)
        moved = np.zeros_like(before)  # court orders move people between pools (3.12)
        if inputs.courts_on and inputs.pending_group != inputs.orders_group:
            moved[..., inputs.pending_group] -= s["orders_to_pool"][..., t]
            moved[..., inputs.orders_group] += s["orders_to_pool"][..., t]
        left = before + added + moved - s["arrests_by_group"][..., t] - after  # departures
        assert (left >= 0).all(), f"day {t}: a pool grew by more than its replenishment"
        assert np.array_equal(left.sum(axis=-1), s["pool_departures"][..., t]), f"day {t}"
        before = after


def _run(v: dict, path: Path, days: int, seed: int = 1, reps: int = 3, **sets):
    sc = load_with(path, _sections(v), days=days, **sets)
    inputs = build_inputs(sc)
    return inputs, run_replications(inputs, seed, reps)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channel_sections,
    st.sampled_from([BASELINE, OPERATION]),
    st.integers(5, 45),
    st.sampled_from(["transfer", "release"]),
    st.integers(0, 2**31),
)
def test_pools_conserve_channels_sum_and_the_pipeline_invariants_hold(v, path, days, mode, seed):
    inputs, s = _run(v, path, days, seed=seed, detention__overflow=mode)
    _check_invariants(inputs, s)
    _check_pools(inputs, s, seed)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channel_sections,
    st.sampled_from([BASELINE, OPERATION]),
    st.integers(5, 40),
    st.integers(38_000, 60_000),
    st.integers(0, 3000),
)
def test_under_hold_all_channels_together_stay_within_the_room(v, path, days, beds, holding):
    inputs, s = _run(
        v,
        path,
        days,
        detention__overflow="hold",
        detention__beds=beds,
        detention__holding_capacity=holding,
        transport__seats_per_day=300,
    )
    _check_hold(inputs, s)
    _check_pools(inputs, s, 1)
    # The national room at the start of each day (end of the day before): free beds plus
    # holding not yet used, summed over offices (overflow is transferred to any office
    # with room), less the national book-in backlog (docs/model.md 3.3).
    detained = np.concatenate(
        [
            np.broadcast_to(
                inputs.initial_detained.sum(-1)[None, :, None], (*s["held"].shape[:2], 1)
            ),
            s["detained"][..., :-1],
        ],
        axis=-1,
    )
    held = np.concatenate([np.zeros_like(s["held"][..., :1]), s["held"][..., :-1]], axis=-1)
    backlog = np.concatenate(
        [np.zeros_like(s["held"][..., :1]), s["processing_backlog"][..., :-1]], axis=-1
    )
    free = np.maximum(inputs.beds.T[None] - detained, 0)
    room = np.maximum(inputs.holding.T[None] + free - held, 0).sum(axis=1)  # (R, D)
    allowed = np.maximum(room - backlog.sum(axis=1), 0)
    assert (s["arrests"].sum(axis=1) <= allowed).all(), "arrests above the national room"


NEUTRAL = channel_toml(
    custodial={"bookings": 3000.0, "detainer": 0.0, "yield": 2.0, "mix": _mix([1, 1, 1])},
    collateral=0.0,
    departures=(0.0, 0.0),
    priority={g: 1.0 for g in GROUPS},
)


@pytest.mark.parametrize("overflow", ["transfer", "hold"])
@pytest.mark.parametrize("path", [BASELINE, OPERATION], ids=["baseline", "operation"])
def test_sections_that_do_nothing_change_no_number(path, overflow):
    """Custodial with detainer share 0, collateral 0, departures 0 and priority 1 give the
    numbers of the scenario without the sections, bit for bit (new draws use new streams).
    The shipped scenarios have the sections: both runs leave out custodial effort, and the
    plain one the sections too."""
    sets = {"days": 40, "detention.overflow": overflow}
    plain = build_inputs(without_channels(load_scenario(path, set=sets)))
    with_sections = build_inputs(without_custodial_effort(load_with(path, NEUTRAL, **sets)))
    assert plain.scenario.custodial is None and with_sections.scenario.custodial is not None
    a = run_replications(plain, 3, 4)
    b = run_replications(with_sections, 3, 4)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    assert a["arrests"].sum() > 0 and np.array_equal(a["arrests"], b["arrests_at_large"])


def test_a_group_with_priority_zero_is_arrested_in_no_channel():
    sections = channel_toml(
        custodial={"bookings": 3000.0, "detainer": 0.8, "yield": 2.0, "mix": _mix([1, 1, 2])},
        ero_custodial_share=0.3,
        collateral=0.5,
        priority={"no_criminal": 0.0, "other_criminal": (1.0, {"2025-07-01": 0.0})},
    )
    sc = load_with(OPERATION, sections, days=40)
    inputs = build_inputs(sc)
    s = run_replications(inputs, 2, 3)
    by_group = s["arrests_by_group"]
    nc, oc = GROUPS.index("no_criminal"), GROUPS.index("other_criminal")
    assert by_group[:, :, nc].sum() == 0
    switched = int(np.flatnonzero(inputs.dates == np.datetime64("2025-07-01"))[0])
    assert by_group[:, :, oc, :switched].sum() > 0 and by_group[:, :, oc, switched:].sum() == 0
    for m in ("arrests_custodial", "arrests_at_large", "arrests_collateral"):
        assert s[m].sum() > 0, m


def test_channels_in_the_summary_kpis_and_api_model():
    sections = channel_toml(
        custodial={"bookings": 3000.0, "detainer": 0.6, "yield": 2.0, "mix": _mix([2, 1, 1])},
        partners={"headcount": 1000.0, "custodial_share": 0.7},
        collateral=0.3,
        departures=(0.05, 1.0),
    )
    res = simulate(load_with(OPERATION, sections, days=30), reps=3, seed=1, workers=1)
    s = res.summary()
    Summary.model_validate(s)  # the API's typed response accepts it
    k = s["kpis"]
    parts = sum(k[f"arrests_{c}"]["mean"] for c in ("custodial", "at_large", "collateral"))
    assert parts == pytest.approx(k["arrests_total"]["mean"])
    assert k["pool_departures"]["mean"] > 0
    assert [r["key"] for r in s["by_channel"]] == ["custodial", "at_large", "collateral"]
    assert sum(r["share_of_arrests"] for r in s["by_channel"]) == pytest.approx(1.0)
    assert all(r["arrests_total"]["mean"] > 0 for r in s["by_channel"])
    assert "287(g) partners" in {r["agency"] for r in s["by_agency"]}
    assert s["mechanisms"]["custodial"] and s["mechanisms"]["departures"]


def test_a_run_without_the_sections_lists_no_channel_kpi_but_all_channels():
    sc = without_channels(load_scenario(OPERATION, set={"days": 20}))
    s = simulate(sc, reps=2, seed=1, workers=1).summary()
    assert not {"arrests_custodial", "arrests_at_large", "arrests_collateral"} & set(s["kpis"])
    assert "pool_departures" not in s["kpis"]
    rows = {r["key"]: r for r in s["by_channel"]}
    assert rows["at_large"]["share_of_arrests"] == 1.0
    assert rows["custodial"]["arrests_total"]["mean"] == 0 == rows["collateral"]["share_of_arrests"]
    json.dumps(s)


def test_287g_partners_are_a_workforce_entry_with_a_lever():
    sections = channel_toml(
        custodial={"bookings": 100.0, "detainer": 0.5, "yield": 1.0, "mix": _mix([1, 1, 1])},
        partners={"headcount": 800.0, "custodial_share": 1.0},
    )
    sc = load_with(BASELINE, sections, days=10)
    assert "workforce.partners_287g.headcount" in {lv.path for lv in scenario_levers(sc)}
    inputs = build_inputs(sc)
    assert inputs.agency_labels[-1] == "287(g) partners"
    # All of the partners' effort is custodial: at-large effort is that of the baseline
    # without partners (the shipped baseline's partners work partly at large).
    data = load_scenario(BASELINE, set={"days": 10}).model_dump()
    data["workforce"]["partners_287g"] = None
    base = build_inputs(Scenario.model_validate(data))
    assert np.allclose(inputs.effort, base.effort)
    assert inputs.effort_custodial.sum() > 0


# ----------------------------------------------------------------- bad sections


@pytest.fixture
def scen(tmp_path):
    (tmp_path / "base.toml").write_text(BASELINE.read_text())

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(f'extends = "base.toml"\n{text}')
        return path

    return make


def _refused(res, *fragments: str) -> None:
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err + res.out
    for f in fragments:
        assert f in res.err, (f, res.err)


CUSTODIAL = {"bookings": 100.0, "detainer": 0.5, "yield": 1.0}


def test_group_mix_naming_an_unknown_group_is_refused(cli, scen):
    mix = {"conviction_and_order": 0.5, "gang_members": 0.5}
    path = scen("mix.toml", channel_toml(custodial={**CUSTODIAL, "mix": mix}))
    _refused(cli("validate", path), "mix.toml", "custodial.group_mix", "gang_members")


def test_group_mix_not_summing_to_one_is_refused(cli, scen):
    mix = {"conviction_and_order": 0.5, "other_criminal": 0.2}
    path = scen("sum.toml", channel_toml(custodial={**CUSTODIAL, "mix": mix}))
    _refused(cli("validate", path), "sum.toml", "custodial.group_mix", "must sum to 1")


def test_priority_for_an_unknown_group_is_refused(cli, scen):
    path = scen("prio.toml", channel_toml(priority={"everyone": 0.5}))
    _refused(cli("validate", path), "prio.toml", "policy.priority", "everyone")


def _without_tables(text: str, drop) -> str:
    """TOML ``text`` without the tables whose dotted name ``drop`` accepts (each table
    runs from its header to the next header)."""
    out, keep = [], True
    for line in text.splitlines(keepends=True):
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            keep = not drop(header.group(1))
        if keep:
            out.append(line)
    return "".join(out)


def test_custodial_effort_without_the_channel_is_refused(cli, scen, tmp_path):
    # The shipped baseline has [custodial]: the base here is the baseline without it and
    # without any custodial effort.
    (tmp_path / "base.toml").write_text(
        _without_tables(
            BASELINE.read_text(),
            lambda name: name.startswith("custodial") or name.endswith(".custodial_share"),
        )
    )
    path = scen("share.toml", channel_toml(ero_custodial_share=0.2))
    _refused(cli("validate", path), "share.toml", "workforce.ero.custodial_share", "[custodial]")
