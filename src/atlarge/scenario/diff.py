"""What differs between two resolved scenarios, path by path (``atlarge diff A B``).

Both scenarios are compared as the loader resolved them (``extends`` applied), so a
difference that comes from a base file counts as much as one written in the file itself.
Every leaf of the scenario is compared: each parameter (value, schedule, unit, range,
distribution, assumption flag, rationale, fit note, source) and each setting (switches,
choices, dates, the horizon, office selection, the posterior's draws). What atlarge
records itself (``overrides``, ``extends``) is not compared: the values they led to are.

A leaf present on one side only is ``only_a`` or ``only_b``: an optional parameter, or
everything inside a section (an agency, ``[courts]``, ``[posterior]``) one side has and
the other has not; such sections are listed too (:attr:`ScenarioDiff.sections`), by their
top-most path. A setting that may be empty (``offices.include``: all offices) is a leaf
whose value is ``None``, not a missing one.

The result is plain data: the scenario layer does not format numbers for people
(``atlarge.report.diff_view`` does), and :meth:`ScenarioDiff.as_dict` is the JSON form.
The parent a scenario extends, for the report's "Changes from" table, is
:func:`atlarge.scenario.loader.load_base`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel

from atlarge.errors import ScenarioError
from atlarge.scenario.loader import extends_as_written, load_base, load_scenario
from atlarge.scenario.params import Param
from atlarge.scenario.schema import Scenario
from atlarge.scenario.sources import format_source

RECORDED = ("overrides", "extends")
"""Top-level fields atlarge records about how a scenario was loaded: not compared."""
PARAM_ASPECTS = (
    "value",
    "schedule",
    "unit",
    "range",
    "distribution",
    "assumption",
    "rationale",
    "fitted",
    "source",
)
"""What is compared of a parameter, in the order a difference lists them."""

Status = Literal["changed", "only_a", "only_b"]


@dataclass(frozen=True)
class Side:
    """One scenario's leaf at a path: a parameter (with unit and source) or a setting."""

    kind: Literal["parameter", "setting"]
    value: Any
    """A parameter's base value, or a setting as JSON (dates as ISO text)."""
    unit: str | None = None
    schedule: dict[str, float] | None = None
    source: str | None = None
    """The source as people read it (``format_source``); None for a setting."""
    assumption: bool = False
    aspects: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Everything compared (``PARAM_ASPECTS`` for a parameter, the value for a setting)."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "value": self.value}
        if self.kind == "parameter":
            out |= {
                "unit": self.unit,
                "schedule": self.schedule,
                "source": self.source,
                "assumption": self.assumption,
            }
        return out


@dataclass(frozen=True)
class Change:
    """A path whose leaf differs: changed on both sides, or present on one side only."""

    path: str
    status: Status
    a: Side | None
    b: Side | None
    differs: tuple[str, ...]
    """What differs (a subset of ``PARAM_ASPECTS``, or ``("value",)`` for a setting); for a
    leaf on one side only, ``("presence",)``."""

    @property
    def unit(self) -> str | None:
        units = [s.unit for s in (self.a, self.b) if s is not None and s.unit]
        if len(set(units)) > 1:
            return f"{units[0]} -> {units[1]}"
        return units[0] if units else None

    def swapped(self) -> Change:
        """The same change seen from the other side (B against A)."""
        flip: dict[str, Status] = {"changed": "changed", "only_a": "only_b", "only_b": "only_a"}
        return Change(self.path, flip[self.status], self.b, self.a, self.differs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "differs": list(self.differs),
            "unit": self.unit,
            "a": self.a.as_dict() if self.a else None,
            "b": self.b.as_dict() if self.b else None,
        }


