"""Deduplication regression on the hand-labelled sets of tests/data/dedup_regression.

Each set's real exports (in ../shared/data/parsers; skipped when absent) are imported one after
another through the import service into a fresh SQLite review and the automatic pass runs, as a
user would do it; the stored merges are scored pairwise against the truth written by hand
(bench/dedup_regression.py, whose loader and measure this uses; its scoring is
bench/dedup_quality.py's). An automatic merge that is wrong removes a study unseen, so no set
may have one; sensitivity must reach 0.98.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from review_app.db import make_engine
from review_app.importers import read_bytes
from tests.conftest import REPO_ROOT, shared_data
from tests.database_templates import migrated_sqlite
from tests.scripts import load_script

SETS = REPO_ROOT / "tests" / "data" / "dedup_regression"
MIN_SENSITIVITY = 0.98


def _bench() -> ModuleType:
    return load_script("bench/dedup_regression.py")


SET_NAMES = sorted(p.parent.name for p in SETS.glob("*/set.toml"))


def test_the_sets_are_there() -> None:
    """The parametrisation reads the folder: a moved folder must not leave nothing to run."""
    assert len(SET_NAMES) >= 4


@pytest.mark.parametrize("name", SET_NAMES)
def test_truth_lists_every_record_of_its_files(name: str) -> None:
    """Each truth.csv names every record of its files once, at the position the import gives
    it (the loader refuses the set otherwise): a truth that drifted from the files fails here
    even when the engine is right."""
    bench = _bench()
    spec = bench.load_set(SETS / name)
    parsers = shared_data("parsers")
    for set_file in spec.files:
        path = parsers / set_file.path
        read = read_bytes(path.read_bytes(), filename=path.name)
        positions = sorted(r.position for r in read.records)
        listed = sorted(p for f, p in spec.truth if f == set_file.path)
        assert positions == listed, f"{name}: {set_file.path}"


@pytest.mark.parametrize("name", SET_NAMES)
def test_no_false_merge_and_sensitivity(name: str, tmp_path: Path) -> None:
    parsers = shared_data("parsers")
    bench = _bench()
    spec = bench.load_set(SETS / name)
    engine = make_engine(migrated_sqlite(tmp_path / "review.db"))
    try:
        figures = bench.measure(spec, engine, parsers=parsers)
    finally:
        engine.dispose()
    assert figures["false_merges"] == [], f"{name}: wrong merges {figures['false_merges']}"
    assert figures["sensitivity"] >= MIN_SENSITIVITY, f"{name}: missed {figures['misses']}"
    assert figures["queue_records"] <= 0.02 * figures["records"], f"{name}: queue too long"


def test_loader_names_the_line_of_a_bad_truth_row(tmp_path: Path) -> None:
    bench = _bench()
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "set.toml").write_text(
        'description = "x"\n[[files]]\npath = "a/b.ris"\nsource = "X"\n', encoding="utf-8"
    )
    (folder / "truth.csv").write_text(
        "file,position,group,notes\na/b.ris,1,g1,\na/b.ris,0,g2,\n", encoding="utf-8"
    )
    with pytest.raises(bench.SetError, match=r"truth\.csv: line 3: position '0'"):
        bench.load_set(folder)
