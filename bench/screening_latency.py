"""Screening latency in the browser: keypress -> next record shown, on a 20,000-record review.

    python bench/screening_latency.py [--records 20000] [--votes 60] [--keys ieeee] [--pause 0]

Builds a review of generated records on a temporary SQLite database (through the import
service), starts `review-app serve`, logs a reviewer in with Playwright driving Debian's Chromium
(/usr/bin/chromium), presses the vote keys and times each keypress until the next record's title
replaces the last one. By default one vote in five is an include, so prioritisation starts ranking
and its background retraining runs while the reviewer votes, as it would in use. Prints the median
and the 95th percentile, and whether the ranking was shown.
Target (issue 5): median <= 300 ms, p95 <= 600 ms.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WORDS = (
    "kratom mitragynine neuropathic pain randomised trial opioid withdrawal diabetic "
    "placebo analgesic cohort survey rodent model chemotherapy allodynia dose safety"
).split()
PASSWORD = "latency-bench-password"


def generated_ris(count: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        title = " ".join(rng.choices(WORDS, k=rng.randint(8, 14))).capitalize() + f" ({n})"
        abstract = " ".join(rng.choices(WORDS, k=rng.randint(150, 250))).capitalize() + "."
        lines += [
            "TY  - JOUR",
            f"TI  - {title}",
            f"AU  - Author{n % 997}, A.",
            f"PY  - {rng.randint(1995, 2025)}",
            f"AB  - {abstract}",
            "ER  - ",
            "",
        ]
    return "\n".join(lines).encode()


def build_review(url: str, count: int) -> None:
    from review_app.db import make_engine, migrate, session_scope
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor
    from review_app.services.reviews import add_member, create_review
    from review_app.services.users import create_user

    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name="latency")
        user = create_user(session, name="screener", password=PASSWORD)
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=user.id, role="reviewer"
        )
        import_file(
            session,
            actor=Actor.operator(),
            review_id=review.id,
            data=generated_ris(count),
            file_name="bench.ris",
            source_name="Bench",
        )


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "review_app.cli", "--db", url, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{address}/_stcore/health", timeout=1)
            return process, address
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("the server did not start")


def measure(address: str, votes: int, keys: str, pause: float) -> list[float]:
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(address)
        page.get_by_label("Name").fill("screener")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Screen").click()
        title = page.get_by_test_id("record-title")
        title.wait_for(timeout=60_000)
        page.get_by_test_id("record-abstract").click()
        for number in range(votes):
            before = title.inner_text()
            start = time.perf_counter()
            page.keyboard.press(keys[number % len(keys)])
            page.wait_for_function(
                "t => { const e = document.querySelector('[data-testid=record-title]');"
                " return e && e.innerText !== t; }",
                arg=before,
                timeout=30_000,
            )
            timings.append(time.perf_counter() - start)
            print(f"vote {number + 1}: {1000 * timings[-1]:.0f} ms", flush=True)
            time.sleep(pause)  # reading time: the background retraining runs in such pauses
        ranked = page.get_by_text("Relevance: ranked").count() > 0
        print(f"prioritisation ranking shown on the last record: {'yes' if ranked else 'no'}")
        browser.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--votes", type=int, default=60)
    parser.add_argument("--keys", default="ieeee", help="vote keys pressed in turn (i, e, m)")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds of reading per record")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'latency.db'}"
        start = time.perf_counter()
        build_review(url, args.records)
        print(f"built a {args.records:,}-record review in {time.perf_counter() - start:.1f} s")
        process, address = serve(url)
        try:
            timings = measure(address, args.votes, args.keys, args.pause)
        finally:
            process.terminate()
            process.wait(timeout=20)
    warm = timings[3:]  # the first keypresses warm caches up; reported separately
    ordered = sorted(warm)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"first 3 keypresses: {', '.join(f'{1000 * t:.0f} ms' for t in timings[:3])}")
    print(
        f"{len(warm)} keypresses: median {1000 * statistics.median(warm):.0f} ms, "
        f"p95 {1000 * p95:.0f} ms, max {1000 * max(warm):.0f} ms"
    )


if __name__ == "__main__":
    main()
