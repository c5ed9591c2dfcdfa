"""Typed responses of the API, so ``/openapi.json`` says what each result holds.

The summary is summary.json as ``atlarge run`` writes it (a contract: DESIGN.md); its
``kpis`` are typed one field per KPI of the registry (analysis/kpis.py), each with its
label as title and its definition as description. Routes serve these with
``response_model_exclude_unset``, so the JSON is exactly the document that was computed:
a key absent there (``share_reached`` of an ordinary KPI, ``b`` of a comparison of one
run) stays absent, and ints stay ints.

Parts that other layers own and extend (parameter rows, settings, overrides) are typed
by the fields they have today and let new fields through; what this module owns (KPI
statistics, the registry, bands, comparisons) is closed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from atlarge.analysis.kpis import BY_OFFICE, KPIS, Format, Kpi
from atlarge.model.measures import MEASURES, Measure

Number = int | float
"""A count or a measured value (a union, so an int stays an int in the JSON)."""


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Stats(_Closed):
    """A quantity over replications: its mean and 5th, 50th and 95th percentiles (null
    where undefined)."""

    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    share_reached: float | None = Field(
        default=None,
        description="Only for a day that may never come: the share of replications where "
        "it came (percentiles count 'never' as later than any day).",
    )


Kpis = create_model(
    "Kpis",
    __base__=_Closed,
    __doc__="Every KPI's statistics over replications (analysis/kpis.py).",
    **{
        key: (
            Stats | None if kpi.only_when_on else Stats,
            Field(
                default=None if kpi.only_when_on else ...,
                title=kpi.label,
                description=f"{kpi.definition} Unit: {kpi.unit}."
                + (f" Absent when {kpi.needs} is off." if kpi.only_when_on else ""),
            ),
        )
        for key, kpi in KPIS.items()
    },
)

OfficeRow = create_model(
    "OfficeRow",
    __base__=_Closed,
    __doc__="One field office's KPIs over replications.",
    office=(str, Field(description="The office's name.")),
    code=(str, Field(description="The office's code.")),
    **{key: (Stats, Field(title=KPIS[key].label)) for key in BY_OFFICE},
)


class AgencyRow(_Closed):
    agency: str
    key: str
    diverted: bool = Field(description="Its agents are taken from another mission.")
    agent_days: Stats
    agent_days_diverted: Stats
    cost_usd: Stats


class GroupRow(_Closed):
    group: str
    key: str
    arrests_total: Stats
    share_of_arrests: Stats
    pool_end: Stats
    pool_start: float


class ChannelRow(_Closed):
    """One arrest channel's arrests over replications."""

    key: Literal["custodial", "at_large", "collateral"]
    label: str
    arrests_total: Stats
    share_of_arrests: float = Field(
        description="Mean of the channel's arrests over the mean of all arrests (0 when there "
        "are none)."
    )


class ScenarioRef(_Open):
    name: str
    sha256: str
    start_date: str


class UncertaintyNote(_Open):
    """What the spread over replications contains."""

    kind: Literal["stochastic", "stochastic and parameter"]
    draws: int
    replications_per_draw: int | None
    replications_by_draw: list[int] | None = None
    inner: int
    drawn_parameters: list[str]
    posterior: bool = Field(
        default=False,
        description="Whether the draws came from a fit's posterior (false when the "
        "scenario has one but a changed posterior path left it unused).",
    )
    posterior_parameters: list[str] = Field(
        default_factory=list, description="The paths drawn jointly from the posterior."
    )
    posterior_others: Literal["held", "drawn"] | None = Field(
        default=None,
        description="Under a posterior, the other ranged parameters: held at their values "
        "or drawn independently over their ranges.",
    )


