"""How long the command line takes to answer (not a test).

    python bench/cli_startup.py [--runs 5] [--before PATH/TO/OLD/CHECKOUT]

Times two commands as a person types them, each a fresh Python process, and prints the median
(and the fastest and slowest) of ``--runs`` runs after one warm-up run:

- ``review-app --help``                                  target: under 1 s
- ``review-app --db sqlite:///demo.db export statuses -o x.csv`` on the demo review
                                                         target: under 2 s

The demo database is built first by the measured checkout's own code (``seed_demo``) in a
temporary folder. Each process runs ``review_app.cli.main`` with the checkout first on
``PYTHONPATH`` (the ``review-app`` script would run whichever checkout is installed), and the
script checks that the code timed is the checkout's. ``--before`` measures another checkout the
same way in the same run, e.g. main before a change:
``git worktree add /tmp/main-before HEAD~1`` (issue 12 measured against the main of that day).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"--help": 1.0, "export statuses": 2.0}

SEED = """
import sys
import review_app
from review_app.db import make_engine, migrate, session_scope
from review_app.services.demo import seed_demo

engine = make_engine(sys.argv[1])
migrate(engine)
with session_scope(engine) as session:
    seed_demo(session)
print(review_app.__file__)
"""

RUN = (
    "import sys; sys.argv = ['review-app', *sys.argv[1:]]\nfrom review_app.cli import main\nmain()"
)


def environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REVIEW_APP_DATABASE_URL"}
    return {**env, "PYTHONPATH": str(tree)}


def build_demo(tree: Path, folder: Path) -> str:
    url = f"sqlite:///{folder / 'demo.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SEED, url],
        env=environment(tree), cwd=folder, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = Path(done.stdout.strip().splitlines()[-1]).resolve()
    if not imported.is_relative_to(tree.resolve()):
        raise SystemExit(f"{tree}: the code run came from {imported}, not from this checkout")
    return url


def seconds_of(tree: Path, folder: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", RUN, *args], env=environment(tree), cwd=folder,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def measure(tree: Path, runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as name:
        folder = Path(name)
        url = build_demo(tree, folder)
        commands = {
            "--help": ["--help"],
            "export statuses": ["--db", url, "export", "statuses", "-o", str(folder / "x.csv")],
        }
        times: dict[str, list[float]] = {label: [] for label in commands}
        for args in commands.values():
            seconds_of(tree, folder, args)  # warm-up: byte-code and file caches
        for _ in range(runs):  # interleaved, so that a busy moment hits every command alike
            for label, args in commands.items():
                times[label].append(seconds_of(tree, folder, args))
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout, measured the same way")
    args = parser.parse_args()
    trees = [("before", args.before.resolve())] if args.before else []
    trees.append(("this checkout", REPO))
    results = {name: measure(tree, args.runs) for name, tree in trees}
    print(f"median of {args.runs} runs (fastest-slowest), seconds; Python {sys.version.split()[0]}")
    print(f"{'command':<18}" + "".join(f"{name:>26}" for name, _ in trees) + f"{'target':>10}")
    for label, target in TARGETS.items():
        cells = []
        for name, _ in trees:
            values = results[name][label]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        print(f"{label:<18}" + "".join(f"{c:>26}" for c in cells) + f"{f'< {target:g}':>10}")


if __name__ == "__main__":
    main()
