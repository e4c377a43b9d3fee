"""How fast, and in how little memory, hostile files are refused (or read by what they hold).

    python bench/hostile_inputs.py

The files of tests/importers/hostile_xlsx.py (a sheet declaring every cell Excel allows, one
400-million-character string, 300,000 rows from 100 KB, rows padded to column XFD): the tests
assert what happens and the memory it takes; the seconds are printed here (issue 11 measured the
old code at 28-39 s, 812 MB, 37-99 s and 310 MB on them).
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_app.errors import ImportFileError
from review_app.importers import read_bytes
from tests.importers import hostile_xlsx
from tests.importers.test_limits import wide_rows

CASES: dict[str, Callable[[], bytes]] = {
    "every cell declared (read)": hostile_xlsx.full_sheet_dimension,
    "400M-character string (refused)": hostile_xlsx.huge_shared_string,
    "300,000 rows (refused)": hostile_xlsx.many_rows,
    "2,000 rows padded to XFD (refused)": lambda: wide_rows(2_000),
}


def measure(data: bytes) -> tuple[float, float, str]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        read_bytes(data, filename="hostile.xlsx")
        outcome = "read"
    except ImportFileError:
        outcome = "refused"
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return took, peak / 1024 / 1024, outcome


def main() -> None:
    print(f"{'file':40} {'bytes':>9} {'seconds':>8} {'peak MB':>8}  outcome")
    for name, make in CASES.items():
        data = make()
        took, peak, outcome = measure(data)
        print(f"{name:40} {len(data):>9,} {took:>8.2f} {peak:>8.1f}  {outcome}")


if __name__ == "__main__":
    main()