class ParameterRow(_Open):
    """A parameter as run, with its unit and provenance."""

    path: str
    value: Number
    unit: str
    schedule: dict[str, Number] | None = None
    assumption: bool = False
    fitted: dict[str, Any] | None = None
    source: str | None = Field(default=None, description="The source, formatted to read.")
    source_fields: dict[str, Any] | None = Field(
        default=None,
        description="The source as data: publisher, title, date, url, confidence, note, and "
        "for a changed value the source it had before (was).",
    )
    rationale: str | None = None
    range: list[Number] | None = None


class SettingRow(_Open):
    path: str
    value: Any = Field(description="A switch, a choice or a list; null for a part left out.")
    description: str | None = None


class WarningRow(_Open):
    path: str
    message: str


class Summary(_Open):
    """summary.json: what was run and every KPI over replications."""

    atlarge_version: str
    scenario: ScenarioRef
    overrides: dict[str, dict[str, Any]] = Field(
        description="What an override or another horizon changed: the value as run and in the file."
    )
    extends: list[str]
    seed: int
    reps: int
    days: int
    timeseries: Literal["full", "national", "none"] = Field(
        description="What the run kept of its daily series: per office (full), summed over "
        "offices (national) or none."
    )
    uncertainty: UncertaintyNote
    kpis: Kpis  # type: ignore[valid-type]
    cost_by_stage_usd: dict[str, Stats]
    by_office: list[OfficeRow]  # type: ignore[valid-type]
    by_agency: list[AgencyRow]
    by_group: list[GroupRow]
    by_channel: list[ChannelRow] = Field(
        description="Arrests by channel: custodial, at large, collateral (always all three)."
    )
    definitions: dict[str, str] = Field(description="Every KPI's definition.")
    parameters: list[ParameterRow]
    settings: list[SettingRow]
    mechanisms: dict[str, bool]
    warnings: list[WarningRow]


class Formatted(_Closed):
    """Statistics written as the report writes them ('$7.72bn', '44.2%', 'never')."""

    p5: str
    p50: str
    p95: str


class FormattedKpi(_Closed):
    a: Formatted
    b: Formatted | None = None
    difference_p50: str | None = None


class ComparedKpi(_Closed):
    label: str
    a: Stats
    b: Stats | None = None
    formatted: FormattedKpi
    difference_p50: float | None = Field(
        default=None, description="B's median minus A's (null where either is undefined)."
    )


class Difference(_Closed):
    """Something that makes two runs not like with like."""

    field: str
    a: int | str
    b: int | str
    blocking: bool = Field(description="The KPIs are totals over different days.")
    message: str


class Comparison(_Closed):
    a: str
    b: str | None
    differences: list[Difference]
    kpis: dict[str, ComparedKpi]


class Aggregation(_Closed):
    """How a quantity adds up, in words."""

    offices: str
    days: str
    replications: str


class KpiInfo(_Closed):
    key: str
    label: str
    short: str = Field(description="A few words for a narrow table's heading.")
    unit: str
    difference_unit: str
    definition: str
    format: Format
    aggregation: Aggregation
    needs: str | None = Field(description="The mechanism without which it says nothing.")
    only_when_on: bool = Field(
        description="summary.json lists it only when its mechanism (needs) is on."
    )

    @classmethod
    def of(cls, kpi: Kpi) -> KpiInfo:
        return _described(cls, kpi)


class MeasureInfo(_Closed):
    key: str
    label: str
    unit: str
    definition: str
    kind: Literal["flow", "stock"]
    smooth_days: int = Field(description="Trailing mean window when drawn day by day.")
    column_prefix: str | None = Field(
        description="Recorded per priority group: timeseries columns PREFIX_GROUP."
    )
    aggregation: Aggregation

    @classmethod
    def of(cls, m: Measure) -> MeasureInfo:
        return _described(cls, m)


def _described(model: type[_Closed], entry: Any) -> Any:
    """A registry entry (a KPI or a measure) as its response model: every field the
    model declares, read from the entry by name, so the two can only drift loudly."""
    return model.model_validate({name: getattr(entry, name) for name in model.model_fields})


class Limits(_Closed):
    max_cells: int
    max_jobs: int
    max_body_bytes: int


