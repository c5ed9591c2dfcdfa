"""The import rules between layers (../shared/DESIGN.md), checked on the source."""

from __future__ import annotations

import ast
import re
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
THIRD_PARTY_ENGINE = {"numpy", "scipy", "numba", "llvmlite"}  # numba (and its llvmlite, to
# register SciPy's gammaln by name): the compiled inner loops (issue 15)


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


FLAG = re.compile(r"--[A-Za-z]")
FRONT_ENDS = {"cli.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of strings that stand alone as statements (docstrings of modules, classes,
    functions and attributes): documentation, not messages."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def test_no_flag_names_below_the_command_line():
    """Errors and messages below cli.py name parameters (``reps``), never flags (``--reps``):
    the CLI maps them to its flags, the API to its JSON fields."""
    found = []
    for path in SRC.rglob("*.py"):
        if path.name in FRONT_ENDS and path.parent == SRC:
            continue
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and FLAG.search(node.value)
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def test_the_cli_names_every_parameter_the_layers_below_raise():
    """Each parameter named in an OptionError below cli.py has a flag in cli.FLAGS (or is
    named as the variable it is, e.g. ATLARGE_MAX_MEMORY_GB)."""
    from atlarge.cli import FLAGS
    from atlarge.errors import MENTION

    named = set()
    for path in SRC.rglob("*.py"):
        if path.name in FRONT_ENDS and path.parent == SRC:
            continue
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "OptionError"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                named.add(node.args[0].value)
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and id(node) not in docs:
                named |= set(MENTION.findall(node.value))
    assert named and named - {"chunk_size"} <= set(FLAGS), sorted(named - set(FLAGS))
