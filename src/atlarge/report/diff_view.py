"""A scenario diff as people read it: rows of text for the terminal (``atlarge diff``) and
for the report's "Changes from <parent>" table, from :mod:`atlarge.scenario.diff`.

One way of writing each value, shared by both, so a value reads the same in the terminal
and in the report: a parameter as its value (a schedule as a schedule, without the unit,
which has its own column), a setting as the report writes settings, a long list (a
posterior's draws) by its first values and its length, long text cut.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from atlarge.report.format import param_value, plain_number, setting_value
from atlarge.scenario.diff import Change, ScenarioDiff, Side

ABSENT = "absent"
"""How the side without a leaf reads."""
LIST_SHOWN = 3  # values of a long list shown before its length
TEXT_WIDTH = 80  # characters of a text setting shown (a description)
SOURCE_WIDTH = 48  # characters of a source in the terminal (whole in the JSON file)
TERMINAL_CAPTION = "Sources are cut to fit; the JSON file holds them whole."


def side_text(path: str, side: Side | None) -> str:
    """One side's value as text: 'absent' where it has none."""
    if side is None:
        return ABSENT
    if side.kind == "parameter":
        return param_value(side.value, side.schedule)
    value = side.value
    if isinstance(value, list) and len(value) > LIST_SHOWN + 1:
        head = ", ".join(plain_number(v) for v in value[:LIST_SHOWN])
        return f"{head}, … ({len(value):,} values)"
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        return ", ".join(plain_number(v) for v in value)
    if isinstance(value, dict):
        value = ", ".join(f"{k}: {v}" for k, v in value.items())
    text = setting_value(path, value)
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"


def status_text(change: Change, a: str = "A", b: str = "B") -> str:
    """'changed: value, source', 'only in A', 'only in B'."""
    if change.status == "only_a":
        return f"only in {a}"
    if change.status == "only_b":
        return f"only in {b}"
    return "changed: " + ", ".join(change.differs)


def change_rows(diff: ScenarioDiff, a: str = "A", b: str = "B") -> list[dict[str, Any]]:
    """One row of text per change: path, status, each side's value and source, unit."""
    return [
        {
            "path": c.path,
            "status": status_text(c, a, b),
            "a": side_text(c.path, c.a),
            "b": side_text(c.path, c.b),
            "unit": c.unit or "",
            "source_a": (c.a.source if c.a else None) or "",
            "source_b": (c.b.source if c.b else None) or "",
        }
        for c in diff.changes
    ]


def section_rows(diff: ScenarioDiff, a: str = "A", b: str = "B") -> list[dict[str, str]]:
    """Sections one side has and the other has not: path and which side has it."""
    return [
        {"path": p, "status": f"only in {a}" if s == "only_a" else f"only in {b}"}
        for p, s in diff.sections
    ]


def diff_table(diff: ScenarioDiff, a_file: str, b_file: str) -> Table:
    """``atlarge diff``: one row per differing path, with both values, unit and sources."""
    title = (
        f"A: {a_file} ('{diff.a_name}')  B: {b_file} ('{diff.b_name}'): "
        f"{len(diff.changes):,} differences"
    )
    # Every text is a Text, never markup: a scenario's name, values and sources are the
    # author's words, and '[sic]' or '[/x]' in them must print as written.
    table = Table(title=Text(title), title_justify="left", caption=TERMINAL_CAPTION)
    table.add_column("path", overflow="fold", min_width=24, ratio=3)
    for col in ("A", "B", "unit", "what differs", "source in A", "source in B"):
        table.add_column(col, overflow="fold", min_width=10, ratio=2)
    for r in change_rows(diff):
        same = r["source_a"] == r["source_b"] and r["source_a"]
        cells = (
            r["path"],
            r["a"],
            r["b"],
            r["unit"],
            r["status"],
            _cut(r["source_a"], SOURCE_WIDTH),
            "same as A" if same else _cut(r["source_b"], SOURCE_WIDTH),
        )
        table.add_row(*(Text(c) for c in cells))
    return table


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = ["change_rows", "diff_table", "section_rows", "side_text", "status_text"]