class Meta(_Closed):
    """What a client needs to label results: the KPI and measure registries, cost stages,
    and this server's limits."""

    version: str
    kpis: dict[str, KpiInfo] = Field(description="Every KPI of summary.json, in its order.")
    measures: dict[str, MeasureInfo] = Field(
        description="Every daily measure of timeseries.parquet, in column order."
    )
    cost_stages: list[str]
    limits: Limits

    @classmethod
    def of(cls, version: str, cost_stages: list[str], limits: Limits) -> Meta:
        """The registries (analysis/kpis.py, model/measures.py) with this server's facts."""
        return cls(
            version=version,
            kpis={key: KpiInfo.of(k) for key, k in KPIS.items()},
            measures={key: MeasureInfo.of(m) for key, m in MEASURES.items()},
            cost_stages=cost_stages,
            limits=limits,
        )


class Band(_Closed):
    """Percentiles over replications and the mean, one value per day."""

    p5: list[float]
    p25: list[float]
    p50: list[float]
    p75: list[float]
    p95: list[float]
    mean: list[float]


class SeriesBands(_Closed):
    label: str
    unit: str
    smooth_days: int
    bands: Band


class GroupBands(_Closed):
    key: str
    label: str
    smooth_days: int
    bands: Band


class Reference(_Closed):
    """The lines a band is compared with, per day."""

    target: list[Number]
    beds: list[Number]
    seats: list[Number]


class ConstraintShare(_Closed):
    """One capacity: the share of replications in which it is full, day by day."""

    key: Literal["book_in", "beds", "judges", "seats"]
    label: str
    definition: str = Field(description="When it counts as full at the end of a day.")
    share: list[float] = Field(description="Share of replications (0-1) in which it is full.")
    first_day: int | None = Field(
        description="First day (1 = the start date) its share passes one half; null: never."
    )


class BindingShares(_Closed):
    """Which capacity binds, day by day (analysis/binding.py); judges only with courts."""

    majority: float = Field(description="A capacity binds on a day full in more than this share.")
    constraints: list[ConstraintShare]
    text: str = Field(description="Which capacity binds first, and when, in a sentence.")


class Spread(_Closed):
    """A sum over replications that is always defined (money): mean, p5, p50, p95."""

    mean: float
    p5: float
    p50: float
    p95: float


class RunwayRow(_Closed):
    """A funding line as summary.json's funding_runway has it (analysis/budget.py): its
    amount, what it paid in the horizon and when it is spent."""

    line: str
    label: str
    purposes: list[str]
    amount_usd: Spread = Field(description="USD left in the line on the start date.")
    appropriated_usd: Spread = Field(description="USD the line was given in all.")
    available_from: str
    available_until: str
    spent_usd: Spread
    date_p50: str | None = Field(
        description="Median date the line is spent; null: beyond the horizon in at least "
        "half the replications."
    )
    beyond_horizon_share: float


class FormattedLine(_Closed):
    """A funding line as the report's table writes it ('$45.00bn', 'beyond horizon (in
    100% of replications)')."""

    purposes: str = Field(description="The purposes it pays for, by label.")
    available: str
    amount: str
    spent: str = Field(description="Median spent in the horizon.")
    spent_band: str = Field(description="5th - 95th percentile of the spending.")
    runway: str = Field(description="Median date it is spent, or 'beyond horizon', in words.")


class FundingLineBands(RunwayRow):
    """A funding line with daily bands of cumulative spending against it."""

    formatted: FormattedLine
    cumulative: Band = Field(description="USD spent against the line from the start, per day.")


class BudgetBands(_Closed):
    """The run's funding lines (summary.json funding_runway) with the bands of spending
    against each, for the explorer's Budget panel."""

    on_exhausted: Literal["overspend", "stop"]
    on_exhausted_text: str = Field(description="What happens when a line is spent, in words.")
    lines: list[FundingLineBands]


