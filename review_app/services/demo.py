"""The demo review: the kratom protocol, three demo accounts and its searches from four sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from review_app.domain.vocabulary import Role
from review_app.models import Review, User
from review_app.services.deduplication import run_automatic_pass
from review_app.services.demo_appraisal import seed_demo_appraisal
from review_app.services.demo_extraction import seed_demo_extraction
from review_app.services.demo_grade import seed_demo_grade
from review_app.services.demo_screening import seed_demo_screening
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, add_member, create_review, get_review
from review_app.services.users import create_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_PROTOCOL = PROJECT_ROOT / "protocols" / "kratom-neuropathic-pain.toml"
DEMO_REVIEW_NAME = "kratom-neuropathic-pain"
DEMO_SEARCHES = Path(__file__).resolve().parents[1] / "demo" / "searches"


@dataclass(frozen=True, slots=True)
class DemoSearch:
    file_name: str
    source_name: str
    source_kind: str


DEMO_SEARCH_FILES = (
    DemoSearch("pubmed.nbib", "PubMed", "database"),
    DemoSearch("embase.ris", "Embase", "database"),
    DemoSearch("scopus.csv", "Scopus", "database"),
    DemoSearch("clinicaltrials.csv", "ClinicalTrials.gov", "register"),
)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    name: str
    role: Role
    password: str  # demo only: printed so a newcomer can log in


DEMO_ACCOUNTS = (
    DemoAccount("lead", Role.LEAD, "demo-lead-2026"),
    DemoAccount("reviewer1", Role.REVIEWER, "demo-reviewer1-2026"),
    DemoAccount("reviewer2", Role.REVIEWER, "demo-reviewer2-2026"),
)


def seed_demo(
    session: Session, *, protocol_path: Path = DEMO_PROTOCOL, screening: bool = True
) -> ReviewPublic:
    """Create the demo review, its accounts, its searches (deduplicated) and a partly screened
    state, or return the existing one unchanged."""
    existing = session.exec(select(Review).where(Review.name == DEMO_REVIEW_NAME)).first()
    if existing is not None and existing.id is not None:
        return get_review(session, existing.id)
    review = create_review(session, protocol_path=protocol_path, name=DEMO_REVIEW_NAME)
    for account in DEMO_ACCOUNTS:
        user = session.exec(select(User).where(User.name == account.name)).first()
        user_id = (
            user.id
            if user
            else create_user(session, name=account.name, password=account.password).id
        )
        assert user_id is not None
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=user_id, role=account.role
        )
    for search in DEMO_SEARCH_FILES:
        import_file(
            session,
            actor=Actor.operator(),
            review_id=review.id,
            data=(DEMO_SEARCHES / search.file_name).read_bytes(),
            file_name=search.file_name,
            source_name=search.source_name,
            source_kind=search.source_kind,
        )
    run_automatic_pass(session, actor=Actor.operator(), review_id=review.id)
    if screening:
        seed_demo_screening(session, review_id=review.id)
        study_id = seed_demo_extraction(session, review_id=review.id)
        seed_demo_appraisal(session, review_id=review.id, study_id=study_id)
        seed_demo_grade(session, review_id=review.id)
    return review
