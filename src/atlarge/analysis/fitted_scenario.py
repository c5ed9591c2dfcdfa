"""Write the fitted values for one year as a scenario file that extends the base.

``atlarge calibrate`` writes ``<base>-fitted.toml`` beside the base scenario:
the base's own values stay the priors, and the file overrides the quantities
the calibration fits (arrest yields, path shares, mean stays, non-ERO inflow)
with the year's fitted values, each marked ``fitted`` with the figures it was
fitted on, together with the year's inputs the fit was made under (the ERO
headcount). Other scenarios extend it to use the fitted pipeline.
"""

from __future__ import annotations

import json
from typing import Any

from atlarge._version import __version__
from atlarge.analysis.backtest import YEARS, YearParams, year_scenario
from atlarge.analysis.observed import METRIC_LABELS, figure
from atlarge.scenario import Param, Scenario
from atlarge.scenario.sources import confidence_of

METHOD = (
    "atlarge calibrate: fixed-point solution of the log-error equations under common random numbers"
)


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a valid TOML basic string


def _source(**fields: str | None) -> str:
    """A structured source as a TOML inline table (fields left None are left out)."""
    return "{ " + ", ".join(f"{k} = {_q(v)}" for k, v in fields.items() if v) + " }"


def _fit_source(note: str, period: str) -> str:
    return _source(
        publisher="atlarge calibrate",
        title=f"{period} fit (src/atlarge/data/calibration.json)",
        confidence="Fitted",
        note=note,
    )


def _param_table(
    path: str, prior: Param, value: float, source: str, fitted_on: list[str], statistic: str
) -> str:
    lines = [
        f"[{path}]",
        f"value = {value!r}",
        f"unit = {_q(prior.unit)}",
        f"source = {source}",
    ]
    if prior.range is not None and prior.range[0] <= value <= prior.range[1]:
        lines.append(f"range = [{prior.range[0]!r}, {prior.range[1]!r}]")
    on = ", ".join(_q(x) for x in fitted_on)
    lines.append(
        f"fitted = {{ method = {_q(METHOD)}, fitted_on = [{on}], statistic = {_q(statistic)} }}"
    )
    return "\n".join(lines)


def fitted_scenario_toml(
    base_file: str, base: Scenario, calibration: dict[str, Any], fy: int = 2024
) -> str:
    """The text of the fitted scenario for fiscal year ``fy``."""
    fit = calibration["fit"]
    period = f"FY{fy}"
    yp = fit["years"][period]
    params = YearParams(
        yp["posture"], yp["removal_share"], yp["border_transfers_per_day"], fit["los_scale"]
    )
    fitted = year_scenario(base, YEARS[fy], params)
    errors = fit["final_log_errors"][period]

    def on(metrics: list[str], p: str = period) -> list[str]:
        return [f"{METRIC_LABELS[m]} {p}" for m in metrics]

    def stat(metric: str, p: str = period) -> str:
        e = fit["final_log_errors"].get(p, {}).get(metric)
        return "" if e is None else f"log error on {METRIC_LABELS[metric]} {p}: {e:+.3f}"

    alos_years = [p for p, used in fit["fitted_on"].items() if "alos" in used]
    blocks = []
    for key, g in base.groups.items():
        v = fitted.groups[key].arrests_per_agent_day.value
        blocks.append(
            _param_table(
                f"groups.{key}.arrests_per_agent_day",
                g.arrests_per_agent_day,
                v,
                _fit_source(
                    f"the baseline's {g.arrests_per_agent_day.value:g} times the {period} "
                    f"arrest posture {params.posture:.4f}",
                    period,
                ),
                on(["arrests"]),
                stat("arrests"),
            )
        )
    for key, d in base.dispositions.items():
        fd = fitted.dispositions[key]
        blocks.append(
            _param_table(
                f"dispositions.{key}.share",
                d.share,
                fd.share.value,
                _fit_source(
                    f"baseline shares rescaled to the {period} removal share "
                    f"{params.removal_share:.4f}",
                    period,
                ),
                on(["removals", "arrests"]),
                stat("removals"),
            )
        )
        blocks.append(
            _param_table(
                f"dispositions.{key}.mean_days",
                d.mean_days,
                fd.mean_days.value,
                _fit_source(
                    f"the baseline's {d.mean_days.value:g} days times the common LOS scale "
                    f"{params.los_scale:.4f}",
                    period,
                ),
                [f"{METRIC_LABELS['alos']} {p}" for p in alos_years],
                "; ".join(s for p in alos_years if (s := stat("alos", p))),
            )
        )
    border_on = (
        on(["detention_adp"])
        if fit["years"][period]["border_fitted"]
        else [f"published book-ins less ERO arrests, {period}"]
    )
    blocks.append(
        _param_table(
            "inflow.border_transfers_per_day",
            base.inflow.border_transfers_per_day,
            params.border_transfers_per_day,
            _fit_source(f"non-ERO book-ins per day, {period}", period),
            border_on,
            stat("detention_adp"),
        )
    )
    # The values were fitted under the year's inputs, so the inputs come along.
    year = YEARS[fy]
    ero = base.workforce.ero.headcount
    officers = figure("ero_officers", year.officers_from)
    inputs = [
        f"[workforce.ero.headcount]\nvalue = {year.officers!r}\nunit = {_q(ero.unit)}\n"
        + "source = "
        + _source(
            publisher=officers.source,
            title=f"{period} input of the fit",
            confidence=confidence_of(officers.confidence),
            note=officers.published_as,
        )
    ]
    if ero.range is not None and ero.range[0] <= year.officers <= ero.range[1]:
        inputs[0] += f"\nrange = [{ero.range[0]!r}, {ero.range[1]!r}]"
    worst = max((abs(e) for e in errors.values()), default=0.0)
    description = f"{base.description} Fitted to the public record; largest {period} log error "
    description += f"{worst:.3f}."
    head = f"""# Generated by `atlarge calibrate` (atlarge {__version__}); rerun, do not edit.
# {base.name} with the quantities the public record does not give directly fitted to
# {period}: arrests per agent-day, path shares, mean stays and the non-ERO inflow.
# The fit and its statistics: src/atlarge/data/calibration.json.

extends = {_q(base_file)}
name = {_q(base.name + " (fitted)")}
description = {_q(description)}
"""
    return head + "\n" + "\n\n".join(inputs + blocks) + "\n"
