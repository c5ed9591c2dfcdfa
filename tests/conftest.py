"""Shared helpers: the shipped scenarios, small variants of them, and a CLI runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline-2024.toml"
OPERATION = SCENARIOS / "operation-at-large.toml"
FUNDED = SCENARIOS / "operation-at-large-funded.toml"
NO_GUARD = SCENARIOS / "operation-at-large-no-guard.toml"


def copy_scenarios(dest: Path) -> None:
    """Copy every shipped scenario and funding file into ``dest``, keeping their folders
    (they extend one another by relative path)."""
    for path in SCENARIOS.rglob("*.toml"):
        target = dest / path.relative_to(SCENARIOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())


def small_scenario(path: Path = OPERATION, days: int = 60, **sets):
    """A shipped scenario with a short horizon and ``--set``-style overrides."""
    from atlarge.scenario import load_scenario

    overrides = {"days": days, **{k.replace("__", "."): v for k, v in sets.items()}}
    return load_scenario(path, set=overrides)


def run_atlarge(*args: str, timeout: int = 600):
    """Run ``python -m atlarge.cli ARGS`` in a fresh process; assert it succeeds."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "atlarge.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``atlarge ARGS`` in-process through the real entry point."""
    from atlarge import cli as cli_module

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["atlarge", *map(str, args)])
        code = 0
        try:
            cli_module.main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
