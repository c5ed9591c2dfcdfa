"""The README is a script: every block in it runs, in the order written, on a fresh copy.

So do the code blocks of every page under docs/, after the README's.

The tracked files of the project are copied to a temporary folder (what a
fresh clone holds, with any uncommitted edits), and each fenced block of
README.md runs there in order: ``sh`` blocks with ``bash -euo pipefail``,
``python`` blocks with this interpreter, ``toml`` blocks are parsed. Commands
run as the README writes them, with three documented changes so the whole
README fits in the test suite's time:

* sizes are cut: ``--reps``, ``--samples``, ``--iterations``, ``--days``, grid
  counts in ``--vary P=LO:HI:N`` and ``reps=`` in Python are capped at small values
  (a day costs about the same whatever the replications, so ``--days`` matters most);
* ``make test`` (this suite) and ``atlarge calibrate`` (minutes even cut down;
  tests/test_calibration.py covers it) are skipped, and ``make serve`` is
  replaced by a server the test starts on a free port (``localhost:8000``
  points there);
* ``RUN_A`` and ``RUN_B``, which the README explains as two run ids from
  ``atlarge results list``, become the first two runs in the store;
* ``curl -s`` becomes ``curl -sSf``, so an HTTP error fails the block.

``make run`` runs with this test's virtual environment (``VENV=...``) and
``PYTHONPATH`` pointing at the copy's sources, so nothing is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
SKIPPED = ("make test", "make serve", "atlarge calibrate")
"""This suite itself; a server (the test starts its own); the fit, which takes
minutes even cut down and is run by tests/test_calibration.py on a short horizon."""
CAPS = {"--reps": 4, "--samples": 2, "--iterations": 1, "--inner": 2, "--days": 60}


def readme_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def shrink(code: str, port: int) -> str:
    """The block with sizes cut and the server on ``port`` (see the module docstring)."""
    for opt, cap in CAPS.items():
        code = re.sub(rf"{opt}[ =](\d+)", lambda m, o=opt, c=cap: f"{o} {min(int(m[1]), c)}", code)
    grid = r"(--vary \S+=[^:\s]+:[^:\s]+):(\d+)"
    code = re.sub(grid, lambda m: f"{m[1]}:{min(int(m[2]), 2)}", code)
    code = re.sub(r"\breps=(\d+)", lambda m: f"reps={min(int(m[1]), 4)}", code)
    code = re.sub(r'"reps": (\d+)', lambda m: f'"reps": {min(int(m[1]), 4)}', code)
    code = code.replace("localhost:8000", f"127.0.0.1:{port}")
    code = code.replace("curl -s ", "curl -sSf ")
    lines = []
    for line in code.replace("\\\n", " ").splitlines():
        bare = line.split("#", 1)[0].strip()
        if bare in SKIPPED or bare.startswith(SKIPPED):
            lines.append(f"# (skipped by the README test) {line}")
        elif bare.startswith("make "):
            lines.append(line.replace("make ", f"make VENV={sys.prefix} ", 1))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_tree(dest: Path) -> None:
    """Copy what a clone would hold: files git tracks, plus new files it does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listing.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _wait_for(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("server did not start")


def _stored_run_ids(db: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT run_id FROM runs ORDER BY finished_at LIMIT 2").fetchall()
    assert len(rows) == 2, "the README's sweep should have stored runs before `results compare`"
    return [r[0][:8] for r in rows]


def test_shrink_keeps_commands_and_cuts_sizes():
    code = (
        "atlarge run s.toml --reps 1000 --days 365\n"
        "atlarge sweep s.toml --vary a.b=1:2:8 --reps 200\n"
        "make run\nmake test  # comment\natlarge calibrate --reps 8 \\\n    --out x\n"
        "curl -s localhost:8000/api/runs\n"
    )
    out = shrink(code, 1234)
    assert "--reps 4 --days 60" in out and "--vary a.b=1:2:2 --reps 4" in out
    assert f"make VENV={sys.prefix} run" in out
    assert "# (skipped by the README test) make test" in out
    assert "# (skipped by the README test) atlarge calibrate --reps 4      --out x" in out
    assert "curl -sSf 127.0.0.1:1234/api/runs" in out


def test_every_readme_block_runs_in_order(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot tell which files a clone holds")
    cksum = subprocess.run(
        ["cksum"], input=(ROOT / "pyproject.toml").read_bytes(), capture_output=True, check=True
    ).stdout.split()[0].decode()
    stamp = Path(sys.prefix) / f".installed-{cksum}"
    if not stamp.exists() or stamp.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        # make would install the copy into this environment: never do that (a stamp older
        # than pyproject.toml makes make reinstall, as a missing one does)
        pytest.skip(f"{sys.prefix} was not set up by make for this pyproject.toml")
    clone = tmp_path / "clone"
    clone.mkdir()
    _copy_tree(clone)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(clone / "src"),
    }
    port = _free_port()
    server: subprocess.Popen | None = None
    blocks = readme_blocks((clone / "README.md").read_text())
    assert len(blocks) >= 8, "the README lost its examples"
    for page in sorted((clone / "docs").rglob("*.md")):  # then every page of docs/, in order
        blocks += readme_blocks(page.read_text())
    try:
        for i, (lang, code) in enumerate(blocks):
            where = f"README block {i + 1} ({lang or 'plain'}):\n{code}"
            if lang == "toml":
                tomllib.loads(code)
                continue
            if lang not in ("sh", "python"):
                continue
            code = shrink(code, port)
            if "127.0.0.1:" in code and server is None:
                server = subprocess.Popen(
                    [sys.executable, "-m", "atlarge.cli", "serve", "--port", str(port)],
                    cwd=clone,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                _wait_for(port, server)
            parts = [code]
            if "RUN_A" in code:  # placeholders the README explains: ids of runs stored above
                lines = code.splitlines(keepends=True)
                k = next(j for j, line in enumerate(lines) if "RUN_A" in line)
                parts = ["".join(lines[:k]), "".join(lines[k:])]
            for part in parts:
                if "RUN_A" in part:
                    ids = _stored_run_ids(clone / "results.duckdb")
                    part = part.replace("RUN_A", ids[0]).replace("RUN_B", ids[1])
                cmd = ["bash", "-euo", "pipefail", "-c", part] if lang == "sh" else [
                    sys.executable, "-c", part
                ]
                began = time.monotonic()
                proc = subprocess.run(
                    cmd, cwd=clone, env=env, capture_output=True, text=True, timeout=600
                )
                print(f"README block {i + 1}: {time.monotonic() - began:.1f} s")
                assert proc.returncode == 0, (
                    f"{where}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
                )
                assert "Traceback" not in proc.stderr, where
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
