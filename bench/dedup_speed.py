"""Deduplication speed on generated reviews of 10,000, 30,000 and 100,000 records.

    python bench/dedup_speed.py [--sizes 10000 30000 100000] [--seed 1]

Each review is built from invented works, a third of the records extra copies exported by
other databases: every copy gets the noise real exports show (case, punctuation, the author
style of its database, abbreviated journals, page styles, missing DOIs, PMIDs and abstracts,
title typos, HTML entities, year slips). Prints the time per size, the merges (true and
false pairs) and the peak memory (resource.getrusage: maximum resident set size).

Time is wall-clock (what a user waits) next to the process's CPU time over all its threads
(time.process_time): on a machine shared with other work the wall time grows with the load,
the CPU time does not, so compare runs by both.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import string
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_app.domain.dedup import DedupRecord, find_duplicates

_COPIES = (1, 2, 3, 4)
_COPY_WEIGHTS = (0.65, 0.22, 0.09, 0.04)  # about 34 % of records are extra copies


def _word(rng: random.Random) -> str:
    syllables = ["ca", "de", "fi", "lo", "mu", "ne", "ra", "si", "to", "vu", "ph", "th", "ex"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 5)))


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    return sorted({_word(rng) for _ in range(size)})


def _work(rng: random.Random, vocab: list[str], names: list[str], journals: list[str]) -> dict:
    start = rng.randint(1, 2000)
    return {
        "title": " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 16))).capitalize(),
        "authors": [
            (rng.choice(names), "".join(rng.choice(string.ascii_uppercase) for _ in range(2)))
            for _ in range(rng.randint(1, 8))
        ],
        "year": rng.randint(1980, 2024),
        "journal": rng.choice(journals),
        "volume": str(rng.randint(1, 300)),
        "issue": str(rng.randint(1, 12)),
        "pages": (start, start + rng.randint(0, 15)),
        "doi": f"10.{rng.randint(1000, 9999)}/{_word(rng)}.{rng.randint(1, 10**6)}",
        "pmid": str(rng.randint(10**6, 4 * 10**7)),
        "abstract": " ".join(rng.choice(vocab) for _ in range(rng.randint(80, 200))),
    }


def _author(style: int, family: str, initials: str) -> str:
    if style == 0:  # Scopus, Embase: "Family, G. I."
        return f"{family}, {'. '.join(initials)}."
    if style == 1:  # MEDLINE: "Family GI"
        return f"{family} {initials}"
    return f"{'. '.join(initials)}. {family}"  # some publishers: "G. I. Family"


def _abbreviated_range(start: int, end: int) -> str:
    """ "1234-1238" as "1234-8" (MEDLINE style)."""
    a, b = str(start), str(end)
    if len(a) != len(b) or a == b:
        return f"{a}-{b}"
    keep = next(k for k in range(len(a)) if a[k] != b[k])
    return f"{a}-{b[keep:]}"


def _noisy_title(rng: random.Random, title: str) -> str:
    if rng.random() < 0.3:
        title = title.lower()
    if rng.random() < 0.2:
        title = title.upper()
    if rng.random() < 0.3:
        title += "."
    if rng.random() < 0.1:
        k = rng.randrange(len(title))
        title = title[:k] + rng.choice(string.ascii_lowercase) + title[k + 1 :]
    if rng.random() < 0.05:
        title = title.replace(" ", " &amp; ", 1)
    return title


def _copy(rng: random.Random, work: dict, record_id: int) -> DedupRecord:
    start, end = work["pages"]
    pages = _abbreviated_range(start, end) if rng.random() < 0.3 else f"{start}-{end}"
    style = rng.randrange(3)
    journal = work["journal"]
    if rng.random() < 0.4:  # an ISO 4 style abbreviation
        journal = " ".join(w[:4] if len(w) > 4 else w for w in journal.split() if w != "of")
    return DedupRecord(
        id=record_id,
        title=_noisy_title(rng, work["title"]),
        authors=[_author(style, f, i) for f, i in work["authors"]],
        year=work["year"] if rng.random() > 0.03 else work["year"] + 1,
        journal=journal,
        volume=work["volume"],
        issue=work["issue"] if rng.random() > 0.2 else None,
        pages=pages if rng.random() > 0.1 else None,
        doi=(f"https://doi.org/{work['doi']}" if rng.random() < 0.5 else work["doi"])
        if rng.random() < 0.6
        else None,
        pmid=work["pmid"] if rng.random() < 0.4 else None,
        abstract=work["abstract"] if rng.random() < 0.6 else None,
    )


def generate_review(size: int, seed: int) -> tuple[list[DedupRecord], dict[int, int]]:
    """Records of an invented review, and the work each record id is a copy of."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 6000)
    names = [_word(rng).capitalize() for _ in range(5000)]
    journals = [
        f"Journal of {_word(rng).capitalize()} {_word(rng).capitalize()}" for _ in range(800)
    ]
    records: list[DedupRecord] = []
    work_of: dict[int, int] = {}
    works = 0
    while len(records) < size:
        work = _work(rng, vocab, names, journals)
        works += 1
        for _ in range(min(rng.choices(_COPIES, _COPY_WEIGHTS)[0], size - len(records))):
            record = _copy(rng, work, len(records) + 1)
            work_of[record.id] = works
            records.append(record)
    rng.shuffle(records)
    return records, work_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="threads for title similarity")
    args = parser.parse_args(argv)
    for size in args.sizes:
        records, work_of = generate_review(size, args.seed)
        copies = Counter(work_of.values())
        true_pairs = sum(k * (k - 1) // 2 for k in copies.values())
        start, cpu_start = time.perf_counter(), time.process_time()
        result = find_duplicates(records, workers=args.workers)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        merged = [p for c in result.clusters for p in itertools.combinations(sorted(c), 2)]
        false = sum(1 for a, b in merged if work_of[a] != work_of[b])
        print(
            f"{size:>7} records: {seconds:6.1f} s ({1e3 * seconds / size:.2f} ms/record; "
            f"CPU {cpu:.1f} s); "
            f"{result.n_compared} pairs compared; merged {len(merged) - false} of {true_pairs} "
            f"true pairs, {false} false; {len(result.uncertain_pairs)} pairs queued"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak memory (resource.getrusage max RSS, generated records included): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
