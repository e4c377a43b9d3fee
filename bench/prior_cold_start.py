"""The protocol prior at a true cold start: no record labelled before the model ranks (not a test).

    nice python bench/prior_cold_start.py [--seeds 3] [--sets ace virus ADHD Antihistamines]

``bench/prioritisation.py`` starts every run, as ASReview does, from one include and one exclude
drawn at random, so it measures the prior on top of two known labels. A review in this app starts
from its protocol alone: here ``simulate`` runs with no prior record at all
(``n_prior_included = n_prior_excluded = 0``), without and with ``bench/priors/<set>.toml``
(read as ``bench/prioritisation.py --priors`` reads it), and prints, as means over the seeds,
how many records were screened up to and including the first include, WSS@95 and recall@10%.
Without a prior the first records come in file order until a label arrives (``Ranker``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prioritisation import SETS, load_prior, load_set

from review_app.domain.prioritisation import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sets", nargs="+", default=[s.name for s in SETS])
    args = parser.parse_args()
    print(f"{'set':<15}{'prior':>6}{'first include':>14}{'WSS@95':>8}{'R@10%':>7}")
    for spec in (s for s in SETS if s.name in args.sets):
        data = load_set(spec)
        prior = load_prior(data)
        if prior is None:
            continue
        for name, given in (("no", None), ("yes", prior)):
            firsts, wss, recall = [], [], []
            for seed in range(args.seeds):
                result = simulate(
                    data.titles,
                    data.abstracts,
                    data.labels,
                    seed=seed,
                    n_prior_included=0,
                    n_prior_excluded=0,
                    keywords=data.keywords,
                    prior=given,
                )
                in_order = np.asarray(data.labels)[list(result.order)]
                firsts.append(int(np.flatnonzero(in_order == 1)[0]) + 1)
                wss.append(result.wss_at_95)
                recall.append(result.recall_at_10pct)
            print(
                f"{spec.name:<15}{name:>6}{statistics.mean(firsts):>14.1f}"
                f"{statistics.mean(wss):>8.3f}{statistics.mean(recall):>7.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
