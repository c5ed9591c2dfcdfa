"""The scenario reference page, generated from the schema and the shipped scenarios.

Two sources, both the code's own: the pydantic models of :mod:`atlarge.scenario.schema`
(every field: its path, whether it is a parameter or a setting, unit and bounds from its
``ParamSpec``, allowed values, the field's description) and the scenario files in
``scenarios/`` (every parameter's value as each shipped scenario has it, with its source
or its assumption, through :func:`~atlarge.scenario.iter_params`). A field added to the
schema appears on the page without a change here; ``tests/test_docs.py`` checks that every
path does.
"""

from __future__ import annotations

import datetime as dt
import math
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from atlarge.analysis.summary import RECORD_FIELDS
from atlarge.cli import FLAGS
from atlarge.docs_gen.markdown import anchor, cell, code, table, text
from atlarge.docs_gen.meanings import meaning_of
from atlarge.report.format import param_value
from atlarge.scenario import iter_params, load_scenario
from atlarge.scenario.params import Param, ParamSpec, fmt_number, spec_in
from atlarge.scenario.schema import Scenario
from atlarge.scenario.sources import format_source

KEY_NAMES: dict[str, str] = {
    "groups": "group",
    "dispositions": "path",
    "group_mix": "group",
    "priority": "group",
    "population": "office",
    "lines": "line",
    "kinds": "kind",
    "reported": "figure",
    "home_missions": "agency",
    "draws": "parameter",
}
"""What the key of each table of the schema stands for, as the page writes it
(``groups.<group>.initial_pool``); any other table's key is ``<key>``."""
NESTED_KEYS: dict[str, tuple[str, ...]] = {"home_missions": ("agency", "measure")}
"""Tables of tables: ``home_missions.<agency>.<measure>``."""


NO_DESCRIPTION = "not described in the schema yet."
NO_DESCRIPTION_PARAM = (
    "not described in the schema yet: the sources of the shipped values below say what "
    "they measure."
)


INTRO = (
    "Generated from the scenario schema (`src/atlarge/scenario/`) and the scenarios in "
    "`scenarios/` each time the site is built: every path a scenario file, `{set}`, a "
    "sweep or the API can name, with its unit, its bounds or allowed values and what it "
    "means, then the value each shipped scenario gives it and where that value comes "
    "from. A **parameter** is a number from the world (value, unit, and a source or an "
    "assumption with a range); a **setting** is a switch, a choice, a date or text. "
    "`<group>` and the like stand for a key the scenario chooses.\n"
)


@dataclass
class Entry:
    """One field of the schema, as the reference lists it."""

    path: str  # with placeholders: groups.<group>.initial_pool
    kind: Literal["parameter", "setting", "section"]
    description: str | None
    optional: bool
    spec: ParamSpec | None = None
    allowed: str = ""  # settings: the values the schema accepts
    default: Any = None
    concrete: list[str] = field(default_factory=list)  # paths in the shipped scenarios


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (it, False)."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return annotation, False


