"""What the tests of the pages that keep a study in copies (Extraction, Risk of bias) set up alike:
the demo review with one more study made through the services (as a lead makes it on the Studies
page), a page opened as one of its people, and the page's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Record, StudyReport, User
from review_app.models import Review as ReviewRow
from review_app.services.permissions import Actor
from review_app.services.progress import unique_record_ids
from review_app.services.studies import create_study


@dataclass(frozen=True)
class Review:
    """The demo review, its people's ids by name, and the study the tests work on."""

    url: str
    review_id: int
    study_id: int
    users: dict[str, int]

    def actor(self, name: str) -> Actor:
        return Actor.user(self.users[name])


def free_record_ids(session: Session, review_id: int) -> list[int]:
    """The review's screened records that are no study's report yet, those with an abstract
    first (a study's reports show theirs)."""
    linked = set(session.exec(select(StudyReport.record_id)))
    free = [r for r in unique_record_ids(session, review_id=review_id) if r not in linked]
    with_abstract = {
        r.id for r in session.exec(select(Record).where(col(Record.id).in_(free))) if r.abstract
    }
    return sorted(free, key=lambda r: r not in with_abstract)


def the_review_id(session: Session) -> int:
    """The id of the one review of the database (the demo's)."""
    review_id = session.exec(select(ReviewRow.id)).one()
    assert review_id is not None
    return review_id


def add_study(url: str, label: str, *, design: str | None = None) -> int:
    """A new study of the demo review with one free report (one with an abstract); its id."""
    with session_scope(make_engine(url)) as session:
        review_id = the_review_id(session)
        study = create_study(
            session,
            actor=Actor.operator(),
            review_id=review_id,
            label=label,
            record_ids=free_record_ids(session, review_id)[:1],
            design=design,
        )
        return study.id


def review_with_study(url: str, label: str, *, design: str | None = None) -> Review:
    study_id = add_study(url, label, design=design)
    with session_scope(make_engine(url)) as session:
        review_id = the_review_id(session)
        users = {u.name: u.id for u in session.exec(select(User)) if u.id is not None}
    return Review(url, review_id, study_id, users)


def page_as(
    page: Callable[[], None],
    review: Review,
    name: str,
    role: str,
    state: Mapping[str, object],
) -> AppTest:
    """``page`` run as ``name`` with ``role``, the widgets' values in ``state`` set first."""
    app = AppTest.from_function(page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = review.users[name], name
    app.session_state["review_id"], app.session_state["role"] = review.review_id, role
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def text_of(app: AppTest) -> str:
    """Everything the page says in Markdown, captions, plain text and alerts, escapes off."""
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [t.value for t in app.text]
    parts += [e.value for e in app.error] + [s.value for s in app.success]
    parts += [i.value for i in app.info]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # Markdown escapes off


def report_of(review: Review) -> tuple[str, str | None]:
    """The title and abstract of the study's (one) report."""
    with session_scope(make_engine(review.url)) as session:
        record_id = session.exec(
            select(StudyReport.record_id).where(StudyReport.study_id == review.study_id)
        ).one()
        record = session.get(Record, record_id)
        assert record is not None
        return record.title, record.abstract


def name_tool(url: str, design: str, tool_name: str) -> None:
    """The demo review's protocol names ``tool_name`` ("ROBINS-I V2") for ``design``."""
    with session_scope(make_engine(url)) as session:
        row = session.get(ReviewRow, the_review_id(session))
        assert row is not None
        tools = {**row.protocol["risk_of_bias"], design: tool_name}
        row.protocol = {**row.protocol, "risk_of_bias": tools}
