"""Turn scenario files into a validated :class:`Scenario`.

Steps: read TOML, follow ``extends`` (a path relative to the extending file, or a
list of them, merged left to right: an operation, then a funding file) down to the
root, merge from the root up, validate the whole with pydantic,
then apply ``--set`` overrides with ``Scenario.with_values``. Errors become
:class:`ScenarioError`, which names the file that supplied the offending key
(or ``SET_ORIGIN`` for an override), its field path and the problem.

Merge rule: sections merge key by key, but a parameter table (a table with a
``value``) replaces the inherited one whole, so a changed value never keeps a
source that was written for another value. Where a section takes one of two
forms of the same quantity (``schema.ALTERNATIVE_FORMS``: removal capacity as
``transport.seats_per_day`` or as flights), a file that gives one form replaces
the other form it inherits.

Files are read with limits: only regular files of at most ``MAX_FILE_BYTES``,
tables nested at most ``MAX_NESTING`` deep, ``extends`` chains of at most
``MAX_EXTENDS`` files.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from atlarge.errors import ScenarioError
from atlarge.scenario.messages import covers, first_problem
from atlarge.scenario.schema import ALTERNATIVE_FORMS, Scenario

SET_ORIGIN = "an override"
"""Where an override (``set=``) is said to come from; the CLI shows it as its ``--set``."""
MAX_FILE_BYTES = 1 << 20  # 1 MiB: the largest shipped scenario is about 40 KiB
MAX_EXTENDS = 16  # files in an extends chain (the shipped ones use at most 4)
MAX_NESTING = 32  # tables within tables (a scenario needs 5)


def load_scenario(
    path: str | Path,
    set: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load, resolve and validate the scenario at ``path``, then apply the overrides ``set``
    (path or ``PATH@DATE`` -> value; see :mod:`atlarge.scenario.changes`) with the origin
    ``SET_ORIGIN``: the file is checked as written, the overrides as a change to it."""
    data, origins = _resolve(Path(path), chain=())
    chain = data.pop("extends", [])
    if "overrides" in data:
        where = _origin_of("overrides", origins, Path(path))
        raise ScenarioError(where, "overrides", "is recorded by atlarge, not a file key")
    scenario = _validate({**data, "extends": chain}, origins, Path(path))
    return scenario.with_values(set, reason=SET_ORIGIN) if set else scenario


def _read_bytes(path: Path) -> bytes:
    """The file's bytes: a regular file of at most ``MAX_FILE_BYTES``, else ScenarioError.

    Opened non-blocking and checked with fstat before any read, so a FIFO or a
    device (``/dev/zero``) is refused at once instead of read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(path, "", f"cannot be read ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(path, "", "is a folder, not a scenario file")
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                path, "", "is not a regular file (a device, pipe or socket), so not a scenario"
            )
        cap = f"the limit for a scenario file is {MAX_FILE_BYTES / 2**20:g} MiB"
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(path, "", f"is {info.st_size:,} bytes; {cap}")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:  # the file may be longer than fstat said
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise ScenarioError(path, "", f"is larger than {MAX_FILE_BYTES:,} bytes; {cap}")
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot be read ({_reason(exc)})") from None
    finally:
        os.close(fd)


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _read_toml(path: Path) -> dict[str, Any]:
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "is not a text (UTF-8) file, so not TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", f"is not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(path, "", "is not valid TOML: arrays or tables nest too deep") from None
    except ValueError:  # Python's limit on digits in an integer (4300)
        long = re.search(r"[0-9_]{4000,}", text)
        line = f" (line {text.count(chr(10), 0, long.start()) + 1})" if long else ""
        raise ScenarioError(
            path, "", f"holds a number with thousands of digits{line}; no parameter is that large"
        ) from None
    deepest = _nesting(data)
    if deepest > MAX_NESTING:
        raise ScenarioError(path, "", f"nests tables {deepest} deep; at most {MAX_NESTING}")
    return data


def _nesting(data: Any) -> int:
    """How deep tables and arrays nest in ``data`` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        if isinstance(node, dict):
            stack += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
    return deepest


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, Path]]:
    """Read ``path`` and everything it extends; return merged data and key origins."""
    resolved = _real_path(path)
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(path, "extends", f"extends cycle: {cycle}")
    data = _read_toml(path)
    names = data.pop("extends", None)
    origins = {key: path for key in _leaf_paths(data)}
    if names is None:
        return data, origins
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ScenarioError(
            path, "extends", "must be a file name (a string) or a list of file names"
        )
    base, base_origins, names_chain = _merge_bases(path, names, (*chain, resolved))
    merged = _drop_replaced_forms(_merge(base, data), data)
    # The files read, for the record: each base as written, followed by its own chain (with
    # several bases the later one overrides the earlier, so this is not an override order).
    merged["extends"] = names_chain
    leaves = set(_leaf_paths(merged))
    kept = {k: v for k, v in base_origins.items() if k in leaves or k == "extends"}
    return merged, _merge_origins(merged, data, kept, path)