def _bare(annotation: Any) -> Any:
    """The type under ``Annotated``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _holds_param(annotation: Any) -> bool:
    return _bare(annotation) is Param


def _allowed(annotation: Any, info: FieldInfo | None) -> str:
    """What a setting accepts, in words: choices, a flag, a whole number within bounds."""
    bare = _bare(annotation)
    if get_origin(bare) is Literal:
        return "one of " + ", ".join(
            code(repr(v) if isinstance(v, str) else v) for v in get_args(bare)
        )
    if bare is bool:
        return "true or false"
    if bare is dt.date:
        return "a date (YYYY-MM-DD)"
    if bare is str:
        return "text"
    if get_origin(bare) is list:
        inner = get_args(bare)[0] if get_args(bare) else str
        if get_origin(_bare(inner)) is Literal:
            return "a list, each " + _allowed(inner, None)
        return "a list of " + ("numbers" if _bare(inner) is float else "text")
    if bare is int:
        lo = hi = None
        for m in [*(info.metadata if info else ()), *get_args(annotation)[1:]]:
            lo = getattr(m, "ge", lo)
            hi = getattr(m, "le", hi)
        if lo is not None and hi is not None:
            return f"a whole number from {fmt_number(lo)} to {fmt_number(hi)}"
        return "a whole number"
    return text(getattr(bare, "__name__", bare))


def schema_entries(model: type[BaseModel] = Scenario, prefix: str = "") -> Iterator[Entry]:
    """Every field of ``model`` and the models below it, in schema order.

    A section (a model) is an entry too, then its fields; a table (``dict``) of
    sections or parameters gets a placeholder for its key. The records a loaded
    scenario keeps of how it was loaded (``overrides``, ``extends``) are not fields a
    file sets, and are left out.
    """
    for name, info in model.model_fields.items():
        if not prefix and name in RECORD_FIELDS:
            continue
        path = f"{prefix}.{name}" if prefix else name
        yield from _field_entries(path, name, info.annotation, info)


def _field_entries(
    path: str, name: str, annotation: Any, info: FieldInfo | None
) -> Iterator[Entry]:
    inner, optional = _strip_optional(annotation)
    if info is not None and not info.is_required():
        optional = optional or info.default is None
    description = info.description if info is not None else None
    default = None
    if info is not None and not info.is_required() and info.default_factory is None:
        default = info.default
    if _holds_param(inner):
        metadata = tuple(info.metadata) if info is not None else ()
        spec = spec_in(annotation, metadata)
        yield Entry(path, "parameter", description, optional, spec=spec)
        return
    bare = _bare(inner)
    if _is_model(bare):
        yield Entry(path, "section", description or _doc(bare), optional)
        yield from schema_entries(bare, path)
        return
    if get_origin(bare) is dict:
        keys = NESTED_KEYS.get(name, (KEY_NAMES.get(name, "key"),))
        value = get_args(bare)[1]
        for _ in keys[1:]:
            value = get_args(_bare(value))[1]
        table_path = path + "".join(f".<{k}>" for k in keys)
        value_bare = _bare(_strip_optional(value)[0])
        if _is_model(value_bare) and value_bare is not Param:
            yield Entry(path, "section", description or _doc(value_bare), optional)
            yield from schema_entries(value_bare, table_path)
        elif _holds_param(value):
            yield Entry(table_path, "parameter", description, optional, spec=spec_in(value))
        else:
            yield Entry(table_path, "setting", description, optional, allowed=_allowed(value, None))
        return
    yield Entry(
        path, "setting", description, optional, allowed=_allowed(inner, info), default=default
    )


def _doc(model: type[BaseModel]) -> str | None:
    """A section's docstring, first paragraph, as the section's description."""
    doc = model.__doc__ or ""
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split()) or None


def template_of(path: str, templates: list[str]) -> str | None:
    """The schema path (with placeholders) that a concrete path matches."""
    parts = path.split(".")
    for t in templates:
        tparts = t.split(".")
        if len(tparts) == len(parts) and all(
            tp == p or (tp.startswith("<") and tp.endswith(">"))
            for tp, p in zip(tparts, parts, strict=True)
        ):
            return t
    return None


def bounds(spec: ParamSpec | None) -> str:
    """A parameter's bounds in words: '0 to 10,000,000 beds'."""
    if spec is None:
        return "any number"
    unit = f" ({spec.unit})" if spec.unit else ""
    if spec.gt is not None:
        low = f"above {fmt_number(spec.gt)}"
    elif spec.ge is not None:
        low = f"at least {fmt_number(spec.ge)}"
    else:
        low = ""
    high = f"at most {fmt_number(spec.le)}" if math.isfinite(spec.le) else ""
    return ", ".join(filter(None, (low, high))) + unit


@dataclass
class Shipped:
    """A shipped scenario: its file, its name, and its parameters by path."""

    file: str
    name: str
    params: dict[str, Param]


def shipped_scenarios(folder: Path) -> list[Shipped]:
    """Every scenario file in ``folder`` (not its ``funding/`` files, which are not
    scenarios on their own), loaded as ``atlarge run`` loads it."""
    out = []
    for path in sorted(folder.glob("*.toml")):
        sc = load_scenario(path)
        out.append(Shipped(path.name, sc.name, dict(iter_params(sc))))
    return out


