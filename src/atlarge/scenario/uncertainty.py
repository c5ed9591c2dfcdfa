"""Parameter uncertainty: draw every ranged parameter of a scenario.

Which parameters are drawn: every parameter with a range whose low and high
differ, that is not time-varying and not ``fitted`` (a fitted value is an
estimate; its range is the prior it started from, not its uncertainty). The
office weights (``offices.weights.*``) are drawn only when the scenario sets
``offices.draw_weights = true``, ``detention.holding_capacity`` only under
``detention.overflow = "hold"`` and ``courts.detained_share`` only under
``courts.docket_priority = "share"`` (each the one setting that reads it): by
default bands and sensitivity indices are about the national parameters, as they
were before the weights were parameters.
How: uniformly over the range, or triangular with the stated value as mode
when the parameter says ``distribution = "triangular"``. A scenario with a
``[posterior]`` (:mod:`atlarge.scenario.posterior`) that still applies (every posterior
path at its median) draws only its paths, jointly: draw ``k`` takes one posterior draw,
and every other parameter stays at its value, as in the fit. A scenario whose posterior
path was changed draws its ranged parameters as any other.

A draw is applied with ``Scenario.with_values`` (the rules every change
follows, :mod:`atlarge.scenario.changes`), after making the drawn values a
consistent set: shares that must sum to one (``groups.*.effort_share``,
``dispositions.*.share``, ``custodial.group_mix.*``) are scaled together, a drawn mean
stay is kept at least as long as its number of phases, and the detained population at the
start within the beds, and the Texas and Louisiana shares of beds at most 1
together. Draw ``k`` of a run depends only on the seed and
``k``: ``SeedSequence(seed, spawn_key=(PARAM_STREAM, k))``, a key that no
replication's stream uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from atlarge.errors import OptionError
from atlarge.scenario.loader import iter_params
from atlarge.scenario.params import Param
from atlarge.scenario.schema import Scenario, share_group_paths

PARAM_STREAM = 0x5EED
HOLDING = "detention.holding_capacity"
"""Drawn only when ``detention.overflow = "hold"``, the one setting that reads it."""
DETAINED_SHARE = "courts.detained_share"
"""Drawn only when ``courts.docket_priority = "share"``, the one setting that reads it."""
OFFICE_WEIGHTS = "offices.weights."
"""Drawn only when the scenario says ``offices.draw_weights = true``; the schema puts them
last, so drawing them leaves every other parameter's draw as it was."""


@dataclass(frozen=True)
class Ranged:
    path: str
    param: Param

    def draw(self, rng: np.random.Generator) -> float:
        lo, hi = self.param.range
        if self.param.distribution == "triangular":
            return float(rng.triangular(lo, self.param.value, hi))
        return float(rng.uniform(lo, hi))


def ranged_parameters(scenario: Scenario) -> list[Ranged]:
    """The parameters that uncertainty runs draw, in schema order."""
    out = []
    posterior = scenario.posterior.draws if scenario.posterior is not None else {}
    for path, p in iter_params(scenario):
        if p.range is None or p.range[0] >= p.range[1] or p.time_varying or p.fitted:
            continue
        if path in posterior:
            continue  # drawn jointly from the posterior
        if path.startswith("reported."):
            continue  # reported figures document the operation; the model does not read them
        if path.startswith(OFFICE_WEIGHTS) and not scenario.offices.draw_weights:
            continue
        if path == HOLDING and scenario.detention.overflow != "hold":
            continue  # read only under overflow = hold: a stage switched off draws nothing
        courts = scenario.courts
        if path == DETAINED_SHARE and (courts is None or courts.docket_priority != "share"):
            continue  # read only under docket_priority = share
        out.append(Ranged(path, p))
    return out


MIN_DRAWS = 2
"""An uncertainty run draws at least this many parameter sets (one draw is no spread)."""