def _merge_bases(
    path: Path, names: list[str], chain: tuple[Path, ...]
) -> tuple[dict[str, Any], dict[str, Path | str], list[str]]:
    """The bases ``names`` of ``path`` merged, their key origins, and the files read."""
    base: dict[str, Any] = {}
    base_origins: dict[str, Path | str] = {}
    names_chain: list[str] = []
    for name in names:
        # Several bases merge left to right (an operation, then a funding file, say), each
        # over the ones before it by the same rule as a file over its base.
        one, one_origins = _base(path, name, chain)
        names_chain += [name, *one.pop("extends", [])]
        if len(chain) + len(names_chain) > MAX_EXTENDS:
            raise ScenarioError(path, "extends", f"chain is longer than {MAX_EXTENDS} files")
        base = _drop_replaced_forms(_merge(base, one), one)
        kept_base = {k: v for k, v in base_origins.items() if not _supplies(one, k)}
        base_origins = {**kept_base, **one_origins}
    return base, base_origins, names_chain


def extends_as_written(path: str | Path) -> list[str] | None:
    """The entries of the ``extends`` of the file at ``path`` as written (a single name as
    a list of one), or None when it extends nothing: what names its parent, where a
    loaded scenario's ``extends`` lists every file read, each base's own chain too."""
    path = Path(path)
    names = _read_toml(path).get("extends")
    if names is None:
        return None
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ScenarioError(
            path, "extends", "must be a file name (a string) or a list of file names"
        )
    return names


def load_base(path: str | Path) -> tuple[list[str], Scenario] | None:
    """What the scenario at ``path`` extends, resolved and validated as a scenario of its
    own: the entries of its ``extends`` (as written) and their merge, or None when it
    extends nothing.

    With several entries the base is all of them merged left to right, exactly as
    :func:`load_scenario` merges them before applying the file's own keys, so a diff
    against it shows what the file itself changes. A base that is not a whole scenario
    on its own raises :class:`ScenarioError` naming the base file that lacks a field.
    """
    path = Path(path)
    names = extends_as_written(path)
    if names is None:
        return None
    base, origins, chain = _merge_bases(path, names, (_real_path(path),))
    if "overrides" in base:
        where = _origin_of("overrides", origins, path)
        raise ScenarioError(where, "overrides", "is recorded by atlarge, not a file key")
    return names, _validate({**base, "extends": chain}, origins, path.parent / names[0])


def _base(
    path: Path, name: str, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], dict[str, Path | str]]:
    """Read the base ``name`` that ``path`` extends (relative to it), and its own bases."""
    base_path = path.parent / name
    if not _exists(base_path):
        raise ScenarioError(path, "extends", f"names '{name}', which does not exist")
    if len(chain) + 1 > MAX_EXTENDS:
        raise ScenarioError(path, "extends", f"chain is longer than {MAX_EXTENDS} files")
    return _resolve(base_path, chain)


def _drop_replaced_forms(merged: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``merged`` without the inherited form of a quantity ``over`` gives in the other form
    (``ALTERNATIVE_FORMS``); a file giving both forms is left for validation to refuse."""
    for section, forms in ALTERNATIVE_FORMS.items():
        mine, into = over.get(section), merged.get(section)
        if not isinstance(mine, dict) or not isinstance(into, dict):
            continue
        given = [any(k in mine for k in form) for form in forms]
        if given.count(True) != 1:
            continue
        for k in forms[given.index(False)]:
            into.pop(k, None)
    return merged


def _real_path(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise ScenarioError(path, "", f"cannot be read ({_reason(exc)})") from None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        return False


def _merge_origins(
    merged: dict[str, Any], over: dict[str, Any], base: dict[str, Path | str], path: Path
) -> dict[str, Path | str]:
    """Origins of ``merged = _merge(base_data, over)``, where ``over`` was read from ``path``.

    Keys are the leaf paths of ``merged`` (parameter tables, plain values,
    empty tables), most derived last: a leaf the extending file supplied (it
    set the leaf or a value or parameter table above it, or replaced an
    inherited parameter table with a partial one) is ``path``'s; any other
    keeps its inherited origin.
    """
    kept = {k: v for k, v in base.items() if not _supplies(over, k)}
    return {**kept, **{k: path for k in _leaf_paths(merged) if _supplies(over, k)}}


def _supplies(data: dict[str, Any], leaf: str) -> bool:
    """Whether ``data`` sets the value at ``leaf`` (or a value or parameter table above it)."""
    node: Any = data
    for key in leaf.split("."):
        if key not in node:
            return False
        node = node[key]
        if not isinstance(node, dict) or _is_param_table(node):
            return True
    return True


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


def _origin_of(
    loc: str, origins: Mapping[str, Path | str], default: Path, related: tuple[str, ...] = ()
) -> Path | str:
    """The file that supplied the value at ``loc``.

    A key at or above ``loc`` decides; for an error about a whole section, the
    most derived file that set anything in it (later entries are more derived).
    With ``related`` fields (a consistency error between fields), the most
    derived file that set any of them: the one that made them disagree.
    """
    order = list(origins.items())
    best = -1
    for where in (loc, *related):
        above = [i for i, (key, _) in enumerate(order) if covers(key, where)]
        below = [i for i, (key, _) in enumerate(order) if covers(where, key)]
        found = above[:1] or below[-1:]
        if found:
            best = max(best, found[0])
    return order[best][1] if best >= 0 else default


def _validate(data: dict[str, Any], origins: dict[str, Path | str], path: Path) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        loc, related, msg = first_problem(exc)
        origin = _origin_of(loc, origins, path, related)
        raise ScenarioError(origin, loc or "(top level)", msg) from None


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