def _provenance(p: Param) -> str:
    if p.fitted is not None:
        what = f"fitted ({p.fitted.method}) on {', '.join(p.fitted.fitted_on)}"
        source = format_source(p.source)
        return f"{what}; {source}" if source else what
    if p.assumption:
        return f"assumption, range {fmt_number(p.range[0])}-{fmt_number(p.range[1])}: {p.rationale}"
    return format_source(p.source) or ""


def _value(p: Param) -> str:
    shown = param_value(p.value, p.schedule, p.unit)
    if p.range is not None and not p.assumption:
        shown += f" (range {fmt_number(p.range[0])}-{fmt_number(p.range[1])})"
    return shown


def values_table(paths: list[str], shipped: list[Shipped], template: str = "") -> str:
    """The shipped scenarios' values of ``paths``: scenarios that share a value and its
    provenance (through ``extends``) share a row. The path column is left out when the
    only path is the ``template`` itself (no key to tell apart)."""
    rows = []
    for path in paths:
        groups: dict[tuple[str, str], list[str]] = {}
        for s in shipped:
            p = s.params.get(path)
            if p is not None:
                groups.setdefault((_value(p), _provenance(p)), []).append(s.file)
        for (value, provenance), files in groups.items():
            rows.append([code(path), cell(", ".join(files)), cell(value), cell(provenance)])
    if not rows:
        return "No shipped scenario sets it.\n"
    header = ["Path", "Scenarios", "Value", "Source, assumption or fit"]
    if paths == [template]:
        return table(header[1:], (row[1:] for row in rows))
    return table(header, rows)


def scenario_reference(scenarios_dir: Path) -> str:
    """The whole page: every schema path, then each shipped scenario's values."""
    entries = list(schema_entries())
    shipped = shipped_scenarios(scenarios_dir)
    templates = [e.path for e in entries if e.kind == "parameter"]
    by_template: dict[str, list[str]] = {}
    unmatched = []
    for s in shipped:
        for path in s.params:
            t = template_of(path, templates)
            if t is None:
                unmatched.append(path)
                continue
            if path not in by_template.setdefault(t, []):
                by_template[t].append(path)
    if unmatched:
        raise ValueError(f"parameters of shipped scenarios the schema walk missed: {unmatched}")
    out = [
        "# Scenario reference\n",
        INTRO.format(set=FLAGS["sets"]),
        "Shipped scenarios: "
        + ", ".join(f"{code(s.file)} ({text(s.name)})" for s in shipped)
        + ". A value written *range* is the range parameter draws use; *assumption* marks "
        "a value chosen by the authors, with its rationale.\n",
    ]
    for e in entries:
        depth = e.path.count(".")
        if e.kind == "section":
            level = "##" if depth == 0 else "###"
            out.append(f"{level} {code(e.path)} {{ #{anchor(e.path)} }}\n")
            optional = " Optional: a scenario may leave it out." if e.optional else ""
            out.append(f"{text(e.description or '')}{optional}\n")
            continue
        level = "###" if depth <= 1 else "####"
        out.append(f"{level} {code(e.path)} {{ #{anchor(e.path)} }}\n")
        lines = [f"- **{e.kind.capitalize()}**" + (" (optional)" if e.optional else "")]
        if e.kind == "parameter":
            unit = e.spec.unit if e.spec and e.spec.unit else "as reported"
            lines.append(f"- Unit: {code(unit)}")
            lines.append(f"- Bounds: {text(bounds(e.spec))}")
        else:
            lines.append(f"- Allowed: {e.allowed}")
            if e.default is not None and e.default != "":
                lines.append(f"- Default: {code(e.default)}")
        fallback = NO_DESCRIPTION_PARAM if e.kind == "parameter" else NO_DESCRIPTION
        described = e.description or meaning_of(e.path)
        meaning = text(described) if described else fallback
        lines.append(f"- Meaning: {meaning}")
        out.append("\n".join(lines) + "\n")
        if e.kind == "parameter":
            out.append(values_table(by_template.get(e.path, []), shipped, e.path))
    return "\n".join(out)
