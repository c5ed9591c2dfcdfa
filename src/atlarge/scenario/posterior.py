"""``[posterior]``: joint parameter draws a Bayesian fit left in a scenario (issue 16).

A fitted value is an estimate with uncertainty. A scenario written by ``atlarge calibrate``
carries the fit's posterior as joint draws: ``draws.<path> = [v0, v1, ...]``, one list per
parameter path, all of one length, element ``i`` of every list together being one draw
(the parameters are correlated in the posterior, so they are drawn together, never one by
one). Each path's own value in the scenario is the posterior median, which a run with
``--fixed`` uses. Parameter draws of a run (``uncertainty_inner``) take, for draw ``k``,
posterior draw ``i`` chosen by the draw's own generator (:mod:`atlarge.scenario.uncertainty`).
The scenario's other ranged parameters are held at their values when the fit ran on this
scenario (``others = "held"``, the default: the fit conditioned on them) and drawn over their
ranges when the posterior was carried over to a scenario the fit never saw (``others =
"drawn"``: Operation At Large with the 2025 fit).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Posterior(BaseModel):
    """Joint posterior draws of some parameters, and where they came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(min_length=1, description="How the draws were made.")
    fitted_on: str = Field(min_length=1, description="The figures the fit used.")
    file: str = Field(min_length=1, description="The posterior document the draws come from.")
    others: Literal["held", "drawn"] = Field(
        "held",
        description="The scenario's other ranged parameters in a draw: held at their values "
        "(the fit conditioned on them) or drawn over their ranges (a posterior carried over).",
    )
    draws: dict[str, list[float]] = Field(
        min_length=1,
        description="Parameter path -> joint draws (element i of every list is draw i).",
    )

    @field_validator("draws")
    @classmethod
    def _joint(cls, draws: dict[str, list[float]]) -> dict[str, list[float]]:
        lengths = {len(v) for v in draws.values()}
        if len(lengths) != 1:
            raise ValueError(f"every path needs the same number of draws, got {sorted(lengths)}")
        if lengths.pop() < 2:
            raise ValueError("a posterior needs at least 2 draws")
        for path, values in draws.items():
            if not all(v == v and abs(v) != float("inf") for v in values):
                raise ValueError(f"{path}: draws must be finite numbers")
        return draws

    @property
    def n(self) -> int:
        return len(next(iter(self.draws.values())))

    def draw(self, i: int) -> dict[str, float]:
        """Posterior draw ``i``: path -> value."""
        return {path: values[i] for path, values in self.draws.items()}
