"""Write an output folder all at once, and never touch a file atlarge did not write.

Files are written into a temporary sibling folder and moved into place only
when all of them are complete, so an existing folder is never left half-written.

Every folder atlarge writes carries a manifest (``.atlarge-manifest.json``)
listing each file it wrote with its size and SHA-256. An existing folder is
replaced only when it is empty, or when everything in it is listed in its
manifest and unchanged since: a user's notes, a ``charts/`` folder, an edited
report or a folder from another program make atlarge refuse, naming those
files. When the old folder is set aside, only the files its manifest lists are
deleted; anything that appeared in it meanwhile is kept where it is, and said.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
import uuid
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from atlarge._version import __version__
from atlarge.errors import AtlargeWarning, OptionError
from atlarge.scenario import Scenario, scenario_sha256

MANIFEST = ".atlarge-manifest.json"
"""The file in every output folder that lists what atlarge wrote there."""

_SHOWN = 5  # foreign files named in an error, at most


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(folder: Path) -> dict[str, dict[str, object]] | None:
    """The files listed in ``folder``'s manifest, or None if it has no readable one."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and "/" not in k and k not in ("", ".", "..") and isinstance(v, dict)
        for k, v in files.items()
    ):
        return None
    return files


def foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that atlarge did not write there, or changed since.

    An entry is foreign when the folder's manifest does not list it, or when
    its size or SHA-256 differ from what the manifest recorded.
    """
    entries = sorted(os.listdir(folder))
    listed = _read_manifest(folder)
    if listed is None:
        return [e for e in entries if e != MANIFEST] or ([MANIFEST] if entries else [])
    out = []
    for name in entries:
        if name == MANIFEST:
            continue
        path = folder / name
        rec = listed.get(name)
        if rec is None or path.is_symlink() or not path.is_file():
            out.append(name + ("/" if path.is_dir() else ""))
        elif path.stat().st_size != rec.get("size") or _sha256(path) != rec.get("sha256"):
            out.append(f"{name} (changed since atlarge wrote it)")
    return out


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def check_out_dir(out: Path | str, parameter: str = "out_dir") -> Path:
    """Check that ``out`` can receive a run; raise :class:`OptionError` (naming
    ``parameter``) if it cannot, before any work is done."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OptionError(parameter, f"'{out}' exists and is a file, not a folder")
    if not out.exists():
        base = _nearest_existing(out.parent if str(out.parent) else Path("."))
        if not base.is_dir():
            raise OptionError(
                parameter, f"'{out}' lies under '{base}', which is a file, not a folder"
            )
        if not os.access(base, os.W_OK | os.X_OK):
            raise OptionError(parameter, f"cannot create folders in '{base}' (no permission)")
        return out
    foreign = foreign_entries(out)
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (
            f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        )
        raise OptionError(
            parameter,
            f"'{out}' holds files atlarge did not write there ({shown}); refusing to replace "
            "it: choose another folder, or move those files",
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OptionError(parameter, f"cannot write in '{parent}' (no permission)")
    return out


def _write_manifest(folder: Path, names: list[str]) -> None:
    files = {}
    for name in names:
        path = folder / name
        files[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    doc = {
        "written_by": f"atlarge {__version__}",
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": "atlarge replaces this folder only while it holds exactly these files, unchanged.",
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _discard(old: Path) -> Path | None:
    """Delete the files ``old``'s manifest lists, then ``old`` if it is empty.

    Returns ``old`` when something not listed was left there (it is kept).
    """
    listed = _read_manifest(old) or {}
    for name in listed:
        path = old / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    manifest = old / MANIFEST
    if manifest.is_file():
        manifest.unlink()
    try:
        old.rmdir()
    except OSError:
        return old
    return None


def write_out_dir(
    out: Path | str,
    writers: Mapping[str, Callable[[Path], None]],
    parameter: str = "out_dir",
) -> Path:
    """Create ``out`` holding one file per ``writers`` entry (name -> write(path)).

    The folder appears complete (with its manifest) or not at all. ``out`` is
    checked again just before it is replaced, since writing can take a while.
    """
    out = check_out_dir(out, parameter)
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it normal permissions
        for name, write in writers.items():
            write(tmp / name)
        _write_manifest(tmp, list(writers))
        check_out_dir(out, parameter)
        if out.exists():
            old = parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            kept = _discard(old)
            if kept is not None:
                warnings.warn(
                    f"files that appeared in '{out}' while the run was written were kept in "
                    f"'{kept}'",
                    AtlargeWarning,
                    stacklevel=2,
                )
        else:
            os.rename(tmp, out)
    except BaseException:
        _discard_tmp(tmp)
        raise
    return out


def _discard_tmp(tmp: Path) -> None:
    """Remove a temporary folder this module created (it holds only our files)."""
    if not tmp.is_dir():
        return
    for entry in tmp.iterdir():
        if entry.is_file() or entry.is_symlink():
            entry.unlink()
    with contextlib.suppress(OSError):
        tmp.rmdir()


def default_out_dir(scenario_file: Path | str, changed: Scenario | None = None) -> Path:
    """Where ``atlarge run`` writes when it is given no folder.

    ``out/<scenario file stem>``; a run that changes the file (overrides,
    another horizon: pass the scenario as run) gets the first characters of its
    hash added, so a variant never replaces the run of the file as written (nor
    another variant).
    """
    stem = Path(scenario_file).stem or "run"
    if changed is None:
        return Path("out") / stem
    return Path("out") / f"{stem}-{scenario_sha256(changed)[:8]}"


def write_out_dir_or_elsewhere(
    out: Path | str,
    writers: Mapping[str, Callable[[Path], None]],
    parameter: str = "out_dir",
) -> tuple[Path, str | None]:
    """Like :func:`write_out_dir`, but finished work is never lost to a failed write.

    If ``out`` cannot be written (taken meanwhile, no permission, disk full),
    the same files go to a new temporary folder. Returns where they were
    written and, when that is not ``out``, a sentence saying why.
    """
    try:
        return write_out_dir(out, writers, parameter), None
    except Exception as exc:  # whatever stopped this write, the work is kept elsewhere
        fallback = Path(tempfile.mkdtemp(prefix="atlarge-")) / (Path(out).name or "run")
        path = write_out_dir(fallback, writers, parameter)
        why = f"could not write to '{out}' ({_reason(exc)}); wrote the files to '{path}' instead"
        return path, why


def _reason(exc: BaseException) -> str:
    return exc.render() if isinstance(exc, OptionError) else f"{type(exc).__name__}: {exc}"


def check_file_out(path: Path, parameter: str) -> None:
    """A file to write later: not a folder, not under a file, somewhere we may write.

    Raises :class:`OptionError` naming ``parameter`` before any work is done.
    """
    if path.is_dir():
        raise OptionError(parameter, f"'{path}' is a folder; name a file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OptionError(parameter, f"'{path}' lies under '{parent}', which is a file")
            if not os.access(parent, os.W_OK):
                raise OptionError(parameter, f"cannot write in '{parent}'")
            return


def write_files(files: Mapping[Path, str]) -> None:
    """Write several text files so that each appears whole or not at all.

    Every file is first written beside its target under a temporary name, and
    only when all are written are they moved into place.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
            done.append((tmp, target))
            tmp.write_text(text, encoding="utf-8")
    except BaseException:
        for tmp, _ in done:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in done:
        tmp.replace(target)


def write_files_or_elsewhere(files: Mapping[Path, str]) -> tuple[list[Path], str | None]:
    """:func:`write_files`, or, if that fails, the same files in a new temporary folder.

    Returns where they were written and, when that is not where asked, why.
    """
    try:
        write_files(files)
        return list(files), None
    except Exception as exc:
        folder = Path(tempfile.mkdtemp(prefix="atlarge-"))
        moved = {folder / target.name: text for target, text in files.items()}
        write_files(moved)
        asked = ", ".join(f"'{t}'" for t in files)
        return list(moved), f"could not write {asked} ({_reason(exc)}); wrote them to '{folder}'"
