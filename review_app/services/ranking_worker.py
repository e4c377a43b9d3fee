"""Retraining the relevance rankings in a background thread, so screening never waits for it.

One worker per server process and review: a vote while it runs asks for one more run when it
ends. The worker waits for a pause in the voting (``QUIET_SECONDS``) before it starts, so the CPU
it needs (Python threads share one interpreter lock) is not taken from a reviewer who is
screening at full speed. Reading the inputs is a read-only unit of work and storing the scores a
short one; the training in between holds no database lock.

Several server processes on one review (``docs/deploy.md``): only one trains at a time, the
others read the rankings it stores.

- PostgreSQL: the trainer holds a session-level advisory lock on (``LOCK_NAMESPACE``, review id)
  from reading its inputs to storing the scores. A process that cannot take it waits; once it
  can, it trains only if the stored rankings are older than its own request (the other process's
  run, which read the votes after this request, already counts them). A process that dies
  releases the lock with its connection.
- SQLite (one machine): the store is a ``BEGIN IMMEDIATE`` unit of work that first checks that
  no ranking trained on newer inputs was stored meanwhile; if one was, this run's scores are
  dropped. Two processes may train at once, but the older result never replaces the newer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, text
from sqlmodel import Session

from review_app.db import session_scope
from review_app.domain.prioritisation import Ranker
from review_app.models import utcnow
from review_app.services.prioritisation import (
    RankingInputs,
    all_ranking_inputs,
    compute_ranking,
    latest_training,
    ranker_for,
    store_rankings,
)

log = logging.getLogger(__name__)
QUIET_SECONDS = 2.0
LOCK_NAMESPACE = 0x52414E4B  # "RANK": the first key of the review's advisory lock
LOCK_WAIT_SECONDS = 1.0  # between tries while another process trains


class RankingWorker:
    """Background retraining for the reviews of one server process (the UI caches one)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self._again: set[int] = set()
        self._rankers: dict[int, tuple[tuple[int, ...], Ranker]] = {}  # kept while records stay
        self._last_request: dict[int, float] = {}
        self._requested_at: dict[int, datetime] = {}
        self._trained: dict[tuple[int, int | None], int] = {}  # (review, owner) -> fingerprint
        self._stored_at: dict[int, datetime] = {}  # the newest scores this process stored

    def request(self, review_id: int) -> None:
        """Retrain soon; returns at once."""
        with self._lock:
            self._last_request[review_id] = time.monotonic()
            self._requested_at[review_id] = utcnow()
            if review_id in self._running:
                self._again.add(review_id)
                return
            self._running.add(review_id)
        threading.Thread(target=self._work, args=(review_id,), daemon=True).start()

    def is_running(self, review_id: int) -> bool:
        with self._lock:
            return review_id in self._running

    def retrain(self, review_id: int, *, requested_at: datetime | None = None) -> bool:
        """One run now, in this thread: True when this process trained and stored the rankings,
        False when another process's run already covers ``requested_at`` (or stored a newer one)."""
        requested_at = requested_at or utcnow()
        with self._training_lock(review_id):
            started = utcnow()  # before the snapshot: every vote committed by now is read
            with session_scope(self._engine, read_only=True) as session:
                latest = latest_training(session, review_id=review_id)
                if latest is not None and latest >= requested_at:
                    return False
                if latest != self._stored_at.get(review_id):  # another process stored since
                    self._forget(review_id)
                all_inputs = all_ranking_inputs(session, review_id=review_id, read_at=started)
                ready = [inputs for inputs in all_inputs if inputs.is_ready]
                ranker = self._ranker(session, ready[0]) if ready else None
            changed = [inputs for inputs in all_inputs if self._has_changed(inputs)]
            rankings = [(inputs, compute_ranking(inputs, ranker)) for inputs in changed]
            owners = [inputs.reviewer_id for inputs in all_inputs]
            with session_scope(self._engine) as session:
                stored = store_rankings(
                    session, review_id=review_id, rankings=rankings, owners=owners
                )
            if stored:
                with self._lock:
                    for inputs in changed:
                        self._trained[(review_id, inputs.reviewer_id)] = inputs.fingerprint
                    if any(ranking.scores for _, ranking in rankings):
                        self._stored_at[review_id] = started
            return stored

    def _forget(self, review_id: int) -> None:
        with self._lock:
            for key in [key for key in self._trained if key[0] == review_id]:
                del self._trained[key]

    def _has_changed(self, inputs: RankingInputs) -> bool:
        """Whether an owner's labels or the records changed since this process last stored
        their ranking (while blind a vote changes one reviewer's labels: the others' rankings
        are not trained again)."""
        with self._lock:
            last = self._trained.get((inputs.review_id, inputs.reviewer_id))
        return last != inputs.fingerprint

    @contextmanager
    def _training_lock(self, review_id: int) -> Iterator[None]:
        """PostgreSQL: hold the review's advisory lock (waiting while another process trains).
        SQLite: nothing here; ``store_rankings`` checks under its write lock."""
        if self._engine.dialect.name != "postgresql":
            yield
            return
        with self._engine.connect() as connection:
            key = {"namespace": LOCK_NAMESPACE, "review": review_id}
            while not connection.execute(
                text("SELECT pg_try_advisory_lock(:namespace, :review)"), key
            ).scalar_one():
                connection.rollback()
                time.sleep(LOCK_WAIT_SECONDS)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:namespace, :review)"), key)
                connection.commit()

    def _wait_for_a_pause(self, review_id: int) -> datetime:
        while True:
            with self._lock:
                quiet = time.monotonic() - self._last_request.get(review_id, 0.0)
                requested_at = self._requested_at.get(review_id) or utcnow()
            if quiet >= QUIET_SECONDS:
                return requested_at
            time.sleep(QUIET_SECONDS - quiet)

    def _ranker(self, session: Session, inputs: RankingInputs) -> Ranker:
        cached = self._rankers.get(inputs.review_id)
        if cached is None or cached[0] != inputs.record_ids:
            cached = (
                inputs.record_ids,
                ranker_for(session, review_id=inputs.review_id, record_ids=inputs.record_ids),
            )
            self._rankers[inputs.review_id] = cached
        return cached[1]

    def _work(self, review_id: int) -> None:
        try:
            while True:
                requested_at = self._wait_for_a_pause(review_id)
                self.retrain(review_id, requested_at=requested_at)
                with self._lock:
                    if review_id not in self._again:
                        return
                    self._again.discard(review_id)
        except Exception:  # a failed run must not take the app down; the next vote retries
            log.exception("retraining the rankings of review %s failed", review_id)
        finally:
            with self._lock:
                self._running.discard(review_id)
                self._again.discard(review_id)
