"""Provenance as data: structured sources, shown one way, and office weights as parameters."""

from __future__ import annotations

import numpy as np
import pytest

from atlarge.analysis.summary import parameter_rows
from atlarge.model.inputs import build_inputs
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.offices import load_offices
from atlarge.scenario.sources import Source, format_source
from atlarge.scenario.uncertainty import drawn_scenario, ranged_parameters
from tests.conftest import BASELINE, OPERATION, SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_source_names_publisher_title_and_confidence(path):
    for name, p in iter_params(load_scenario(path)):
        if p.assumption and p.source is None:
            continue  # an assumption carries a range and a rationale instead
        s = p.source
        assert s is not None and s.publisher and s.title and s.confidence, name


def test_a_plain_string_is_read_as_the_note(tmp_path):
    path = tmp_path / "user.toml"
    path.write_text(
        f'extends = "{BASELINE}"\n[detention.beds]\nvalue = 50000\nunit = "beds"\n'
        'source = "my own estimate"\n'
    )
    beds = load_scenario(path).detention.beds
    assert beds.source == Source(note="my own estimate")
    assert format_source(beds.source) == "my own estimate"


def test_format_source_gives_every_part_in_one_order():
    s = Source(
        publisher="ICE",
        title="FY2024 Annual Report",
        date="2024-12-19",
        url="https://ice.gov/x",
        confidence="High",
        note="113,431 arrests",
    )
    assert format_source(s) == (
        "ICE, FY2024 Annual Report (2024-12-19; High confidence) https://ice.gov/x: 113,431 arrests"
    )
    changed = Source(note="set by a test (was 1)", was=s)
    assert format_source(changed) == f"set by a test (was 1); before: {format_source(s)}"


def test_parameter_rows_carry_the_formatted_source_and_its_fields():
    sc = load_scenario(OPERATION, set={"detention.beds": 60000})
    rows = {r["path"]: r for r in parameter_rows(sc)}
    target = rows["target.arrests_per_day"]
    assert target["source"] == format_source(sc.target.arrests_per_day.source)
    assert target["source_fields"]["confidence"] == "High"
    beds = rows["detention.beds"]
    assert beds["source_fields"]["note"].startswith("set by an override (was 41,500")
    assert beds["source_fields"]["was"]["publisher"].startswith("CBS News")
    assert rows["targeting.pressure_shift"]["source"] is None  # an assumption


def test_default_office_weights_are_todays_and_sum_to_one():
    sc = load_scenario(BASELINE)
    off = sc.offices.spread()
    default = load_offices()
    assert np.array_equal(off.population_weight, default.population_weight)
    assert np.array_equal(off.bed_weight, default.bed_weight)
    assert off.population_weight.sum() == pytest.approx(
        1
    ) and off.bed_weight.sum() == pytest.approx(1)
    assert "offices.weights.population.ATL" in dict(iter_params(sc))


def test_set_office_population_changes_its_share_of_the_target():
    base = build_inputs(load_scenario(BASELINE, set={"days": 5}))
    atl = base.offices.codes.index("ATL")
    more = build_inputs(
        load_scenario(BASELINE, set={"days": 5, "offices.weights.population.ATL": 1_000_000})
    )
    share = lambda inp: inp.target_office[0, atl] / inp.target_national[0]  # noqa: E731
    assert share(more) > share(base)
    assert more.target_office[0].sum() == pytest.approx(more.target_national[0])
    assert more.offices.population_weight.sum() == pytest.approx(1)


def test_set_texas_share_moves_beds_and_keeps_the_total():
    sc = load_scenario(BASELINE, set={"days": 5, "offices.weights.texas_share": 0.5})
    inp = build_inputs(sc)
    tx = [inp.offices.codes.index(c) for c in ("DAL", "ELP", "HAL", "HOU", "SNA")]
    assert inp.offices.bed_weight[tx].sum() == pytest.approx(0.5)
    assert (inp.beds.sum(axis=1) == inp.beds_national).all()


def test_texas_and_louisiana_shares_above_one_are_refused():
    from atlarge.errors import ScenarioError

    with pytest.raises(ScenarioError, match="sum above 1"):
        load_scenario(BASELINE, set={"offices.weights.texas_share": 0.9})


def test_uncertainty_draws_office_weights_only_when_asked_and_draws_others_alike():
    sc = load_scenario(OPERATION)
    assert not any(r.path.startswith("offices.") for r in ranged_parameters(sc))
    on = sc.with_values({"offices.draw_weights": True}, "a test")
    assert [r.path for r in ranged_parameters(on)][-1] == "offices.weights.harlingen_split"
    drawn_off = drawn_scenario(sc, seed=3, draw=0)[1]
    drawn_on, values = drawn_scenario(on, seed=3, draw=0)
    split = values.pop("offices.weights.harlingen_split")
    assert values == drawn_off  # the weights come last: every other draw is unchanged
    assert split != 0.5 and 0.35 <= split <= 0.65
    off = drawn_on.offices.spread()
    sna, hal = off.codes.index("SNA"), off.codes.index("HAL")
    assert off.population_weight[hal] / off.population_weight[sna] == pytest.approx(
        split / (1 - split)
    )
    assert off.population_weight.sum() == pytest.approx(1)


def test_the_bed_split_note_says_the_shares_as_run():
    """The words under the offices table follow the weights set, never a filed figure."""
    default = load_scenario(OPERATION).offices.spread().notes["bed_split"]
    assert "remaining 45% over the other 19 offices" in default
    changed = load_scenario(OPERATION, set={"offices.weights.texas_share": 0.5})
    assert "remaining 34% over the other 19 offices" in changed.offices.spread().notes["bed_split"]