class HomeAssumption(_Closed):
    """An assumed figure behind a row of what home missions lose, with its range and why."""

    value: float
    range: list[float] | None
    rationale: str | None


class HomeOutputRow(_Closed):
    """A row of summary.json's home_output_forgone (analysis/home_missions.py): one
    measure of one detailing agency's home mission and the output it did not produce."""

    agency: str = Field(description="The agency, by label.")
    key: str = Field(description="The agency's key.")
    measure: str = Field(description="The measure's key.")
    label: str = Field(description="The measure, in words.")
    unit: str
    forgone: Spread = Field(description="Output forgone over the horizon, over replications.")
    forgone_at_loss_range: list[float] = Field(
        description="The median with the marginal loss at the low and high end of its range."
    )
    per_agent_day: float = Field(description="Average output of one agent-day.")
    working_days_per_year: float
    marginal_loss: HomeAssumption = Field(
        description="The share of the average a day taken away costs (an assumption)."
    )
    lag_days: HomeAssumption = Field(
        description="Days before lost work shows; work taken later than the horizon minus the "
        "lag does not count (an assumption)."
    )
    annual_output: float
    agents: float
    source: str = Field(description="Where the yearly output comes from, formatted to read.")
    agents_source: str = Field(description="Where the headcount comes from, formatted to read.")


class FormattedHomeRow(_Closed):
    """A row as the report's panel writes it ('1,146', '$12.3m', '0.4 (range 0.2–0.6)')."""

    median: str
    band: str = Field(description="5th - 95th percentile.")
    at_range: str = Field(description="The median at the low and high marginal loss.")
    per_agent_day: str
    loss: str = Field(description="The marginal loss and its range.")
    lag: str = Field(description="The lag in days and its range.")
    average_from: str = Field(description="The yearly output and headcount, with sources.")


class HomeLossRow(HomeOutputRow):
    """A row of what home missions lose with its figures formatted as the report does."""

    formatted: FormattedHomeRow


class HomeLosses(_Closed):
    """What home missions lose (docs/model.md 3.10.1), for the explorer's panel: estimates
    from averages and assumptions, not measured losses."""

    definition: str = Field(description="summary.json home_output_forgone_definition.")
    band_text: str = Field(description="What the 5th - 95th percentile band holds, in words.")
    rows: list[HomeLossRow]


class Bands(_Closed):
    """Daily national bands of a run (analysis/bands.py), which capacity binds
    (analysis/binding.py), with a ``[budget]`` spending against each funding line, and what
    the home missions of detailing agencies lose. While the run goes on, the same of the
    replications finished so far (``partial``)."""

    dates: list[str]
    reps: int = Field(description="Replications the bands are computed over.")
    partial: bool = Field(
        description="True while the run goes on: the bands of the replications finished so "
        "far (whole parameter draws), replaced by the run's own when it is done."
    )
    reps_done: int = Field(description="Replications finished (those the bands cover).")
    reps_total: int = Field(description="Replications the run asked for.")
    mechanisms: dict[str, bool] = Field(
        description="Which switchable parts of the model the run has on (as in the summary)."
    )
    series: dict[str, SeriesBands]
    reference: Reference
    groups: list[GroupBands]
    binding: BindingShares
    budget: BudgetBands | None = Field(
        default=None, description="Funding lines and spending against them; null without one."
    )
    home_missions: HomeLosses | None = Field(
        default=None,
        description="What the detailing agencies' home missions lose; null when the run "
        "takes no agent-days from another agency.",
    )


class BriefSegment(_Closed):
    text: str
    code: bool = Field(description="True for a name shown as code (a parameter path).")


class Brief(_Closed):
    """A run's "In brief" (report/brief.py): what brief.md and the top of report.html say."""

    title: str
    markdown: str = Field(description="brief.md as `atlarge run` writes it.")
    paragraphs: list[list[list[BriefSegment]]] = Field(
        description="The same text as paragraphs of sentences of segments, for a page to "
        "render without parsing Markdown."
    )
