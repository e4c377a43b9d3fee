"""Retraining the relevance ranking in a background thread, so screening never waits for it.

One worker per review: a vote while it runs asks for one more run when it ends. The worker
waits for a pause in the voting (``QUIET_SECONDS``) before it starts, so the CPU it needs (Python
threads share one interpreter lock) is not taken from a reviewer who is screening at full
speed. Reading the inputs is a read-only unit of work and storing the scores a short one; the
training in between holds no lock.
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from review_app.db import session_scope
from review_app.domain.prioritisation import Ranker
from review_app.services.prioritisation import (
    RankingInputs,
    compute_ranking,
    ranker_for,
    ranking_inputs,
    store_ranking,
)
from review_app.ui import deps

log = logging.getLogger(__name__)
QUIET_SECONDS = 2.0


class Retrainer:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self._again: set[int] = set()
        self._rankers: dict[int, tuple[tuple[int, ...], Ranker]] = {}  # kept while records stay
        self._last_request: dict[int, float] = {}

    def request(self, review_id: int) -> None:
        """Retrain soon; returns at once."""
        with self._lock:
            self._last_request[review_id] = time.monotonic()
            if review_id in self._running:
                self._again.add(review_id)
                return
            self._running.add(review_id)
        threading.Thread(target=self._work, args=(review_id,), daemon=True).start()

    def is_running(self, review_id: int) -> bool:
        with self._lock:
            return review_id in self._running

    def _wait_for_a_pause(self, review_id: int) -> None:
        while True:
            with self._lock:
                quiet = time.monotonic() - self._last_request.get(review_id, 0.0)
            if quiet >= QUIET_SECONDS:
                return
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
                self._wait_for_a_pause(review_id)
                with session_scope(self._engine, read_only=True) as session:
                    inputs = ranking_inputs(session, review_id=review_id)
                    ranker = self._ranker(session, inputs) if inputs.is_ready else None
                ranking = compute_ranking(inputs, ranker)
                with session_scope(self._engine) as session:
                    store_ranking(session, review_id=review_id, ranking=ranking)
                with self._lock:
                    if review_id not in self._again:
                        return
                    self._again.discard(review_id)
        except Exception:  # a failed run must not take the app down; the next vote retries
            log.exception("retraining the ranking of review %s failed", review_id)
        finally:
            with self._lock:
                self._running.discard(review_id)
                self._again.discard(review_id)


@st.cache_resource(show_spinner=False)
def _retrainer_for(url: str) -> Retrainer:
    return Retrainer(deps.engine())


def retrainer() -> Retrainer:
    return _retrainer_for(str(deps.engine().url))
