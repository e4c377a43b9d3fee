"""The background ranking worker of this server process, cached for the pages.

The work itself (threads, the quiet period, one trainer when several processes serve a review)
is ``services.ranking_worker``; the pages only ask it to retrain after a vote.
"""

from __future__ import annotations

import streamlit as st

from review_app.services.ranking_worker import RankingWorker
from review_app.ui import deps

Retrainer = RankingWorker  # the name the pages and older tests know


@st.cache_resource(show_spinner=False)
def _retrainer_for(url: str) -> RankingWorker:
    return RankingWorker(deps.engine())


def retrainer() -> RankingWorker:
    return _retrainer_for(str(deps.engine().url))
