"""The KPI table and the by-office table as files analysts open: CSV and XLSX.

Pure functions from a run's summary (the dict written to ``summary.json``) to rows, and
from rows to CSV text or XLSX bytes, so the CLI's run folder, the report's download links
and the API's endpoints all write the same tables. Every value is the summary's own
number, unrounded (the CSV in every digit; the XLSX to the 16 significant digits openpyxl
writes, a spreadsheet keeping 15), so a figure quoted from a download can be checked
against ``summary.json``. Each row says what its band contains (:func:`band_kind`).

Which KPIs are listed follows the report (:func:`~atlarge.analysis.kpis.shown_kpis`): a
KPI of a mechanism the run has off is left out, as in the terminal table and the page.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from atlarge._version import __version__
from atlarge.analysis.kpis import KPIS, shown_kpis
from atlarge.errors import OptionError
from atlarge.report.band_draws import band_draws
from atlarge.report.format import plural

Row = dict[str, Any]

FORMATS = ("csv", "xlsx")
"""What a run can also be written as."""
FILES = {"csv": ("kpis.csv", "offices.csv"), "xlsx": ("atlarge-results.xlsx",)}
"""The files each format adds to a run folder."""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"""The media type of an XLSX file."""

STATS = ("p5", "p50", "p95", "mean")
"""The statistics over replications each figure carries, in column order."""
KPI_COLUMNS = ("kpi", "label", "unit", *STATS, "share_reached", "band", "definition")
"""The columns of the KPI table."""
SHEETS = ("KPIs", "Offices", "About")
"""The sheets of the XLSX file, in order."""

AGGREGATES = (
    "Every figure is an aggregate (a count, a sum of money, a share or a day of the "
    "horizon) summarised over the simulated replications: p5, p50 (median) and p95 "
    "percentiles and the mean. Nothing here describes a person."
)
EMPTY_CELLS = (
    "An empty p5, p50 or p95 of a day (e.g. the first day detention is full) means that "
    "day did not come within the horizon at that percentile; share_reached is the share "
    "of replications in which it came. Other empty cells are undefined values (a ratio "
    "with nothing to divide by)."
)

PRECISION = (
    "The numbers are those of summary.json, not rounded: the cells hold them to 16 "
    "significant digits (a spreadsheet computes with 15), the number formats only change "
    "how they are shown. kpis.csv and offices.csv hold every digit."
)


def export_formats(requested: str | Iterable[str] | None) -> tuple[str, ...]:
    """The formats asked for, each once, in :data:`FORMATS` order.

    Accepts repeated values and comma lists alike (``["csv,xlsx"]``, ``["xlsx", "csv"]``,
    ``"csv"``), case-insensitively; raises :class:`OptionError` naming ``exports`` for
    anything else, before any work is done.
    """
    if requested is None:
        return ()
    items = [requested] if isinstance(requested, str) else list(requested)
    asked = set()
    for item in items:
        for part in str(item).split(","):
            name = part.strip().lower()
            if name not in FORMATS:
                got = f"'{part.strip()}'" if name else f"an empty name in '{item}'"
                raise OptionError(
                    "exports",
                    f"expected {' or '.join(FORMATS)} (repeat it, or list them as csv,xlsx), "
                    f"got {got}",
                )
            asked.add(name)
    return tuple(f for f in FORMATS if f in asked)


def band_kind(summary: Mapping[str, Any]) -> str:
    """What a p5-p95 band of this run contains, in a few words a table cell can hold:
    draws of the uncertain parameters (as drawn: see :mod:`atlarge.report.band_draws`)
    times replications, or randomness alone."""
    drawn = {
        "fixed": None,
        "ranged": "assumption draws",
        "posterior_held": "posterior draws",
        "posterior_drawn": "posterior and assumption draws",
    }[band_draws(summary).case]
    return f"{drawn} x replications" if drawn else "randomness alone"


def band_sentence(summary: Mapping[str, Any]) -> str:
    """:func:`band_kind` in a sentence, with the numbers of draws and replications."""
    u = summary.get("uncertainty") or {}
    reps = summary["reps"]
    drawn = band_draws(summary)
    if drawn.case == "fixed":
        return (
            f"The bands span randomness alone: {plural(reps, 'replication')} with every "
            "parameter held at its value."
        )
    what = {
        "ranged": "the ranged assumptions, each drawn independently over its range",
        "posterior_held": "the fitted parameters' posterior (drawn jointly), every other "
        "parameter held at its value",
        "posterior_drawn": "the fitted parameters' posterior (drawn jointly) and the ranged "
        "assumptions (each drawn independently over its range)",
    }[drawn.case]
    per = u.get("replications_per_draw")
    each = f"{plural(per, 'replication')} each" if per else "of unequal sizes"
    return (
        f"The bands span parameter uncertainty and chance: {plural(drawn.draws, 'draw')} "
        f"of {what}; {each} ({plural(reps, 'replication')} in all)."
    )


def kpi_rows(summary: Mapping[str, Any]) -> list[Row]:
    """One row per KPI the run shows (:data:`KPI_COLUMNS`), values as in summary.json."""
    band = band_kind(summary)
    rows = []
    for key, kpi in shown_kpis(summary).items():
        s = summary["kpis"][key]
        rows.append(
            {
                "kpi": key,
                "label": kpi.label,
                "unit": kpi.unit,
                **{q: s.get(q) for q in STATS},
                "share_reached": s.get("share_reached"),
                "band": band,
                "definition": kpi.definition,
            }
        )
    return rows


def office_figures(summary: Mapping[str, Any]) -> list[str]:
    """The per-office figures of the run (summary.json ``by_office``) that it shows."""
    offices = summary.get("by_office") or []
    if not offices:
        return []
    shown = shown_kpis(summary)
    return [k for k in offices[0] if k in shown and isinstance(offices[0][k], Mapping)]


def office_columns(summary: Mapping[str, Any]) -> list[str]:
    """The columns of the by-office table: office, code, ``FIGURE_STAT`` for each figure
    and statistic, and the band."""
    stats = [f"{key}_{q}" for key in office_figures(summary) for q in STATS]
    return ["office", "code", *stats, "band"]


def office_rows(summary: Mapping[str, Any]) -> list[Row]:
    """One row per field office (:func:`office_columns`), values as in summary.json."""
    band = band_kind(summary)
    figures = office_figures(summary)
    return [
        {
            "office": r["office"],
            "code": r.get("code", ""),
            **{f"{key}_{q}": r[key].get(q) for key in figures for q in STATS},
            "band": band,
        }
        for r in summary.get("by_office") or []
    ]


def _safe_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula when the CSV is opened in it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _cell(value: Any) -> str:
    """A CSV cell: numbers in full (they read back as the same float), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    return _safe_text(str(value))


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as CSV text (RFC 4180, a header row of ``columns``)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def kpis_csv(summary: Mapping[str, Any]) -> str:
    """The KPI table as CSV (``kpis.csv``)."""
    return to_csv(kpi_rows(summary), KPI_COLUMNS)


