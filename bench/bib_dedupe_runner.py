"""Run bib-dedupe (CoLRev's deduplicator, PyPI ``bib-dedupe``) on records given as JSON.

    python bench/bib_dedupe_runner.py IN.json OUT.json

``bench/dedup_quality.py`` starts this script with the interpreter that has bib-dedupe
(``--bib-dedupe PYTHON``; its own by default), so bib-dedupe runs in a process of its own:
its import sets pandas options (``future.no_silent_downcasting``) that must not leak into our
import, and it may live in a venv of its own when its pins conflict with the app's.

IN.json: ``{"cpu": 2, "records": [row, ...]}``, one row per record in bib-dedupe's columns
(``ID``, ``ENTRYTYPE``, ``title``, ``author``, ``year``, ``journal``, ``booktitle``, ``volume``,
``number``, ``pages``, ``doi``, ``abstract``; strings, "" when missing).
OUT.json: ``{"version", "clusters": [[ID, ...], ...], "seconds", "prepared", "blocked_pairs",
"duplicate_pairs", "maybe_pairs", "maybe_records"}`` (``maybe_records``: the records in its
"maybe" pairs, its review queue). The clusters are bib-dedupe's *automatic* merges only:
``cluster()`` keeps the pairs ``match()`` labelled "duplicate" and leaves its "maybe" pairs
(for a person to review) out. ``seconds`` times prep, block, match and cluster, the pipeline its
documentation gives (https://colrev-environment.github.io/bib-dedupe/), not the interpreter's
start nor its import.

Needs only bib-dedupe (and the pandas it brings), not review_app. Exit status 3 when
bib-dedupe cannot be imported, with a one-line message on stderr.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

NOT_INSTALLED = 3  # exit status when bib-dedupe cannot be imported


def deduplicate(rows: list[dict[str, str]], cpu: int) -> dict[str, Any]:
    """bib-dedupe's automatic clusters of ``rows`` and what its steps saw."""
    from importlib.metadata import version

    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    records = pd.DataFrame(rows)
    start = time.perf_counter()
    prepared = prep(records, verbosity_level=0, cpu=cpu)
    blocked = block(prepared, verbosity_level=0, cpu=cpu)
    matched = match(blocked, verbosity_level=0, cpu=cpu)
    clusters = cluster(matched, verbosity_level=0)
    seconds = time.perf_counter() - start
    labels = matched["duplicate_label"].value_counts() if len(matched) else {}
    maybe = matched[matched["duplicate_label"] == "maybe"] if len(matched) else matched
    return {
        "version": version("bib-dedupe"),
        "clusters": [[str(i) for i in group] for group in clusters],
        "seconds": seconds,
        "prepared": len(prepared),
        "blocked_pairs": len(blocked),
        "duplicate_pairs": int(labels.get("duplicate", 0)),
        "maybe_pairs": int(labels.get("maybe", 0)),
        "maybe_records": len({*maybe["ID_1"], *maybe["ID_2"]}),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: bib_dedupe_runner.py IN.json OUT.json", file=sys.stderr)
        return 2
    try:
        import bib_dedupe  # noqa: F401
    except ImportError as error:
        print(f"bib-dedupe is not installed for {sys.executable}: {error}", file=sys.stderr)
        return NOT_INSTALLED
    given = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = deduplicate(given["records"], int(given.get("cpu", 1)))
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