def draws_problem(reps: int, inner: int) -> str | None:
    """Why ``reps`` replications cannot run as whole parameter draws of ``inner`` each, or
    None when they can (``reps // inner`` draws of exactly ``inner`` replications).

    The message names the two as ```reps``` and ```uncertainty_inner```, which each
    front end shows its own way (see :func:`atlarge.errors.render_names`)."""
    draws, rest = divmod(reps, inner)
    if rest == 0 and draws >= MIN_DRAWS:
        return None
    fit = max(MIN_DRAWS, -(-reps // inner))
    return (
        f"`reps` {reps} does not split into at least {MIN_DRAWS} whole parameter draws "
        f"of `uncertainty_inner` {inner} replications each; use a multiple of {inner} from "
        f"{MIN_DRAWS * inner} up (e.g. `reps` {fit * inner}: {fit} draws) or a smaller "
        "`uncertainty_inner`"
    )


def has_parameter_draws(scenario: Scenario) -> bool:
    """Whether a run can draw parameters: a ranged parameter or a posterior."""
    return posterior_applies(scenario) or bool(ranged_parameters(scenario))


DRAWS_PER_RUN = 20
"""Parameter draws a run aims for when it picks the replications per draw itself."""
DRAWS_RANGE = (10, 40)
"""The number of draws a run accepts when it picks the replications per draw itself."""


def default_inner(reps: int) -> int | None:
    """Replications per parameter draw when a run draws parameters by default: whole
    draws, as close to ``DRAWS_PER_RUN`` as a divisor of ``reps`` allows within
    ``DRAWS_RANGE`` (200 replications: 20 draws of 10; up to 40 replications: one each).
    None below 2 replications (no spread to show) and when no divisor gives 10-40 draws
    (9,973, a prime: the caller says so rather than run 9,973 draws)."""
    if reps < 2:
        return None
    if reps <= DRAWS_RANGE[1]:
        return 1
    lo, hi = DRAWS_RANGE  # a few dozen candidate draw counts, whatever the replications
    counts = [n for n in range(lo, hi + 1) if reps % n == 0]
    best = min(counts, key=lambda n: (abs(n - DRAWS_PER_RUN), n), default=None)
    return None if best is None else reps // best


def posterior_applies(scenario: Scenario) -> bool:
    """Whether a scenario's ``[posterior]`` still describes it: every posterior path at the
    posterior median the fit wrote. A change to one of them (``--set``, a file extending
    the fitted one) makes the draws, all conditional on each other, no longer the
    scenario's, so the run holds that value instead of drawing."""
    post = scenario.posterior
    if post is None:
        return False
    value = dict(iter_params(scenario))
    return all(
        math.isclose(value[path].value, float(np.percentile(draws, 50)), rel_tol=1e-9)
        for path, draws in post.draws.items()
    )


def check_uncertainty(scenario: Scenario, reps: int, inner: int) -> None:
    """Refuse a run with parameter draws that cannot give what it promises: ``inner``
    below 1, no ranged parameter to draw, or replications that are not whole draws.

    One check for ``simulate()``, sweeps and sensitivity, so each refuses the same runs.
    """
    if inner < 1:
        raise OptionError("uncertainty_inner", f"must be at least 1, got {inner}")
    if not has_parameter_draws(scenario):
        raise OptionError("uncertainty", "the scenario has no ranged parameter to draw")
    problem = draws_problem(reps, inner)
    if problem:
        raise OptionError("uncertainty_inner", problem)


def draw_generator(seed: int, draw: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.Philox(np.random.SeedSequence(seed, spawn_key=(PARAM_STREAM, draw)))
    )


def drawn_scenario(scenario: Scenario, seed: int, draw: int) -> tuple[Scenario, dict[str, float]]:
    """Scenario ``draw`` of an uncertainty run, and the values drawn for it.

    The values go through ``Scenario.with_values`` like any change, after the
    draw has made them a consistent set: a group of shares with any drawn share
    is passed whole (the others at their values), so the group is scaled
    together; a drawn mean stay is at least its phases; the starting
    population is at most the beds (drawn or not) on the start date.
    """
    rng = draw_generator(seed, draw)
    if posterior_applies(scenario):
        # As fitted: the posterior's joint draw, every other parameter at its value (the
        # fit conditioned on them; drawing them too would not be the checked posterior),
        # unless the posterior was carried over from another scenario (others = "drawn").
        post = scenario.posterior
        values = post.draw(int(rng.integers(post.n)))
        if post.others == "drawn":
            values |= {r.path: r.draw(rng) for r in ranged_parameters(scenario)
                       if r.path not in post.draws}  # fmt: skip
        return scenario.with_values(_consistent(scenario, values), f"posterior draw {draw}"), values
    values = {r.path: r.draw(rng) for r in ranged_parameters(scenario)}
    return scenario.with_values(_consistent(scenario, values), f"uncertainty draw {draw}"), values


def _consistent(scenario: Scenario, drawn: dict[str, float]) -> dict[str, float]:
    out = dict(drawn)
    value = {path: p.value for path, p in iter_params(scenario)}
    sections = scenario.model_dump(include={"groups", "dispositions", "custodial"})
    for _section, _field, paths in share_group_paths(sections):
        shares = {path: value[path] for path in paths}
        if any(path in out for path in shares):
            out = {**shares, **out}
    for key, d in scenario.dispositions.items():
        path = f"dispositions.{key}.mean_days"
        if path in out and out[path] < d.phases:
            out[path] = float(d.phases)
    tx, la = (f"{OFFICE_WEIGHTS}{k}_share" for k in ("texas", "louisiana"))
    if tx in out or la in out:
        w = scenario.offices.weights
        both = out.get(tx, w.texas_share.value) + out.get(la, w.louisiana_share.value)
        if both > 1.0:  # the other offices' share of beds cannot be negative
            out[tx] = out.get(tx, w.texas_share.value) / both
            out[la] = out.get(la, w.louisiana_share.value) / both
    beds = out.get("detention.beds", scenario.detention.beds.at(scenario.start_date))
    path = "detention.initial_population"
    if out.get(path, scenario.detention.initial_population.value) > beds:
        out[path] = beds
    return out