def offices_csv(summary: Mapping[str, Any]) -> str:
    """The by-office table as CSV (``offices.csv``)."""
    return to_csv(office_rows(summary), office_columns(summary))


NUMBER_FORMATS = {
    "count": "#,##0",
    "percent": "0.0%",
    "usd": '"$"#,##0',
    "day": "0",
}
"""How each KPI format (analysis/kpis.py) reads in a spreadsheet; the cell holds the
full number."""


def _number_format(key: str) -> str:
    kpi = KPIS.get(key)
    if kpi is None:
        return "General"
    if kpi.format == "count" and kpi.unit == "days":
        return "#,##0.0"  # a mean wait: 0.4 days is not 0
    return NUMBER_FORMATS[kpi.format]


def about_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The About sheet: what was run, what the bands contain, and what the columns mean."""
    scenario = summary.get("scenario") or {}
    overrides = summary.get("overrides") or {}
    changes = "; ".join(f"{path} = {o.get('value')}" for path, o in overrides.items())
    rows = [
        ("What this is", "The KPI and field-office tables of one atlarge run."),
        ("Scenario", str(scenario.get("name", ""))),
        ("Scenario sha256", str(scenario.get("sha256", ""))),
        ("Start date", str(scenario.get("start_date", ""))),
        ("Days", str(summary["days"])),
        ("Replications", str(summary["reps"])),
        ("Seed", str(summary["seed"])),
        ("Changes from the scenario file", changes or "none"),
        ("Band kind", band_kind(summary)),
        ("Bands", band_sentence(summary)),
        ("Counts", AGGREGATES),
        ("Empty cells", EMPTY_CELLS),
        ("Precision", PRECISION),
        ("atlarge version", str(summary.get("atlarge_version", __version__))),
        ("Sheet KPIs", "One row per KPI: its key, label, unit, statistics and definition."),
        (
            "Sheet Offices",
            "One row per field office; a column FIGURE_STAT holds that statistic of the "
            "figure for the office.",
        ),
    ]
    for key in office_figures(summary):
        kpi = KPIS[key]
        rows.append(
            (
                f"Offices: {key}",
                f"{kpi.label} ({kpi.unit}) of the field office alone. As a national figure: "
                f"{kpi.definition}",
            )
        )
    return rows


def to_xlsx(summary: Mapping[str, Any]) -> bytes:
    """The workbook ``atlarge-results.xlsx``: sheets KPIs, Offices and About (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    kpis = wb.active
    kpis.title = SHEETS[0]
    rows = kpi_rows(summary)
    _table(kpis, KPI_COLUMNS, rows)
    for i, row in enumerate(rows, start=2):
        for j, column in enumerate(KPI_COLUMNS, start=1):
            if column in STATS:
                kpis.cell(i, j).number_format = _number_format(row["kpi"])
            elif column == "share_reached":
                kpis.cell(i, j).number_format = "0%"
    _widths(kpis, {"kpi": 28, "label": 40, "unit": 20, "band": 36, "definition": 80})

    offices = wb.create_sheet(SHEETS[1])
    columns = office_columns(summary)
    _table(offices, columns, office_rows(summary))
    for j, column in enumerate(columns, start=1):
        key = column.rsplit("_", 1)[0]
        if key in KPIS:
            for i in range(2, offices.max_row + 1):
                offices.cell(i, j).number_format = _number_format(key)
    _widths(offices, {"office": 24, "band": 36})

    about = wb.create_sheet(SHEETS[2])
    for i, (what, text) in enumerate(about_rows(summary), start=1):
        _text(about.cell(i, 1), what).font = Font(bold=True)
        _text(about.cell(i, 2), text).alignment = Alignment(wrap_text=True, vertical="top")
    about.column_dimensions["A"].width = 32
    about.column_dimensions["B"].width = 100

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(cell: Any, value: str) -> Any:
    """Put text in a cell as text: openpyxl would store '=...' as a formula."""
    cell.value = value
    cell.data_type = "s"
    return cell


def _table(ws: Any, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """A header row (bold, frozen) and one row per entry; numbers as numbers."""
    from openpyxl.styles import Font

    for j, column in enumerate(columns, start=1):
        _text(ws.cell(1, j), column).font = Font(bold=True)
    for i, row in enumerate(rows, start=2):
        for j, column in enumerate(columns, start=1):
            value = row.get(column)
            if isinstance(value, str):
                _text(ws.cell(i, j), value)
            else:
                ws.cell(i, j).value = value
    ws.freeze_panes = "B2"


def _widths(ws: Any, widths: Mapping[str, float]) -> None:
    """Column widths by header (others: wide enough for their header)."""
    from openpyxl.utils import get_column_letter

    for j, cell in enumerate(ws[1], start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(
            cell.value, max(12, len(str(cell.value)) + 2)
        )


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")  # the CSV's own line ends


def csv_data_uri(text: str) -> str:
    """A CSV as a ``data:`` URI, for a download link in a report that must stay one file."""
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode()).decode()


def file_writers(
    summary: Mapping[str, Any], formats: Sequence[str]
) -> dict[str, Callable[[Path], None]]:
    """The files of ``formats`` as (name -> write(path)) for a run folder's writer."""
    writers: dict[str, Callable[[Path], None]] = {}
    if "csv" in formats:
        writers["kpis.csv"] = lambda p: _write_text(p, kpis_csv(summary))
        writers["offices.csv"] = lambda p: _write_text(p, offices_csv(summary))
    if "xlsx" in formats:
        writers["atlarge-results.xlsx"] = lambda p: p.write_bytes(to_xlsx(summary))
    return writers
