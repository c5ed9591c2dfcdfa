"""Write an output folder all at once, so an existing one is never left half-written.

Files are written into a temporary sibling folder and moved into place only
when all of them are complete. An existing folder is replaced only if it is
empty or holds a previous atlarge run (it has a ``summary.json``), so a
mistyped ``--out`` cannot wipe unrelated files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from atlarge.errors import OptionError

MARKER = "summary.json"


def check_out_dir(out: Path | str) -> Path:
    """Check that ``out`` can receive a run; raise :class:`OptionError` if not."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OptionError("--out", f"'{out}' exists and is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OptionError(
            "--out",
            f"'{out}' is not empty and holds no atlarge run ({MARKER}); refusing to replace it",
        )
    parent = out.parent if str(out.parent) else Path(".")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OptionError("--out", f"cannot write in '{parent}'")
    return out


def write_out_dir(out: Path | str, writers: Mapping[str, Callable[[Path], None]]) -> Path:
    """Create ``out`` holding one file per ``writers`` entry (name -> write(path))."""
    out = check_out_dir(out)
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it normal permissions
        for name, write in writers.items():
            write(tmp / name)
        if out.exists():
            old = parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
