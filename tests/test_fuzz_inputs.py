"""Fuzz the doors scenarios come in by: files and ``--set`` values (issue 10, "Done when").

Scenario files are shipped scenarios with random tables and fields mutated
(values of every TOML type, huge, negative, nan/inf, wrong units, missing and
unknown keys), written either whole or as a file that extends the shipped one;
``--set`` items take random existing and made-up paths and random value texts.
Each goes through the real CLI entry point in-process. Whatever the input:
exit 0 or 2 only, no traceback and no "internal error"; an exit 2 is one line
that names the file (or ``--set``) and a field path; an exit 0 scenario has
every parameter within its field's spec; a fraction also run (3 days, 2
replications) give a complete, non-negative result.

Also a property of origin attribution: in any chain of files and overrides,
an error at any leaf blames the file (or ``--set``) that supplied that leaf.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from atlarge.scenario import load_scenario
from atlarge.scenario.loader import _is_param_table, _leaf_paths, _origin_of, _resolve
from atlarge.scenario.params import MAX_HORIZON_DAYS, iter_param_specs
from tests.conftest import SCENARIOS, copy_scenarios

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.toml"))
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RUN_EVERY = 5  # every fifth valid input is also run (a run writes a report: ~1 s)


# ------------------------------------------------------------------ TOML writing


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.date):  # dates and local date-times
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _key(k: Any) -> str:
    return json.dumps(str(k), ensure_ascii=False)


def toml_dump(data: dict[str, Any]) -> str:
    """Every top-level key on its own line; tables inline (valid TOML, any nesting)."""
    return "".join(f"{_key(k)} = {toml_value(v)}\n" for k, v in data.items())


# ------------------------------------------------------------------ what we mutate

_RAW = {name: _resolve(SCENARIOS / name, ())[0] for name in SHIPPED}
_LOADED = {name: load_scenario(SCENARIOS / name) for name in SHIPPED}
_SPECS = {name: {p: s for p, _, s in iter_param_specs(sc)} for name, sc in _LOADED.items()}
UNITS = sorted({s.unit for specs in _SPECS.values() for s in specs.values() if s.unit})
LEAVES = sorted({p for raw in _RAW.values() for p in _leaf_paths(raw)})
SECTIONS = sorted({p.rsplit(".", 1)[0] for p in LEAVES if "." in p})
PARAM_FIELDS = ["value", "unit", "source", "range", "schedule", "assumption", "rationale",
                "distribution", "fitted", "bogus"]  # fmt: skip

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
scalars = st.one_of(
    st.integers(-(10**6), 10**7),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 10**19, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e19, 1e308, -1e308, 5e-324, -0.0, 0.5, 1.0]),
    st.booleans(),
    texts,
    st.sampled_from(["41500", "no", "false", "release", "transfer", "2025-06-01", ""]),
    st.dates(),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(texts, scalars, max_size=2),
)
iso_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)).map(
    dt.date.isoformat
)


def _field_value(field: str, spec_le: float | None):
    """Values for one field of a parameter table: mostly of its kind, sometimes anything."""
    kind = {
        "value": st.one_of(
            st.floats(0, 1e3),
            st.sampled_from([0.5, 1.0, 1.0000001, 2.0, 10.0]).map(lambda k: k * (spec_le or 1)),
        ),
        "unit": st.sampled_from([*UNITS, "furlongs", ""]),
        "range": st.lists(st.one_of(st.floats(-10, 1e8), scalars), min_size=2, max_size=2),
        "schedule": st.dictionaries(st.one_of(iso_dates, texts), st.floats(0, 1e5), max_size=3),
        "distribution": st.sampled_from(["uniform", "triangular", "normal"]),
    }.get(field)
    return st.one_of(kind, values) if kind is not None else values


def _plausible_value(name: str, path: str):
    """A number a user might write: within the spec, and within the range if there is one."""
    p = _LOADED[name].model_dump()  # as loaded: defaults (office weights) included
    for key in path.split("."):
        p = p[key]
    spec = _SPECS[name][path]
    lo, hi = p.get("range") or (spec.ge or spec.gt or 0.0, min(spec.le, 3 * abs(p["value"]) + 1))
    if math.ceil(lo) > math.floor(hi):
        return st.floats(lo, hi)
    return st.one_of(st.floats(lo, hi), st.integers(math.ceil(lo), math.floor(hi)))


PLAUSIBLE = {
    "regime.enabled": st.booleans(),
    "regime.ranking": st.sampled_from(["absolute", "share_of_target"]),
    "detention.overflow": st.sampled_from(["transfer", "release"]),
    "days": st.integers(1, MAX_HORIZON_DAYS),
    "name": texts.filter(str.strip),
    "start_date": st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
}


@st.composite
def mutations(draw, name: str):
    """One edit of the raw data of shipped scenario ``name``: (kind, path, value)."""
    raw = _RAW[name]
    kinds = ["plausible"] * 4 + ["leaf", "field", "field", "delete", "unknown"]
    kind = draw(st.sampled_from(kinds))
    if kind == "plausible":  # edits a user might make; most still validate
        if draw(st.booleans()):
            path = draw(st.sampled_from(sorted(PLAUSIBLE)))
            return "leaf", path, draw(PLAUSIBLE[path])
        path = draw(st.sampled_from(sorted(_SPECS[name])))
        return "field", f"{path}.value", draw(_plausible_value(name, path))
    if kind == "leaf":
        return kind, draw(st.sampled_from(LEAVES)), draw(values)
    if kind == "field":
        path = draw(st.sampled_from(sorted(_SPECS[name])))
        field = draw(st.sampled_from(PARAM_FIELDS))
        spec = _SPECS[name][path]
        return kind, f"{path}.{field}", draw(_field_value(field, spec.le if spec else None))
    if kind == "delete":
        candidates = [*_leaf_paths(raw), *SECTIONS, *(f"{p}.{f}" for p in _SPECS[name] for f in
                                                     ("value", "unit", "source", "range"))]
        return kind, draw(st.sampled_from(candidates)), None
    section = draw(st.sampled_from(["", *SECTIONS]))
    key = draw(st.sampled_from(["bedz", "extra", "value", "unit"]))
    return kind, f"{section}.{key}".lstrip("."), draw(values)


def _apply(data: dict[str, Any], kind: str, path: str, value: Any) -> None:
    keys = path.split(".")
    node: Any = data
    for key in keys[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(key, {}) if kind != "delete" else node.get(key)
    if not isinstance(node, dict):
        return
    if kind == "delete":
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


def _touched_leaf(raw: dict[str, Any], path: str) -> str:
    """The parameter table or plain value that ``path`` lies in (or ``path`` itself)."""
    keys = path.split(".")
    node: Any = raw
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            return ".".join(keys[: i + 1])
        node = node[key]
        if _is_param_table(node) or not isinstance(node, dict):
            return ".".join(keys[: i + 1])
    return path


def _subtree(data: dict[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _nest(out: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    node = out
    for key in keys[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict) or _is_param_table(nxt):
            nxt = node[key] = {}
        node = nxt
    node[keys[-1]] = value


@st.composite
def scenario_files(draw):
    """(file text, shipped scenario it came from, whether it extends it)."""
    name = draw(st.sampled_from(SHIPPED))
    edits = draw(st.lists(mutations(name), min_size=1, max_size=3))
    data = copy.deepcopy(_RAW[name])
    for kind, path, value in edits:
        _apply(data, kind, path, value)
    if draw(st.booleans()):  # the whole scenario, written out
        text = toml_dump(data)
        if draw(st.integers(0, 9)) == 0:  # now and then, cut short
            text = text[: draw(st.integers(0, len(text)))]
        return text, name, False
    child: dict[str, Any] = {}
    for _kind, path, _value in edits:  # a file that extends it, with the edited tables only
        leaf = _touched_leaf(_RAW[name], path)
        found, sub = _subtree(data, leaf)
        if found:
            _nest(child, leaf, sub)
    return f'extends = "{name}"\n' + toml_dump(child), name, True


# ------------------------------------------------------------------ the checks

_counter = itertools.count()
_valid = itertools.count(1)


def _check_exit(res, *, names: tuple[str, ...]) -> None:
    text = res.out + res.err
    event(f"exit {res.code}")
    assert res.code in (0, 2), (res.code, text[-2000:])
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    if res.code == 2:
        err = res.err.strip()
        assert err.startswith("error: ") and "\n" not in err, err
        assert any(n in err for n in names), (names, err)


def _check_bounds(sc) -> None:
    assert 1 <= sc.days <= MAX_HORIZON_DAYS
    for path, p, spec in iter_param_specs(sc):
        assert spec is not None, path
        assert spec.unit is None or p.unit == spec.unit, path
        for v in [p.value, *(p.schedule or {}).values(), *(p.range or ())]:
            assert math.isfinite(v) and v <= spec.le, (path, v, spec)
            assert (spec.ge is None or v >= spec.ge) and (spec.gt is None or v > spec.gt), path


def _check_run(cli, args: list[str], out: Path) -> None:
    res = cli("run", *args, "--days", "3", "--reps", "2", "--workers", "1", "--quiet", "--out", out)
    _check_exit(res, names=())
    # What validates, runs: a tiny run of a valid scenario has nothing left to refuse.
    assert res.code == 0, res.err
    event(f"run exit {res.code}")
    if res.code == 0:
        summary = json.loads((out / "summary.json").read_text())
        assert summary["days"] == 3 and summary["reps"] == 2
        for key in ("arrests_total", "peak_detention", "removals_total", "releases_total"):
            assert summary["kpis"][key]["p5"] >= 0, key


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    copy_scenarios(folder)
    return folder


@FUZZ
@given(case=scenario_files())
def test_fuzzed_scenario_files_exit_0_or_2_and_stay_in_bounds(cli, shipped_dir, case):
    text, name, extends = case
    path = shipped_dir / f"fuzz-{next(_counter)}.toml"
    path.write_text(text, encoding="utf-8")
    res = cli("validate", path)
    # A file extending a valid one is wrong only by what it wrote: it, not its parent, is named.
    _check_exit(res, names=(path.name,) if extends else (path.name, name))
    if res.code == 0:
        _check_bounds(load_scenario(path))
        if next(_valid) % RUN_EVERY == 0:
            _check_run(cli, [str(path)], shipped_dir / f"out-{path.stem}")


set_paths = st.one_of(
    st.sampled_from(LEAVES),
    st.sampled_from(SECTIONS),
    st.sampled_from(LEAVES).map(lambda p: p + ".value"),
    st.sampled_from(["detention.bedz", "regime", "nope", "groups.x.initial_pool", "extends"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="="), min_size=1,
            max_size=15),
)  # fmt: skip
@st.composite
def plausible_sets(draw):
    """A ``--set`` a user might type, as (path, text); most are accepted."""
    name = draw(st.sampled_from(SHIPPED))
    if draw(st.booleans()):
        path = draw(st.sampled_from(sorted(PLAUSIBLE)))
        return path, toml_value(draw(PLAUSIBLE[path])).strip('"')
    path = draw(st.sampled_from(sorted(_SPECS[name])))
    return path, repr(draw(_plausible_value(name, path)))


set_texts = st.one_of(
    st.sampled_from(["true", "false", "no", "yes", "1e19", "1e308", "-1", "nan", "inf", "-inf",
                     '"41500"', "41500", "2025-01-01", "2025-01-01T00:00:00", "[1, 2]", "{a = 1}",
                     "release", "transfer", "hold", "0x10", "1_000", "3650", "3651", "0.5",
                     "1" + "0" * 5000, "[" * 3000, "1\nx = 2"]),
    st.floats(allow_nan=False).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    texts.filter(lambda t: t.strip()),
)  # fmt: skip


@FUZZ
@given(
    name=st.sampled_from(SHIPPED),
    sets=st.lists(st.one_of(plausible_sets(), st.tuples(set_paths, set_texts)), max_size=3),
)
def test_fuzzed_set_values_exit_0_or_2_and_stay_in_bounds(cli, shipped_dir, name, sets):
    items = [f"--set={path}={value}" for path, value in sets]
    path = shipped_dir / name
    res = cli("validate", path, *items)
    # The shipped file is valid: any problem is the overrides', so the error names --set.
    _check_exit(res, names=("--set",))
    if res.code == 0:
        parsed = {p.strip(): v.strip() for p, v in sets}
        _check_bounds(load_scenario(path, set=parsed))
        if next(_valid) % RUN_EVERY == 0:
            _check_run(cli, [str(path), *items], shipped_dir / f"out-set-{next(_counter)}")


# ------------------------------------------------------------------ origins, as a property

keys = st.sampled_from(["a", "b", "c"])


def _tree(tag: str, depth: int = 3):
    leaf = st.one_of(st.just(tag), st.just({"value": tag}), st.just({"value": tag, "unit": tag}))
    if depth == 0:
        return leaf
    return st.one_of(leaf, st.dictionaries(keys, st.deferred(lambda: _tree(tag, depth - 1)),
                                           max_size=3))  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    files=st.tuples(*(st.dictionaries(keys, _tree(t), max_size=3) for t in ("f0", "f1", "f2"))),
)
def test_every_leaf_is_blamed_on_the_file_that_supplied_it(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("origins")
    for i, data in enumerate(files):  # f2 extends f1 extends f0
        head = f'extends = "f{i - 1}.toml"\n' if i else ""
        (folder / f"f{i}.toml").write_text(head + toml_dump(data))
    merged, origins = _resolve(folder / "f2.toml", ())
    merged.pop("extends")  # the chain the loader records, not a leaf of any file
    leaves = [p for p in _leaf_paths(merged) if _subtree(merged, p)[1] != {}]
    for leaf in leaves:
        _, node = _subtree(merged, leaf)
        truth = node["value"] if isinstance(node, dict) else node
        for loc in (leaf, f"{leaf}.value", f"{leaf}.unit"):
            got = _origin_of(loc, origins, Path("default"))
            assert Path(got).stem == truth, (loc, files, origins)
