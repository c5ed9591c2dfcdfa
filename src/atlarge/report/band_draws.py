"""What a run's bands drew, read from summary.json's ``uncertainty`` note.

One reading for every place that words a band (the brief, the HTML report, the terminal
table, the exports), so none of them says a posterior was used when a changed posterior
path left it unused, or that ranged assumptions were drawn when the posterior held them.

Four cases: randomness alone (no parameter draws); ranged parameters each drawn
independently over its range (no posterior, or one left unused); the fitted parameters
drawn jointly from their posterior with every other parameter held ("held"); and the
posterior jointly with every other ranged parameter drawn independently ("drawn").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Case = Literal["fixed", "ranged", "posterior_held", "posterior_drawn"]


@dataclass(frozen=True)
class BandDraws:
    """The parameters a run's bands drew, split by how they were drawn."""

    case: Case
    draws: int
    joint: tuple[str, ...]
    """Paths drawn jointly from the posterior."""
    independent: tuple[str, ...]
    """Paths drawn each independently over its range."""

    @property
    def posterior(self) -> bool:
        return self.case in ("posterior_held", "posterior_drawn")


def band_draws(summary: Mapping[str, Any]) -> BandDraws:
    """How the bands of ``summary`` were drawn.

    A summary written before ``posterior_others`` existed has ``posterior`` true whenever
    the scenario had a posterior; its drawn parameters are split by whether the parameter
    rows mark them fitted, the others counted as drawn when any is not."""
    u = summary.get("uncertainty") or {}
    if u.get("kind") != "stochastic and parameter":
        return BandDraws("fixed", 0, (), ())
    drawn = tuple(u.get("drawn_parameters") or ())
    draws = int(u.get("draws") or 0)
    if not u.get("posterior"):
        return BandDraws("ranged", draws, (), drawn)
    joint = u.get("posterior_parameters")
    if joint is None:
        fitted = {p["path"] for p in summary.get("parameters") or [] if p.get("fitted")}
        joint = [p for p in drawn if p in fitted]
    joint_set = set(joint)
    independent = tuple(p for p in drawn if p not in joint_set)
    # "drawn" with nothing else ranged to draw holds the others at their values, as "held".
    others = u.get("posterior_others") or "drawn"
    case: Case = "posterior_drawn" if others == "drawn" and independent else "posterior_held"
    return BandDraws(case, draws, tuple(sorted(joint)), independent)
