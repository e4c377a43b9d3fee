"""The engine on the labelled reference sets in ../shared/data/dedup (skipped when absent).

Automatic ``certain`` merges are scored pairwise, as in bench/dedup_quality.py (whose loader
is used here so the test and the benchmark measure the same thing).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import ModuleType

import pytest

from review_app.domain.dedup import find_duplicates
from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "dedup"


def _bench() -> ModuleType:
    return load_script("bench/dedup_quality.py")


def _set(name: str) -> tuple[list, list[set[int]]]:
    folder = DATA / name
    if not folder.exists():
        pytest.skip(f"{folder} is absent (reference data ships beside the repository, not in it)")
    bench = _bench()
    spec = next(s for s in bench.SETS if s.name == name)
    return bench.load_records(folder, spec), bench.load_groups(folder)


def _pairs(groups: list[set[int]]) -> set[tuple[int, int]]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def test_special_cases_are_all_right() -> None:
    records, groups = _set("special_cases")
    result = find_duplicates(records)
    assert sorted(map(sorted, result.clusters)) == sorted(map(sorted, groups))
    truth = _pairs(groups)
    assert all((p.a, p.b) not in truth for p in result.uncertain_pairs)
    for pair in result.certain_pairs:
        assert pair.evidence["fields"]["title"]["level"] in ("exact", "very_high")


@pytest.mark.parametrize(
    ("name", "min_sensitivity"),
    [("asysd_diabetes", 0.999), ("rathbone2015_respiratory", 0.985)],
)
def test_quality_targets(name: str, min_sensitivity: float) -> None:
    records, groups = _set(name)
    result = find_duplicates(records)
    truth, predicted = _pairs(groups), _pairs(result.clusters)
    true_positives = len(truth & predicted)
    sensitivity = true_positives / len(truth)
    precision = true_positives / len(predicted)
    queued = {i for p in result.uncertain_pairs for i in (p.a, p.b)}
    assert sensitivity >= min_sensitivity, f"{name}: sensitivity {sensitivity:.4f}"
    assert precision >= 0.999, f"{name}: precision {precision:.4f}"
    assert predicted <= truth, f"{name}: false merges {sorted(predicted - truth)[:5]}"
    assert len(queued) <= 0.02 * len(records), f"{name}: {len(queued)} records queued"
