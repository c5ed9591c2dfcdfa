"""The one way to change a scenario's values: :func:`with_values` (``Scenario.with_values``).

``--set`` and the API's overrides (through ``load_scenario(set=...)``), the
horizon of a run (``with_days``), uncertainty draws, backtest years, sweep
points and sensitivity sample points all change a scenario here, so a value
means the same thing whichever of them set it. The rules:

**Paths.** A key is a dotted path (``detention.beds``) or a dated path
``PATH@YYYY-MM-DD``. A path names a parameter or a setting that is in the
scenario (an agency or the Guard the scenario does not deploy is not); a
section, a field inside a parameter (``detention.beds.unit``) or what atlarge
records itself (``overrides``, ``extends``) is refused.

**Values.** A string is read as on the command line (:func:`parse_set_value`:
TOML, else the text). A parameter takes a finite number and keeps its unit;
a setting (a switch, a choice, a date, a whole number, a list of offices)
takes what the schema accepts for it. Everything is then validated exactly as
a file is, and an error names the key as written and ``reason`` as its origin.

**Schedules.** A plain value makes a time-varying parameter constant. A dated
value sets one schedule entry, as ``schedule = { DATE = VALUE }`` in the file
would: it holds from DATE until the parameter's next entry, if any; earlier
values and the other entries stay. Both for one path: the plain value first.
Only parameters take dated values. A date outside the run's horizon is a
warning (:mod:`atlarge.scenario.schedules`), one ten years away is refused.

**Shares** that must sum to one (``SHARE_GROUPS``, ``SHARE_MAPS``): the shares a change names
are kept and the group's other shares are scaled to fill what they leave;
when a change names every share of a group they keep their proportions and
are scaled together (an uncertainty draw names every share of a group it
draws). A change that leaves nothing to scale (the named shares sum above one,
or the others are all zero) is refused.

**Provenance.** A parameter whose values changed gets a source whose note is
``set by REASON (was OLD VALUE)`` and whose ``was`` keeps the old source whole
(structured, so a reader still sees who published the replaced figure); unit, assumption flag,
rationale and fit note stay. Its range stays if every value lies in it; an
assumption's range (which it must have) is widened to take them; any other
range is dropped, with its distribution.

**Two forms of one quantity** (``schema.ALTERNATIVE_FORMS``). Removal capacity is
either the total ``transport.seats_per_day`` or the breakdown (flights per day,
seats per flight, land removals). Setting the total on a scenario with the
breakdown replaces the breakdown: the total is set to the value (unit
seats/day; its source says what it replaced) and the breakdown is cleared, each
recorded in ``overrides`` with a ``note``. The total takes a plain value only
(a dated total would need a value before the date). A part of the breakdown on
a scenario with the total is refused (a breakdown needs every part with its
unit and source: give it in a scenario file that extends this one).

**Record.** ``Scenario.overrides`` keeps, per path whose value differs from
the file, the value (and schedule) as run and as in the file, however many
changes led there; a path brought back to the file's value leaves the record,
and a change that changes nothing is not recorded at all.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from atlarge.errors import ScenarioError
from atlarge.scenario.messages import covers, first_problem, show
from atlarge.scenario.params import Param, ScheduleDate, fmt_number, mentions_param
from atlarge.scenario.schema import ALTERNATIVE_FORMS, Scenario, share_group_paths

DATED = "@"
"""Separates a path from the date a dated value holds from: ``detention.beds@2025-09-01``."""
RECORDED = ("overrides", "extends")
"""Top-level fields atlarge records itself; no change sets them."""
SHARE_TOLERANCE = 1e-12
"""Shares summing to one within this are left as they are (float rounding, not a change)."""
_DATE = TypeAdapter(ScheduleDate)


@dataclass(frozen=True)
class _Target:
    """Where a key points: the path, the date of a dated value, and what lies there."""

    key: str
    path: str
    when: dt.date | None
    is_param: bool


def with_values(scenario: Scenario, updates: Mapping[str, Any], reason: str) -> Scenario:
    """``scenario`` with ``updates`` (path or ``PATH@DATE`` -> value) applied for ``reason``.

    ``reason`` says who changed the values and why (it starts each changed
    parameter's new source, and errors name it as their origin). The rules are
    in the module docstring; the result is validated like a file.
    """
    if not updates:
        return scenario
    before = scenario.model_dump()
    data = copy.deepcopy(before)
    replaced: list[str] = []
    targets = []
    for k, raw in updates.items():
        form = _other_form(scenario, k, reason)
        if form is None:
            targets.append((_target(scenario, k, reason), _read(raw, k, reason)))
        else:
            replaced += _replace_form(data, form, k, _read(raw, k, reason), reason)
    # Plain values first, so that a dated value for the same path is not flattened by it.
    for target, value in sorted(targets, key=lambda tv: tv[0].when is not None):
        parent, last = _parent(data, target.path)
        if not target.is_param:
            parent[last] = value
            continue
        number = _number(value, target.key, reason)
        if target.when is None:
            parent[last] = {**parent[last], "value": number, "schedule": None}
        else:
            schedule = {**(parent[last]["schedule"] or {}), target.when: number}
            parent[last] = {**parent[last], "schedule": dict(sorted(schedule.items()))}
    named = {t.path: t.key for t, _ in targets}
    for path in [*named, *_fill_shares(data, named, reason)]:
        _note(before, data, path, reason)
        _record(before, data, path)
    for path in replaced:
        _record(before, data, path, note=_REPLACED_NOTE)
    named |= {p: p for p in replaced}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        loc, _related, msg = first_problem(exc)
        blamed = [key for path, key in named.items() if covers(path, loc) or covers(loc, path)]
        raise ScenarioError(reason, blamed[0] if blamed else loc or "(top level)", msg) from None


def parse_set_value(text: str) -> Any:
    """Read the right-hand side of ``--set path=value`` as a TOML value, else a string.

    So ``false`` is a boolean, ``60000`` a number, ``2025-07-01`` a date, and
    ``release`` (not TOML) the string it reads as; ``no`` or ``"41500"`` stay
    strings, which a boolean or number field then refuses. Raises ValueError
    for a number too long to read (Python's limit on integer digits).
    """
    try:
        doc = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ValueError("the value nests arrays or tables too deep") from None
    except ValueError:
        digits = sum(c.isdigit() for c in text)
        raise ValueError(
            f"a number with {digits:,} digits is beyond any parameter's bound"
        ) from None
    # "1\nx = 2" is a TOML document, not a value: read it as the text it is.
    return doc["v"] if list(doc) == ["v"] else text


# ----------------------------------------------------------------- reading the keys


def _target(scenario: Scenario, key: Any, reason: str) -> _Target:
    if not isinstance(key, str):
        raise ScenarioError(reason, show(key), "a path is text, e.g. 'detention.beds'")
    path, sep, date_text = (part.strip() for part in key.partition(DATED))
    when = None
    if sep:
        try:
            when = _DATE.validate_python(date_text)
        except ValidationError as exc:
            raise ScenarioError(reason, key, f"after '{DATED}': {first_problem(exc)[2]}") from None
    node: Any = scenario
    holder: Any = None
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, BaseModel) and not isinstance(node, Param):
            fields = type(node).model_fields
            if i == 0 and part in RECORDED:
                raise ScenarioError(reason, key, "is recorded by atlarge, not a value to set")
            if part not in fields:
                _no_such_path(scenario, path, key, reason)
            holder = fields[part].annotation
            node = getattr(node, part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            _no_such_path(scenario, path, key, reason)
        if node is None and (i < len(parts) - 1 or _holds_param_or_section(holder)):
            _left_out(".".join(parts[: i + 1]), holder, key, reason)
    if isinstance(node, BaseModel | dict) and not isinstance(node, Param):
        raise ScenarioError(reason, key, "is a section, not a value; name a field in it")
    is_param = isinstance(node, Param)
    if when is not None and not is_param:
        raise ScenarioError(
            reason, key, "only a parameter can change from a date; set this setting without @DATE"
        )
    return _Target(key, path, when, is_param)


def _left_out(path: str, annotation: Any, key: str, reason: str) -> NoReturn:
    """Refuse a change below ``path``, which the scenario leaves out: a change sets values,
    it does not add a parameter (it needs its unit and source) or a section (it needs all
    of its parameters)."""
    if mentions_param(annotation):
        what = "a parameter needs its unit and source, so add it"
    else:
        what = (
            f"a change sets values, not whole sections: add [{path}], each of its parameters "
            "with its unit and source,"
        )
    raise ScenarioError(
        reason,
        key,
        f"{path} is not in this scenario; {what} in a scenario file (one that extends this one)",
    )


def _holds_param_or_section(annotation: Any) -> bool:
    """Whether a field holds a parameter or a section: then None means 'not in the scenario'
    (an agency not deployed), where for a setting None is a value (all offices)."""
    if annotation is None:
        return False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    inner = get_args(annotation)
    return mentions_param(annotation) or any(_holds_param_or_section(a) for a in inner)


def _paths(obj: Any, prefix: str) -> Iterator[str]:
    """Every path a change can name below ``obj``: each parameter and setting, in order."""
    if isinstance(obj, Param) or not isinstance(obj, BaseModel | dict):
        yield prefix
        return
    if isinstance(obj, dict):
        items = list(obj.items())
    else:
        fields = type(obj).model_fields
        items = [(k, getattr(obj, k)) for k in fields if prefix or k not in RECORDED]
        items = [
            (k, v)
            for k, v in items
            if v is not None or not _holds_param_or_section(fields[k].annotation)
        ]
    for key, value in items:
        yield from _paths(value, f"{prefix}.{key}" if prefix else str(key))


def _no_such_path(scenario: Scenario, path: str, key: str, reason: str) -> NoReturn:
    close = difflib.get_close_matches(path, list(_paths(scenario, "")), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(reason, key, f"no such parameter in the scenario{hint}")


def _read(raw: Any, key: str, reason: str) -> Any:
    try:
        return parse_set_value(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ScenarioError(reason, key, str(exc)) from None


def _number(value: Any, key: str, reason: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(reason, key, f"expects a number, got {show(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range: far past every bound
        raise ScenarioError(reason, key, f"{show(value)} is beyond any bound") from None
    if not math.isfinite(number):
        raise ScenarioError(reason, key, f"value {fmt_number(number)} is not a finite number")
    return number


# ----------------------------------------------------------------- two forms of one quantity

_REPLACED_NOTE = (
    "transport.seats_per_day was set on a scenario that gives removal capacity as flights "
    "(and land removals): the total replaced the breakdown"
)


@dataclass(frozen=True)
class _Form:
    """A change to the form of a quantity the scenario does not have: set ``path`` (of
    ``unit``), clear the ``dropped`` paths of the form the scenario has."""

    path: str
    unit: str
    dropped: tuple[str, ...]


def _other_form(scenario: Scenario, key: Any, reason: str) -> _Form | None:
    """The form change ``key`` asks for, when it names the total of a quantity the scenario
    gives as a breakdown; refuses a part of a breakdown the scenario gives as a total."""
    if not isinstance(key, str):
        return None
    path, sep, _ = (part.strip() for part in key.partition(DATED))
    section, _, field = path.partition(".")
    forms = ALTERNATIVE_FORMS.get(section)
    if forms is None or field not in (*forms[0], *forms[1]):
        return None
    node = getattr(scenario, section)
    total, parts = forms
    if getattr(node, field) is not None:
        return None  # the scenario has this form: an ordinary change
    if field in parts:
        if all(getattr(node, f) is None for f in total):
            return None  # a breakdown without this optional part: the usual message
        given = " and ".join(f"{section}.{f}" for f in total)
        raise ScenarioError(
            reason,
            key,
            f"{path} is not in this scenario, which gives the total {given}: set {given} "
            f"instead, or give the breakdown ({', '.join(parts)}, each with its unit and "
            "source) in a scenario file that extends this one",
        )
    if sep:
        raise ScenarioError(
            reason,
            key,
            f"{path} is not in this scenario (it gives {', '.join(parts)}); set "
            f"{path} without @DATE to replace that breakdown with a constant total, or set a "
            "part of the breakdown from a date",
        )
    dropped = tuple(f"{section}.{f}" for f in parts if getattr(node, f) is not None)
    return _Form(path, "seats/day", dropped)


def _replace_form(
    data: dict[str, Any], form: _Form, key: str, value: Any, reason: str
) -> list[str]:
    """Apply ``form`` to ``data``; the paths it changed."""
    number = _number(value, key, reason)
    shown = " + ".join(f"{p.rsplit('.', 1)[1]} {_shown(_get(data, p))}" for p in form.dropped)
    parent, last = _parent(data, form.path)
    parent[last] = {
        "value": number,
        "unit": form.unit,
        "source": {"note": f"set by {reason} (replaced the breakdown: {shown})"},
        "assumption": False,
        "rationale": None,
        "range": None,
        "distribution": None,
        "schedule": None,
        "fitted": None,
    }
    for p in form.dropped:
        holder, name = _parent(data, p)
        holder[name] = None
    return [form.path, *form.dropped]


# ----------------------------------------------------------------- applying the rules


def _parent(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *head, last = path.split(".")
    for part in head:
        data = data[part]
    return data, last


def _get(data: dict[str, Any], path: str) -> Any:
    parent, last = _parent(data, path)
    return parent[last]


def _fill_shares(data: dict[str, Any], named: Mapping[str, str], reason: str) -> list[str]:
    """Make each share group a change touched sum to one again; the paths it scaled."""
    scaled: list[str] = []
    for section, field, paths in share_group_paths(data):
        mine = [p for p in named if p in paths]  # in the order the change names them
        if not mine:
            continue
        tables = {p: _get(data, p) for p in paths}
        total = sum(t["value"] for t in tables.values())
        if abs(total - 1.0) <= SHARE_TOLERANCE or any(
            not 0.0 <= tables[p]["value"] <= 1.0 for p in mine
        ):
            continue  # nothing to do, or a share no group can hold: validation names its bound
        others = [p for p in paths if p not in named] or paths  # all named: scale them all
        fixed = sum(tables[p]["value"] for p in paths if p not in others)
        room = 1.0 - fixed
        spread = sum(tables[p]["value"] for p in others)
        if room < -SHARE_TOLERANCE or spread <= 0.0:
            listing = ", ".join(f"{p}={fmt_number(tables[p]['value'])}" for p in mine)
            if room < -SHARE_TOLERANCE:
                why = f"sum to {fmt_number(fixed)}, above 1"
            elif others == paths:
                why = "are all 0"
            else:
                why = f"leave {fmt_number(room)} to the other shares, which are all 0"
            raise ScenarioError(
                reason,
                named[mine[0]],
                f"the {field} values of {section} must sum to 1, and {listing} {why}",
            )
        for p in others:
            tables[p]["value"] = tables[p]["value"] * max(room, 0.0) / spread
        scaled += [p for p in others if p not in named]
    return scaled


def _note(before: dict[str, Any], data: dict[str, Any], path: str, reason: str) -> None:
    """Source and range of a parameter whose values changed (see the module docstring)."""
    old, new = _get(before, path), _get(data, path)
    if not isinstance(old, dict) or _values(old) == _values(new):
        return
    values = [new["value"], *(new["schedule"] or {}).values()]
    rng = new["range"]
    if rng is not None and not all(rng[0] <= v <= rng[1] for v in values):
        if new["assumption"]:
            new["range"] = (min(rng[0], *values), max(rng[1], *values))
        else:
            new["range"] = new["distribution"] = None
    kind = "" if old["source"] else ", an assumption"
    new["source"] = {"note": f"set by {reason} (was {_shown(old)}{kind})", "was": old["source"]}


def _values(param: dict[str, Any]) -> tuple[float, dict[dt.date, float] | None]:
    return param["value"], param["schedule"] or None


def _shown(param: dict[str, Any]) -> str:
    steps = [fmt_number(param["value"])]
    steps += [f"{fmt_number(v)} from {d}" for d, v in sorted((param["schedule"] or {}).items())]
    return ", then ".join(steps)


def _record(
    before: dict[str, Any], data: dict[str, Any], path: str, note: str | None = None
) -> None:
    """Keep ``data['overrides'][path]`` saying how the value as run differs from the file
    (a parameter that is not there, on either side, has the value None)."""
    records = data["overrides"]
    old, new = _get(before, path), _get(data, path)
    if path in records:
        file = records[path]["file_value"], records[path]["file_schedule"]
        note = note or records[path].get("note")
    else:
        file = _values(old) if isinstance(old, dict) else (old, None)
    run = _values(new) if isinstance(new, dict) else (new, None)
    if _same(run, file):
        records.pop(path, None)
        return
    records[path] = {
        "value": run[0],
        "schedule": run[1],
        "file_value": file[0],
        "file_schedule": file[1],
    }
    if note:
        records[path]["note"] = note


def _same(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return type(a[0]) is type(b[0]) and a == b


__all__ = ["DATED", "parse_set_value", "with_values"]
