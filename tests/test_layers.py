"""The import rules between layers (../shared/DESIGN.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "atlarge"

FORBIDDEN = {
    "engine": {"scenario", "model", "runs", "analysis", "report", "api", "cli", "simulation"},
    "scenario": {"engine", "model", "runs", "analysis", "report", "api", "cli", "simulation"},
    "model": {"runs", "analysis", "report", "api", "cli", "simulation"},
    "runs": {"report", "api", "cli", "simulation"},
    "analysis": {"report", "api", "cli", "simulation", "runs"},
}
THIRD_PARTY_ENGINE = {"numpy", "scipy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(layer):
    for path in (SRC / layer).rglob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "atlarge" and len(parts) > 1:
                assert parts[1] not in FORBIDDEN[layer], f"{path.name} imports {name}"


def test_engine_imports_only_numpy_and_scipy():
    for path in (SRC / "engine").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ("atlarge", "__future__"):
                assert top == "__future__" or name.startswith("atlarge.engine"), name
            else:
                import sys

                assert top in THIRD_PARTY_ENGINE or top in sys.stdlib_module_names, name


def test_engine_has_no_domain_words():
    words = ("arrest", "detention", "removal", "agent", "guard", "ice ", "deport", "asylum")
    for path in (SRC / "engine").rglob("*.py"):
        text = path.read_text().lower()
        for w in words:
            assert w not in text, f"{path.name} mentions '{w}'"