@dataclass(frozen=True)
class ScenarioDiff:
    """Every difference between scenario A and scenario B, in A's schema order."""

    a_name: str
    b_name: str
    changes: tuple[Change, ...]
    sections: tuple[tuple[str, Status], ...]
    """Sections (an agency, ``courts``, ``posterior``) one side has and the other has not,
    by their top-most path: ``(path, "only_a" | "only_b")``."""

    @property
    def paths(self) -> set[str]:
        return {c.path for c in self.changes}

    def __bool__(self) -> bool:
        return bool(self.changes)

    def swapped(self) -> ScenarioDiff:
        flip: dict[str, Status] = {"only_a": "only_b", "only_b": "only_a"}
        return ScenarioDiff(
            self.b_name,
            self.a_name,
            tuple(c.swapped() for c in self.changes),
            tuple((p, flip[s]) for p, s in self.sections),
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``atlarge diff --json``)."""
        counts = {s: sum(c.status == s for c in self.changes) for s in get_args(Status)}
        return {
            "a": self.a_name,
            "b": self.b_name,
            "n_differences": len(self.changes),
            "counts": counts,
            "sections": [{"path": p, "status": s} for p, s in self.sections],
            "changes": [c.as_dict() for c in self.changes],
        }


def diff_scenarios(a: Scenario, b: Scenario) -> ScenarioDiff:
    """Every leaf that differs between ``a`` and ``b`` (see the module docstring)."""
    left, left_sections = _flatten(a)
    right, right_sections = _flatten(b)
    order = list(left) + [p for p in right if p not in left]
    changes = []
    for path in order:
        sa, sb = left.get(path), right.get(path)
        if sa is None or sb is None:
            status: Status = "only_b" if sa is None else "only_a"
            changes.append(Change(path, status, sa, sb, ("presence",)))
            continue
        if sa.kind != sb.kind:
            changes.append(Change(path, "changed", sa, sb, ("value",)))
            continue
        differs = tuple(k for k in sa.aspects if sa.aspects[k] != sb.aspects.get(k))
        if differs:
            changes.append(Change(path, "changed", sa, sb, differs))
    sections = [(p, "only_a") for p in _topmost(left_sections - right_sections)]
    sections += [(p, "only_b") for p in _topmost(right_sections - left_sections)]
    return ScenarioDiff(a.name, b.name, tuple(changes), tuple(sections))  # type: ignore[arg-type]


def _topmost(paths: set[str]) -> list[str]:
    """``paths`` without those lying under another of them, sorted."""
    return sorted(p for p in paths if not any(p.startswith(q + ".") for q in paths))


def _flatten(sc: Scenario) -> tuple[dict[str, Side], set[str]]:
    """Leaf path -> :class:`Side`, and the paths of every section (model or table)."""
    leaves: dict[str, Side] = {}
    sections: set[str] = set()
    for path, side in _walk(sc, "", sections, top=True):
        leaves[path] = side
    return leaves, sections


def _walk(
    obj: Any, prefix: str, sections: set[str], top: bool = False
) -> Iterator[tuple[str, Side]]:
    if isinstance(obj, Param):
        yield prefix, _param_side(obj)
        return
    if isinstance(obj, BaseModel):
        if prefix:
            sections.add(prefix)
        for name, info in type(obj).model_fields.items():
            if top and name in RECORDED:
                continue
            value = getattr(obj, name)
            path = f"{prefix}.{name}" if prefix else name
            if (value is None or value == {}) and _holds_model(info.annotation):
                continue  # an optional section, parameter or table of them left out: absent
            yield from _walk(value, path, sections)
        return
    if isinstance(obj, dict) and any(isinstance(v, BaseModel | dict) for v in obj.values()):
        sections.add(prefix)
        for key, value in obj.items():
            yield from _walk(value, f"{prefix}.{key}", sections)
        return
    if isinstance(obj, dict) and obj and all(isinstance(v, list) for v in obj.values()):
        sections.add(prefix)  # a table of lists: the posterior's draws, one per path
        for key, value in obj.items():
            yield f"{prefix}.{key}", _setting_side(value)
        return
    yield prefix, _setting_side(obj)


def _holds_model(annotation: Any) -> bool:
    """Whether a field annotation can hold a model (a section or a parameter)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(a) for a in get_args(annotation))


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_json(k)): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _setting_side(value: Any) -> Side:
    shown = _json(value)
    return Side("setting", shown, aspects={"value": shown})


def _param_side(p: Param) -> Side:
    schedule = {d.isoformat(): v for d, v in sorted((p.schedule or {}).items())} or None
    source = format_source(p.source) or None
    aspects = {
        "value": p.value,
        "schedule": schedule,
        "unit": p.unit,
        "range": list(p.range) if p.range else None,
        "distribution": p.distribution,
        "assumption": p.assumption,
        "rationale": p.rationale,
        "fitted": p.fitted.model_dump() if p.fitted else None,
        "source": p.source.model_dump(mode="json") if p.source else None,
    }
    return Side("parameter", p.value, p.unit, schedule, source, p.assumption, aspects)


@dataclass(frozen=True)
class ParentChanges:
    """What a scenario file changes from the scenario it extends (the report's table).

    ``parent`` names the entries of ``extends`` as written (``a.toml + b.toml`` for a
    list: their merge, in order, is the parent, see :func:`loader.load_base`). ``diff``
    is parent (A) against the file as written (B), before any change made for a run;
    ``problem`` says why there is none when the parent is not a whole scenario alone.
    """

    parent: str
    diff: ScenarioDiff | None
    problem: str | None = None


def changes_from_parent(path: str | Path) -> ParentChanges | None:
    """What the scenario file at ``path`` changes from what it extends; None when it
    extends nothing. Errors in the file itself raise :class:`ScenarioError`."""
    this = load_scenario(path)
    try:
        found = load_base(path)
    except ScenarioError as exc:
        # Named as in the normal case: the entries of extends as written (this.extends
        # lists every file read, each base's own chain after it).
        names = extends_as_written(path) or []
        return ParentChanges(" + ".join(names), None, f"not a whole scenario alone ({exc})")
    if found is None:
        return None
    names, base = found
    return ParentChanges(" + ".join(names), diff_scenarios(base, this))


__all__ = [
    "PARAM_ASPECTS",
    "Change",
    "ParentChanges",
    "ScenarioDiff",
    "Side",
    "changes_from_parent",
    "diff_scenarios",
]
