"""Output folders: written whole, replaced only when every file in them is atlarge's own.

The class of defect: a run that deletes or changes files it did not write. The
property test builds folders with every mix of atlarge-written, edited and
foreign entries and checks that a write either replaces an all-atlarge folder
or refuses and leaves the folder byte for byte as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlarge.errors import OptionError
from atlarge.runs import check_out_dir, default_out_dir, write_out_dir, write_out_dir_or_elsewhere
from atlarge.runs.outdir import MANIFEST, foreign_entries


def _writers(**files: str):
    return {name: (lambda p, text=text: p.write_text(text)) for name, text in files.items()}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path below ``folder`` with its bytes (None for folders)."""
    out: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), folder)] = None
        for f in files:
            path = Path(root, f)
            out[os.path.relpath(path, folder)] = path.read_bytes()
    return out


def test_a_written_folder_lists_its_files_with_hashes(tmp_path):
    out = write_out_dir(tmp_path / "o", _writers(**{"summary.json": "{}", "report.html": "<p>"}))
    doc = json.loads((out / MANIFEST).read_text())
    assert sorted(doc["files"]) == ["report.html", "summary.json"]
    assert all(len(rec["sha256"]) == 64 and rec["size"] > 0 for rec in doc["files"].values())
    assert foreign_entries(out) == []


def test_a_folder_of_atlarge_files_is_replaced(tmp_path):
    out = write_out_dir(tmp_path / "o", _writers(a="1", b="2"))
    write_out_dir(out, _writers(c="3"))
    assert sorted(os.listdir(out)) == sorted([MANIFEST, "c"])
    assert sorted(os.listdir(tmp_path)) == ["o"]  # no temporary or old folder left


@pytest.mark.parametrize(
    ("setup", "named"),
    [
        (lambda o: (o / "notes.txt").write_text("mine"), "notes.txt"),
        (lambda o: (o / "charts").mkdir(), "charts/"),
        (lambda o: (o / "report.html").write_text("edited by hand"), "report.html (changed"),
        (lambda o: (o / MANIFEST).unlink(), "summary.json"),
    ],
)
def test_foreign_or_changed_files_are_named_and_nothing_is_touched(tmp_path, setup, named):
    out = write_out_dir(tmp_path / "o", _writers(**{"summary.json": "{}", "report.html": "<p>"}))
    setup(out)
    before = _snapshot(tmp_path)
    with pytest.raises(OptionError) as err:
        write_out_dir(out, _writers(x="new"))
    assert err.value.parameter == "out_dir" and named in err.value.message
    assert _snapshot(tmp_path) == before


def test_a_summary_json_alone_does_not_make_a_folder_ours(tmp_path):
    """Before manifests, any folder holding a summary.json was replaced whole."""
    out = tmp_path / "o"
    (out / "charts").mkdir(parents=True)
    (out / "summary.json").write_text("{}")
    (out / "notes.md").write_text("mine")
    with pytest.raises(OptionError, match=r"notes\.md"):
        check_out_dir(out)


def test_out_under_a_file_is_refused_naming_the_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OptionError, match=r"lies under .*afile.*which is a file"):
        check_out_dir(tmp_path / "afile" / "sub" / "deeper", parameter="out_dir")


def test_a_file_that_appears_during_the_write_is_kept(tmp_path):
    out = write_out_dir(tmp_path / "o", _writers(a="1"))

    def sneaky(p: Path) -> None:
        p.write_text("new")
        (out / "late.txt").write_text("written by someone else meanwhile")

    with pytest.raises(OptionError, match=r"late\.txt"):
        write_out_dir(out, {"b": sneaky})
    assert (out / "late.txt").read_text() == "written by someone else meanwhile"
    assert (out / "a").read_text() == "1"
    assert sorted(os.listdir(tmp_path)) == ["o"]


def test_a_failed_write_goes_elsewhere_and_says_where(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    path, note = write_out_dir_or_elsewhere(taken, _writers(**{"summary.json": "{}"}))
    assert path != taken and (path / "summary.json").read_text() == "{}"
    assert note is not None and str(taken) in note and str(path) in note
    assert sorted(os.listdir(taken)) == ["mine.txt"]


def test_default_out_dir_differs_for_a_changed_scenario():
    from tests.conftest import OPERATION, small_scenario

    plain = default_out_dir(OPERATION)
    changed = default_out_dir(OPERATION, small_scenario(OPERATION, days=30))
    assert plain == Path("out/operation-at-large")
    assert changed.parent == Path("out") and changed.name.startswith("operation-at-large-")
    assert changed != plain


def test_a_run_with_set_or_days_never_replaces_the_run_of_the_file(cli, tmp_path, monkeypatch):
    from tests.conftest import ROOT

    small = ROOT / "tests" / "scenarios" / "small-open.toml"
    monkeypatch.chdir(tmp_path)
    base = ("run", small, "--reps", "1", "--workers", "1", "--quiet")
    assert cli(*base).code == 0
    assert cli(*base, "--days", "3").code == 0
    assert cli(*base, "--set", "detention.beds=20000").code == 0
    assert cli(*base, "--days", "3").code == 0  # the same variant again: its own folder
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 3 and names[0] == "small-open", names
    assert all(n.startswith("small-open-") for n in names[1:])


_names = st.sampled_from(
    ["summary.json", "report.html", "a.txt", "notes.md", "charts", "x.parquet"]
)
_entry = st.tuples(_names, st.sampled_from(["ours", "edited", "foreign_file", "foreign_dir"]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=st.lists(_entry, max_size=5, unique_by=lambda e: e[0]), with_manifest=st.booleans())
def test_a_write_replaces_only_folders_of_unchanged_atlarge_files(
    tmp_path_factory, entries, with_manifest
):
    """Either the folder held only unchanged atlarge files and is replaced, or
    the write is refused and every byte below the parent is as it was."""
    base = tmp_path_factory.mktemp("prop")
    out = base / "o"
    ours = {name: f"content of {name}" for name, kind in entries if kind in ("ours", "edited")}
    if ours or with_manifest:
        write_out_dir(out, _writers(**ours))
    else:
        out.mkdir()
    if not with_manifest and (out / MANIFEST).exists():
        (out / MANIFEST).unlink()
    for name, kind in entries:
        if kind == "edited":
            (out / name).write_text("changed by a person")
        elif kind == "foreign_file":
            (out / name).write_text("a person's file")
        elif kind == "foreign_dir":
            (out / name).mkdir()
            (out / name / "inside").write_text("a person's file")
    everything_ours = with_manifest and all(kind == "ours" for _, kind in entries)
    empty = not any(out.iterdir())
    before = _snapshot(base)
    try:
        write_out_dir(out, _writers(**{"summary.json": "new"}))
    except OptionError:
        assert not (everything_ours or empty)
        assert _snapshot(base) == before
    else:
        assert everything_ours or empty
        assert sorted(os.listdir(out)) == sorted([MANIFEST, "summary.json"])
        assert sorted(os.listdir(base)) == ["o"]
