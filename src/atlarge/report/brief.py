""" "In brief": a run's results in 5-8 plain sentences a journalist could quote.

Built from summary.json alone (and, when given, a sensitivity result), so the brief says
nothing the summary does not hold: ``brief.md`` in the run folder, the top of
report.html and the explorer page all show the same text.

Every figure is written as the report writes it (``report.format``) and carries its
band, the 5th-95th percentile over replications, and the kind of band in words: with the
uncertain assumptions varied (parameter draws x replications), with the fitted
parameters drawn from their posterior (the other assumptions held, or varied too: see
:mod:`atlarge.report.band_draws`), or with the assumptions held fixed (randomness alone).
A band reads "(between LOW and HIGH ...)" after its median, always in that form, so that
readers, and the tests, can find each one. Wording is neutral: it says what the
runs give, never whether that is good.

A paragraph is a list of sentences; a sentence a list of :class:`Segment` (plain text, or
a parameter path or command shown as code), built piece by piece and never re-parsed, so
text from the scenario (a group's label with a backtick or a tag in it) stays plain text.
:func:`brief_markdown` writes them as Markdown (plain text with its Markdown-active
characters escaped), :func:`brief_text` as plain text, and the report template and the
page render the segments themselves (escaped), so the three never drift apart.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from atlarge.analysis.kpis import KPIS, Format
from atlarge.report.band_draws import band_draws
from atlarge.report.format import format_as, format_value, plain_number, plural

TITLE = "In brief"

LOW, HIGH = 5, 95
"""The percentiles a band spans (summary.json's p5 and p95)."""

SHARE = f"{HIGH - LOW}% of simulated outcomes"
"""How much of the outcomes a band holds, in words: '90% of simulated outcomes'."""

VARIED = "with the uncertain assumptions varied"
POSTERIOR = "with the fitted parameters drawn from their posterior"
POSTERIOR_VARIED = (
    "with the fitted parameters' posterior and the other uncertain assumptions varied"
)
FIXED = "with the assumptions held fixed: randomness alone"
BAND_KINDS = (VARIED, POSTERIOR, POSTERIOR_VARIED, FIXED)
"""The kinds of band, in the words each sentence uses (summary.json ``uncertainty``)."""

MOST = 3
"""Parameters or topics named where the brief says what matters most."""

SENSITIVITY_OUTPUTS = 2
"""KPIs whose sensitivity ranking the brief names (the first ones the analysis has)."""

TOPICS = {
    "groups": "the sizes, replenishment and effort shares of the priority groups",
    "workforce": "the agents' productivity, ramp-up and cost",
    "home_missions": "what home missions lose",
    "regime": "the performance regime's effects",
    "courts": "the immigration courts",
    "transport": "removal transport",
    "support": "the National Guard's support",
    "custodial": "handovers from jails",
    "collateral": "collateral arrests",
    "departures": "departures from the pools",
    "targeting": "how pressure shifts effort between groups",
    "detention": "detention",
    "processing": "book-in",
    "policy": "policy shares",
    "atd": "alternatives to detention",
    "inflow": "border transfers",
    "offices": "how the operation is spread over field offices",
}
"""Plain words for the first part of a parameter path (what a group of assumptions is
about); a part not listed is named as it is written."""


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence: plain text, or a name shown as code (a parameter path)."""

    text: str
    code: bool = False


Sentence = list[Segment]
Paragraph = list[Sentence]


def band_kind(summary: dict[str, Any]) -> str:
    """The kind of band of a run, in the words of :data:`BAND_KINDS`."""
    return {
        "fixed": FIXED,
        "ranged": VARIED,
        "posterior_held": POSTERIOR,
        "posterior_drawn": POSTERIOR_VARIED,
    }[band_draws(summary).case]


def share_text(share: float) -> str:
    """A share of replications as the report writes it ('35%'); to a tenth of a percent
    when it would round to 0% or 100% and is neither."""
    text = f"{share:.0%}"
    if text in ("0%", "100%") and 0 < share < 1:
        text = f"{share:.1%}"
    return text


def _complete(s: dict[str, Any] | None) -> bool:
    return bool(s) and all(s.get(q) is not None for q in ("p5", "p50", "p95"))


def _formatted(fmt: str, value: float | None) -> str:
    """A value as the report writes it: in its KPI's format, or in a registry format."""
    return format_value(fmt, value) if fmt in KPIS else format_as(cast(Format, fmt), value)


def band(fmt: str, s: dict[str, Any], kind: str | None = None, unit: str = "") -> str:
    """'MEDIAN UNIT (between LOW and HIGH in 90% of simulated outcomes, KIND)' in format
    ``fmt`` (a KPI key or a registry format); without ``kind`` the sentence has said it.
    A band whose ends read the same (so the median too) says so: 'MEDIAN (the same in
    90% ...)'."""
    lo, mid, hi = (_formatted(fmt, s[q]) for q in ("p5", "p50", "p95"))
    spread = "the same" if lo == hi else f"between {lo} and {hi}"
    tail = f" in {SHARE}, {kind}" if kind else ("" if lo != hi else f" in {SHARE}")
    return f"{mid}{unit} ({spread}{tail})"


def _words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def code(name: str) -> Segment:
    """A name (a parameter path, a command) shown as code."""
    return Segment(name, code=True)


def sentence(*parts: str | Segment) -> Sentence:
    """A sentence of plain strings and code segments, adjacent plain strings joined."""
    out: Sentence = []
    for part in parts:
        seg = part if isinstance(part, Segment) else Segment(part)
        if not seg.text:
            continue
        if out and not seg.code and not out[-1].code:
            out[-1] = Segment(out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def _words_of(items: list[list[str | Segment]]) -> list[str | Segment]:
    """:func:`_words` over pieces of sentences: 'a', 'a and b', 'a, b and c'."""
    out: list[str | Segment] = []
    for i, item in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.extend(item)
    return out


def _codes(names: list[str]) -> list[str | Segment]:
    """Names as code, joined as words: `a`, `b` and `c`."""
    return _words_of([[code(n)] for n in names])


def _target(summary: dict[str, Any]) -> str:
    """' of the target of 3,000 a day' when the target is one value, else ' of the daily
    target' (a schedule has no one number)."""
    for p in summary.get("parameters") or []:
        if p["path"] == "target.arrests_per_day" and not p.get("schedule"):
            return f" of the target of {plain_number(p['value'])} a day"
    return " of the daily target"


def arrests_sentence(summary: dict[str, Any], kind: str) -> str | None:
    """What was run and the headline: arrests a day, and the share of the target."""
    k = summary["kpis"]
    per_day = k.get("arrests_per_day")
    if not _complete(per_day):
        return None
    text = (
        f"Across {plural(summary['reps'], 'simulated run')} over "
        f"{plural(summary['days'], 'day')} "
        f"from {summary['scenario']['start_date']}, the median outcome is "
        f"{band('arrests_per_day', per_day, kind, ' arrests a day')}"
    )
    attained = k.get("target_attainment")
    if _complete(attained):
        text += f", {band('target_attainment', attained)}{_target(summary)}"
    return text + "."


def detention_sentence(summary: dict[str, Any], kind: str) -> str | None:
    """When detention is first full: a day with its band when it fills in at least 95% of
    the runs, else in how many runs it fills at all (a median day would hide the split),
    and the peak number detained."""
    k = summary["kpis"]
    full, peak = k.get("day_detention_full"), k.get("peak_detention")
    parts = []
    if full is not None:
        share = full.get("share_reached", 0.0)
        day = "day_detention_full"
        if full.get("p95") is not None:
            parts.append(f"Detention is first full on {band(day, full, kind)}")
        elif not share:
            parts.append(f"Detention is not full on any day in any simulated outcome, {kind}")
        elif full.get("p5") is None:
            parts.append(
                f"Detention is full on some day in {share_text(share)} of simulated "
                f"outcomes, {kind}"
            )
        else:
            text = (
                f"Detention is full on some day in {share_text(share)} of simulated outcomes, "
                f"{kind}: in {LOW}% of all outcomes by {format_value(day, full['p5'])}"
            )
            if full.get("p50") is not None:
                text += f", in half by {format_value(day, full['p50'])}"
            parts.append(text)
    kind_said = bool(parts)
    if _complete(peak):
        said = band("peak_detention", peak, None if kind_said else kind)
        parts.append(
            f"the number of people detained peaks at {said}"
            if parts
            else f"The number of people detained peaks at {said}"
        )
    return "; ".join(parts) + "." if parts else None


def removals_sentence(summary: dict[str, Any], kind: str) -> str | None:
    """Removals and releases over the horizon."""
    k = summary["kpis"]
    removed, released = k.get("removals_total"), k.get("releases_total")
    parts = []
    if _complete(removed):
        parts.append(f"Removals total {band('removals_total', removed, kind)}")
    if _complete(released):
        said = band("releases_total", released, None if parts else kind)
        parts.append(
            f"releases from detention {said}" if parts else f"Releases from detention total {said}"
        )
    return ", and ".join(parts) + " over the horizon." if parts else None


def cost_sentence(summary: dict[str, Any], kind: str) -> str | None:
    """Cost per removal (all costs over removals, as its definition says) and the total;
    the total alone where no run removed anyone."""
    k = summary["kpis"]
    per, total = k.get("cost_per_removal_usd"), k.get("cost_total_usd")
    if _complete(per):
        text = (
            f"The cost per removal is {band('cost_per_removal_usd', per, kind)}, counting every "
            "cost of the operation"
        )
        if _complete(total):
            text += f", which totals {band('cost_total_usd', total)}"
        return text + "."
    if _complete(total):
        return f"The operation costs {band('cost_total_usd', total, kind)} in total."
    return None


def agents_sentence(summary: dict[str, Any], kind: str) -> str | None:
    """Agent-days taken from other agencies' missions; nothing when none are detailed."""
    s = summary["kpis"].get("agent_days_diverted")
    if not _complete(s) or not s["p95"]:
        return None
    return (
        "Agents detailed from agencies whose own mission is not immigration arrests work "
        f"{band('agent_days_diverted', s, kind, ' agent-days')} in the operation, time taken "
        "from their home missions."
    )


def regime_sentence(summary: dict[str, Any], kind: str) -> Sentence | None:
    """The performance regime: leaderships replaced, and the priority groups' shares of
    arrests under it. The summary holds no run without the regime, so the shift itself is
    left to a second run, and the sentence says which."""
    if not (summary.get("mechanisms") or {}).get("regime"):
        return None
    replaced = summary["kpis"].get("leadership_replacements")
    groups = [g for g in summary.get("by_group") or [] if _complete(g.get("share_of_arrests"))]
    parts = []
    if _complete(replaced):
        one = format_value("leadership_replacements", replaced["p50"]) == "1"
        unit = " field office leadership" if one else " field office leaderships"
        parts.append(
            "With the performance regime on, "
            f"{band('leadership_replacements', replaced, kind, unit)} "
            f"{'is' if one else 'are'} replaced"
        )
    if groups:
        shares = _words(
            [
                f'"{g["group"]}" {band("percent", g["share_of_arrests"], None if said else kind)}'
                for g, said in zip(groups, [bool(parts)] + [True] * len(groups), strict=False)
            ]
        )
        lead = "arrests divide" if parts else "With the performance regime on, arrests divide"
        parts.append(f"{lead} between the priority groups as {shares}")
    if not parts:
        return None
    return sentence(
        "; ".join(parts),
        "; the shift the regime causes between the groups is the difference from a run with ",
        code("regime.enabled"),
        " = false.",
    )


def sensitivity_problem(doc: Any, parameter_paths: set[str]) -> str | None:
    """What makes ``doc`` unusable as the sensitivity result of a scenario with these
    parameters (None when usable): not what ``atlarge sensitivity`` writes, or ranking
    parameters the scenario does not have (a dated name, ``path@date``, counts as its
    path)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("indices"), dict):
        return "not a sensitivity.json written by atlarge sensitivity (no 'indices')"
    names = set()
    for key, rows in doc["indices"].items():
        if not isinstance(rows, list):
            continue
        if key not in KPIS:
            return f"'{key}' is not a KPI"
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("parameter"), str):
                return f"indices of '{key}' have a row without a parameter"
            names.add(row["parameter"])
    unknown = sorted(n for n in names if n.split("@", 1)[0] not in parameter_paths)
    if unknown:
        return f"ranks parameters this scenario does not have: {', '.join(unknown[:3])}"
    return None


def _sensitivity_ranking(sensitivity: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(KPI key, parameters ranked by importance) for each KPI the analysis has indices of."""
    out = []
    for key, rows in (sensitivity.get("indices") or {}).items():
        if isinstance(rows, list) and rows and key in KPIS:
            out.append((key, [r["parameter"] for r in rows]))
    return out


def drivers_sentence(summary: dict[str, Any], sensitivity: dict[str, Any] | None) -> Sentence:
    """What moves the results most: from a sensitivity analysis when one is given, else
    what the bands vary (and that nothing here ranks it)."""
    ranking = _sensitivity_ranking(sensitivity) if sensitivity else []
    if ranking:
        method = {"sobol": "Sobol' indices", "morris": "Morris screening"}.get(
            str(sensitivity.get("method")),
            str(sensitivity.get("method")),  # type: ignore[union-attr]
        )
        # The KPI's label quoted as a name of its own ('"Arrests, total"'), so a label with
        # a comma does not run into the sentence.
        clauses: list[str | Segment] = []
        for key, params in ranking[:SENSITIVITY_OUTPUTS]:
            lead = "; " if clauses else ""
            clauses += [
                f'{lead}the results for "{KPIS[key].label}" move most with ',
                *_codes(params[:MOST]),
            ]
        return sentence(
            f"In the sensitivity analysis given with this run ({method}), ", *clauses, "."
        )
    drawn = band_draws(summary)
    if drawn.case == "fixed":
        return sentence(
            "Every parameter is held at its stated value, so the bands show randomness alone "
            "and not how the results move with the assumptions; ",
            code("atlarge sensitivity"),
            " ranks the assumptions that move them most.",
        )
    u = summary.get("uncertainty") or {}
    per = u.get("replications_per_draw")
    each = f", {plural(per, 'replication')} each" if per else ""
    joint = plural(len(drawn.joint), "fitted parameter")
    independent = plural(len(drawn.independent), "uncertain parameter")
    how = {
        "ranged": f"{independent}, each independently over its range",
        "posterior_held": f"{joint} jointly from their posterior, every other parameter held "
        "at its value",
        "posterior_drawn": f"{joint} jointly from their posterior and "
        f"{plural(len(drawn.independent), 'other uncertain parameter')}, each independently "
        "over its range",
    }[drawn.case]
    return sentence(
        f"The bands draw {how} ({plural(drawn.draws, 'draw')}{each}), so they show the "
        "joint effect of what they draw; no sensitivity analysis came with this run to rank "
        "which of them moves the results most (",
        code("atlarge sensitivity"),
        " does).",
    )


def _topic(path: str) -> str:
    head = path.split(".", 1)[0]
    return TOPICS.get(head, head.replace("_", " "))


def omissions(summary: dict[str, Any]) -> list[str]:
    """What the model leaves out that bears on this run (docs/model.md, section 7). The
    posterior's parameters are drawn jointly, so the correlations left out are those of
    the parameters drawn independently, when there are any."""
    on = summary.get("mechanisms") or {}
    items = []
    drawn = band_draws(summary)
    if drawn.independent:
        items.append(
            "correlations between the uncertain parameters drawn independently"
            if drawn.posterior
            else "correlations between the uncertain parameters"
        )
    items.append("differences between field offices beyond one population weight")
    if on.get("courts"):
        items.append("court-by-court calendars and appeals")
    else:
        items.append("the immigration courts, so releases leave the system")
    return items


def caveats_sentence(summary: dict[str, Any], sensitivity: dict[str, Any] | None) -> Sentence:
    """The assumptions that dominate (those a sensitivity analysis ranks first, else the
    topics with most labelled assumptions) and what the model leaves out."""
    params = summary.get("parameters") or []
    assumed = [p["path"] for p in params if p["assumption"] and not p.get("fitted")]
    parts: list[str | Segment] = [
        f"{len(assumed):,} of {len(params):,} parameters are labelled assumptions"
    ]
    ranked: list[str] = []
    for _key, names in _sensitivity_ranking(sensitivity) if sensitivity else []:
        for name in names:
            base = name.split("@", 1)[0]
            if base in assumed and name not in ranked:
                ranked.append(name)
    if ranked:
        parts += [", of which the analysis ranks ", *_codes(ranked[:MOST]), " highest"]
    elif assumed:
        topics = [t for t, _ in Counter(_topic(p) for p in assumed).most_common(MOST)]
        parts.append(f", the most of them on {_words(topics)}")
    return sentence(
        *parts,
        "; the model leaves out ",
        _words(omissions(summary)),
        " (docs/model.md, section 7).",
    )


def brief_paragraphs(
    summary: dict[str, Any], sensitivity: dict[str, Any] | None = None
) -> list[Paragraph]:
    """The brief as paragraphs of sentences: the results, then what drives them and the
    caveats. ``sensitivity`` is a sensitivity.json (``atlarge sensitivity``) of the same
    scenario, when there is one."""
    kind = band_kind(summary)
    results = [
        arrests_sentence(summary, kind),
        detention_sentence(summary, kind),
        removals_sentence(summary, kind),
        cost_sentence(summary, kind),
        agents_sentence(summary, kind),
        regime_sentence(summary, kind),
    ]
    reading = [drivers_sentence(summary, sensitivity), caveats_sentence(summary, sensitivity)]
    return [
        [sentence(s) if isinstance(s, str) else s for s in results if s],
        reading,
    ]


MARKDOWN_ACTIVE = re.compile(r"([\\`<>\[\]*_&])")
"""Characters that make Markdown of plain text (a code span, a tag, a link, emphasis, an
entity such as '&amp;')."""


def markdown_escaped(text: str, *, line_start: bool = False) -> str:
    """Plain text as Markdown that reads as the same text: each Markdown-active character
    backslash-escaped, and a '#' that would start a heading too."""
    out = MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(text.splitlines()))
    if line_start and out.startswith("#"):
        out = "\\" + out
    return out


def _code_span(name: str) -> str:
    """A code span that holds ``name`` whatever backticks it has (CommonMark: a longer
    fence, padded when the name starts or ends with a backtick)."""
    fence = "`" * (max((len(m) for m in re.findall(r"`+", name)), default=0) + 1)
    pad = " " if name.startswith("`") or name.endswith("`") else ""
    return f"{fence}{pad}{name}{pad}{fence}"


def _markdown(paragraph: Paragraph) -> str:
    pieces = []
    for sentence_ in paragraph:
        for seg in sentence_:
            first = not pieces
            pieces.append(
                _code_span(seg.text) if seg.code else markdown_escaped(seg.text, line_start=first)
            )
        pieces.append(" ")
    return "".join(pieces).rstrip(" ")


def _join(paragraph: Paragraph) -> str:
    return " ".join("".join(seg.text for seg in sentence_) for sentence_ in paragraph)


def brief_markdown(summary: dict[str, Any], sensitivity: dict[str, Any] | None = None) -> str:
    """brief.md: a heading and the paragraphs, names of parameters as `code`."""
    paragraphs = brief_paragraphs(summary, sensitivity)
    return f"## {TITLE}\n\n" + "\n\n".join(_markdown(p) for p in paragraphs) + "\n"


def brief_text(summary: dict[str, Any], sensitivity: dict[str, Any] | None = None) -> str:
    """The brief as plain text (what a page shows): paragraphs separated by a blank line."""
    return "\n\n".join(_join(p) for p in brief_paragraphs(summary, sensitivity))


def brief_json(
    summary: dict[str, Any], sensitivity: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The brief for the API and the page: its Markdown, and its paragraphs as sentences
    of segments ({text, code}) for a page to render without parsing Markdown."""
    return {
        "title": TITLE,
        "markdown": brief_markdown(summary, sensitivity),
        "paragraphs": [
            [[{"text": s.text, "code": s.code} for s in words] for words in paragraph]
            for paragraph in brief_paragraphs(summary, sensitivity)
        ],
    }
