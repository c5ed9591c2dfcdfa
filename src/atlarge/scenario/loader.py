"""Turn scenario files into a validated :class:`Scenario`.

Steps: read TOML, follow ``extends`` (a path relative to the extending file)
down to the root, merge from the root up, apply ``--set`` overrides, then
validate the whole with pydantic. Errors become :class:`ScenarioError`, which
names the file that supplied the offending key, its field path and the
problem.

Merge rule: sections merge key by key, but a parameter table (a table with a
``value``) replaces the inherited one whole, so a changed value never keeps a
source that was written for another value.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from atlarge.errors import ScenarioError
from atlarge.scenario.schema import FieldPathError, Scenario

SET_ORIGIN = "command line (--set)"


def load_scenario(
    path: str | Path,
    set: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load, resolve and validate the scenario at ``path``, with optional overrides."""
    data, origins = _resolve(Path(path), chain=())
    chain = data.pop("extends", [])
    if "overrides" in data:
        where = _origin_of("overrides", origins, Path(path))
        raise ScenarioError(where, "overrides", "is recorded by atlarge (--set), not a file key")
    if set:
        changed = apply_overrides(data, origins, set)
        data = {**changed, "overrides": _override_notes(data, changed, set)}
    return _validate({**data, "extends": chain}, origins, Path(path))


def _override_notes(
    before: dict[str, Any], after: dict[str, Any], overrides: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """For each overridden path: the value as run, and the value (and schedule) in the file."""
    notes = {}
    for path in overrides:
        old, new = before, after
        for key in path.split("."):
            old, new = old[key], new[key]
        if _is_param_table(old):
            note = {"value": new["value"], "file_value": old["value"]}
            notes[path] = {**note, "file_schedule": old.get("schedule")}
        else:
            notes[path] = {"value": new, "file_value": old}
    return notes


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(path, "", "is a folder, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "is not a text (UTF-8) file, so not TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", f"is not valid TOML: {exc}") from None


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, Path]]:
    """Read ``path`` and everything it extends; return merged data and key origins."""
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(path, "extends", f"extends cycle: {cycle}")
    data = _read_toml(path)
    base_name = data.pop("extends", None)
    origins = {key: path for key in _leaf_paths(data)}
    if base_name is None:
        return data, origins
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError(path, "extends", "must be a file name (a string)")
    base_path = path.parent / base_name
    if not base_path.exists():
        raise ScenarioError(path, "extends", f"names '{base_name}', which does not exist")
    base, base_origins = _resolve(base_path, (*chain, resolved))
    merged = _merge(base, data)
    merged["extends"] = [base_name, *base.get("extends", [])]  # the chain, nearest first
    base_origins = {
        k: v for k, v in base_origins.items() if not any(_covers(o, k) for o in origins)
    }
    return merged, {**base_origins, **origins}


def _is_param_table(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if (
            isinstance(value, dict)
            and not _is_param_table(value)
            and isinstance(out.get(key), dict)
            and not _is_param_table(out[key])
        ):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaf_paths(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every parameter table and plain value in ``data``."""
    out: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not _is_param_table(value):
            out += _leaf_paths(value, path + ".") or [path]
        else:
            out.append(path)
    return out


def _covers(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _origin_of(loc: str, origins: Mapping[str, Path | str], default: Path) -> Path | str:
    """The file that supplied the value at ``loc``.

    A key at or above ``loc`` decides; for an error about a whole section, the
    most derived file that set anything in it (later entries are more derived).
    """
    for key, origin in origins.items():
        if _covers(key, loc):
            return origin
    below = [origin for key, origin in origins.items() if _covers(loc, key)]
    return below[-1] if below else default


def parse_set_value(text: str) -> Any:
    """Read the right-hand side of ``--set path=value`` as a TOML value, else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    data: dict[str, Any], origins: dict[str, Path | str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply ``--set``-style overrides to raw scenario data.

    Setting a parameter replaces its value and keeps its unit; a time-varying
    parameter becomes constant. A range that no longer contains the new value
    is dropped, except for an assumption, whose range (which it must have) is
    widened to include it. The source records the override and the old value.
    """
    out = copy.deepcopy(data)
    for path, raw in overrides.items():
        value = parse_set_value(raw) if isinstance(raw, str) else raw
        keys = path.split(".")
        node: Any = out
        for key in keys[:-1]:
            if not isinstance(node, dict) or key not in node or _is_param_table(node):
                _no_such_path(path, out)
            node = node[key]
        last = keys[-1]
        if not isinstance(node, dict) or last not in node or _is_param_table(node):
            _no_such_path(path, out)
        current = node[last]
        if _is_param_table(current):
            node[last] = _override_param(path, current, value)
        elif isinstance(current, dict):
            raise ScenarioError(SET_ORIGIN, path, "is a section, not a value; name a field in it")
        else:
            node[last] = value
        origins[path] = SET_ORIGIN
    return out


def _override_param(path: str, param: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(SET_ORIGIN, path, f"expects a number, got {value!r}")
    new = dict(param)
    new["value"] = float(value)
    new.pop("schedule", None)
    rng = new.get("range")
    if rng is not None and not rng[0] <= value <= rng[1]:
        new.pop("range")
        new.pop("distribution", None)
        if new.get("assumption"):
            new["range"] = [min(rng[0], value), max(rng[1], value)]
    was = param.get("value")
    new["source"] = f"set as an override (was {was}: {param.get('source') or 'assumption'})"
    return new


def _no_such_path(path: str, data: dict[str, Any]) -> None:
    known = _leaf_paths(data)
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(SET_ORIGIN, path, f"no such parameter in the scenario{hint}")


def _validate(data: dict[str, Any], origins: dict[str, Path | str], path: Path) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldPathError):
            loc = cause.path
        msg = _friendly(err)
        extra = len(exc.errors()) - 1
        if extra:
            msg += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        raise ScenarioError(_origin_of(loc, origins, path), loc or "(top level)", msg) from None


def _friendly(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required field"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if "input" in err and kind not in ("value_error",):
        shown = repr(err["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg += f" (got {shown})"
    return msg


def scenario_sha256(scenario: Scenario) -> str:
    """Hash of the resolved scenario: comments and layout do not count, values do (not the
    record of overrides or of the files extended: the values they led to decide)."""
    values = scenario.model_dump(mode="json", exclude={"overrides", "extends"})
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def iter_params(obj: Any, prefix: str = ""):
    """Yield ``(path, Param)`` for every parameter in a scenario, in schema order."""
    from atlarge.scenario.params import Param

    if isinstance(obj, Param):
        yield prefix, obj
        return
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, BaseModel):
        items = ((k, getattr(obj, k)) for k in type(obj).model_fields)
    else:
        return
    for key, value in items:
        yield from iter_params(value, f"{prefix}.{key}" if prefix else str(key))
