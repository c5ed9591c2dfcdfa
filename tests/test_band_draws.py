"""What a run's bands drew (report/band_draws.py), and the band captions that word it: the
terminal table's and the HTML report's. A posterior is named only when the run used it;
ranged assumptions only when they were drawn."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from atlarge.report.band_draws import band_draws
from atlarge.report.html import _band_kind
from atlarge.report.terminal import band_caption

PATHS = [f"groups.p{i}" for i in range(8)]


@st.composite
def notes(draw) -> dict[str, Any]:
    """summary.json ``uncertainty`` notes as a run writes them, in each case."""
    case = draw(st.sampled_from(["fixed", "ranged", "held", "drawn"]))
    if case == "fixed":
        return {"kind": "stochastic", "draws": 0, "drawn_parameters": [], "posterior": False,
                "posterior_parameters": [], "posterior_others": None}  # fmt: skip
    paths = draw(st.lists(st.sampled_from(PATHS), min_size=1, unique=True))
    joint = paths[: draw(st.integers(1, len(paths)))] if case in ("held", "drawn") else []
    drawn = joint if case == "held" else paths
    return {
        "kind": "stochastic and parameter",
        "draws": draw(st.integers(2, 40)),
        "replications_per_draw": draw(st.one_of(st.none(), st.integers(1, 20))),
        "replications_by_draw": [2, 3],
        "drawn_parameters": sorted(drawn),
        "posterior": bool(joint),
        "posterior_parameters": sorted(joint),
        "posterior_others": case if joint else None,
    }


@given(notes())
def test_the_split_is_what_the_note_says_was_drawn(u):
    d = band_draws({"uncertainty": u})
    assert set(d.joint) | set(d.independent) == set(u["drawn_parameters"]) | set(
        u["posterior_parameters"]
    )
    assert not set(d.joint) & set(d.independent)
    assert d.posterior == u["posterior"]
    assert set(d.joint) == set(u["posterior_parameters"])
    if u["posterior_others"] == "held":
        assert d.case == "posterior_held" and not d.independent


@given(notes())
def test_captions_name_the_posterior_and_the_ranged_assumptions_only_when_drawn(u):
    summary = {"uncertainty": u}
    d = band_draws(summary)
    caption = band_caption(summary)
    report = _band_kind(summary)["text"]
    for text in (caption, report):
        assert ("posterior" in text) == d.posterior, text
    assert ("ranged assumptions" in caption) == (d.case in ("ranged", "posterior_drawn"))
    assert ("ranged parameter" in report) == (d.case in ("ranged", "posterior_drawn"))
    if d.case == "posterior_held":
        assert "every other parameter held" in caption
        assert "every other parameter held at its value" in report
    if d.case == "fixed":
        assert caption.startswith("p5-p95: chance variation only")
    elif u["replications_per_draw"] == 1:
        assert caption.endswith(", 1 replication each.")


def test_the_terminal_caption_counts_in_words():
    u = {"kind": "stochastic and parameter", "draws": 4, "replications_per_draw": 1,
         "drawn_parameters": ["a"], "posterior": False}  # fmt: skip
    caption = band_caption({"uncertainty": u})
    assert caption == (
        "p5-p95: parameter uncertainty and chance: 4 draws of the ranged assumptions, "
        "1 replication each."
    )


def test_a_summary_from_before_posterior_others_splits_by_the_fitted_rows():
    """summary.json written before ``posterior_others``: ``posterior`` true meant the
    scenario had one; the fitted rows say which drawn parameters were the posterior's."""
    old = {
        "uncertainty": {"kind": "stochastic and parameter", "draws": 4,
                        "drawn_parameters": ["a", "b"], "posterior": True},
        "parameters": [{"path": "a", "fitted": {"source": "fit"}}, {"path": "b", "fitted": None}],
    }  # fmt: skip
    d = band_draws(old)
    assert (d.case, d.joint, d.independent) == ("posterior_drawn", ("a",), ("b",))
    old["parameters"][1]["fitted"] = {"source": "fit"}
    assert band_draws(old).case == "posterior_held"
