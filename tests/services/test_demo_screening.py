"""The demo review's partly screened state: votes that follow the protocol and the records'
facts, honest conflicts left to the lead, records still to screen, all cast through the
screening service (so its rules and audit apply)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from review_app.errors import ValidationError
from review_app.models import AuditEvent, Decision, Record, User
from review_app.protocol import load_protocol
from review_app.services.conflicts import list_conflicts
from review_app.services.demo import seed_demo
from review_app.services.demo_screening import (
    DEMO_SCREENING,
    normalize_title,
    seed_demo_screening,
)
from review_app.services.permissions import Actor
from review_app.services.progress import unique_record_ids
from review_app.services.screening import count_remaining
from tests.conftest import KRATOM_PROTOCOL, SHARED_DATA
from tests.scripts import load_script

RECORDS = SHARED_DATA / "kratom" / "records.jsonl"
DATA: dict[str, Any] = json.loads(DEMO_SCREENING.read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = DATA["entries"]
DISAGREEMENTS = {e["record_id"] for e in ENTRIES if "disagreement" in e}

needs_records = pytest.mark.skipif(
    not RECORDS.is_file(),
    reason=f"{RECORDS} is absent (it ships beside the repository in CI, not in a clone)",
)


def _builder() -> ModuleType:
    return load_script("scripts/build_demo_screening.py")


def _user(session: Session, name: str) -> Actor:
    user_id = session.exec(select(User.id).where(User.name == name)).one()
    assert user_id is not None
    return Actor.user(user_id)


def _votes(stage: str) -> list[dict[str, Any]]:
    return [vote for entry in ENTRIES for vote in entry.get(stage) or []]


# --- the file itself (no database) -------------------------------------------------------------


def test_the_file_leaves_a_partly_screened_review() -> None:
    both = [e for e in ENTRIES if len(e["title_abstract"]) == 2]
    one = [e for e in ENTRIES if len(e["title_abstract"]) == 1]
    assert (len(both), len(one)) == (DATA["voted_by_both"], DATA["voted_by_one"])
    assert len(both) + len(one) + len(DATA["not_screened"]) == DATA["records_in_demo"] == 86
    assert 0.6 <= len(both) / 86 <= 0.8  # about 70 % screened by both, the rest still to do
    assert {v["reviewer"] for e in one for v in e["title_abstract"]} == {"reviewer1", "reviewer2"}
    assert 3 <= len(DISAGREEMENTS) <= 5
    for entry in ENTRIES:
        assert entry.get("pmid") or entry.get("doi") or entry.get("title"), entry["record_id"]
        reviewers = [v["reviewer"] for v in entry["title_abstract"]]
        assert len(set(reviewers)) == len(reviewers), entry["record_id"]


def test_votes_follow_the_protocol() -> None:
    protocol = load_protocol(KRATOM_PROTOCOL)
    at_title_abstract = {r.id for r in protocol.exclusion_reasons if r.stage == "both"}
    at_full_text = {r.id for r in protocol.exclusion_reasons}
    for stage, allowed in (("title_abstract", at_title_abstract), ("full_text", at_full_text)):
        for vote in _votes(stage):
            assert vote["vote"] in ("include", "exclude", "maybe")
            if vote["vote"] == "exclude":
                assert vote["reason"] in allowed, vote  # every exclusion gives a valid reason
            else:
                assert vote["reason"] is None, vote
    # disagreements are include-or-maybe against exclude; every other pair agrees
    for entry in ENTRIES:
        passes = {v["vote"] != "exclude" for v in entry["title_abstract"]}
        if len(entry["title_abstract"]) == 2:
            assert (passes == {True, False}) == (entry["record_id"] in DISAGREEMENTS), entry


@needs_records
def test_votes_match_the_records_facts() -> None:
    """Animal / in-vitro work is excluded as such, no record with a recorded neuropathic-pain
    population is excluded for its population, and notes add no number the record lacks."""
    records = {r["record_id"]: r for r in _builder().builder.load_records(RECORDS)}
    fields = ("title", "abstract_summary", "design", "population", "notes", "record_type")
    for entry in ENTRIES:
        r = records[entry["record_id"]]
        assert entry["title"].rstrip(".") == r["title"].rstrip(".")
        assert entry.get("pmid") in (None, r.get("pmid"))
        assert entry.get("doi") in (None, (r.get("doi") or "").lower())
        source = " ".join(str(r.get(f) or "") for f in fields).replace(",", "")
        for vote in entry["title_abstract"]:
            if r["population"] in ("animal", "in vitro"):
                assert vote["reason"] == "animal_or_in_vitro", entry["record_id"]
            if r["neuropathic"] is not False:
                assert vote["reason"] != "wrong_population", entry["record_id"]
            for number in re.findall(r"\d+(?:\.\d+)?", (vote["note"] or "").replace(",", "")):
                pattern = r"(?<![\d.])" + re.escape(number) + r"(?!\d)"
                assert re.search(pattern, source), f"{entry['record_id']}: {number} not in record"


@needs_records
def test_the_file_is_rebuilt_identically_from_the_records() -> None:
    script = _builder()
    records = script.builder.load_records(RECORDS)
    abstracts = script.builder.load_abstracts(script.DEFAULT_ABSTRACTS)
    text = script.render(script.build(records, abstracts))
    assert DEMO_SCREENING.read_bytes() == text.encode("utf-8"), "rebuild screening.json"


# --- seeding the demo review ------------------------------------------------------------------


def test_seeding_casts_every_vote_as_the_demo_reviewers(session: Session) -> None:
    review = seed_demo(session, screening=False)
    summary = seed_demo_screening(session, review_id=review.id)

    ta_votes = len(_votes("title_abstract"))
    assert summary.votes_cast == ta_votes + summary.full_text_votes
    assert (summary.voted_by_both, summary.voted_by_one) == (
        DATA["voted_by_both"],
        DATA["voted_by_one"],
    )
    assert summary.not_screened == len(DATA["not_screened"])
    assert summary.records_left == summary.voted_by_one + summary.not_screened > 0

    # every entry found, each on its own screened record
    voted = set(
        session.exec(select(Decision.record_id).where(Decision.review_id == review.id)).all()
    )
    assert len(voted) == len(ENTRIES)
    assert voted <= set(unique_record_ids(session, review_id=review.id))

    # the disagreements are left as conflicts for the lead, with both votes
    lead = _user(session, "lead")
    conflicts = list_conflicts(session, actor=lead, review_id=review.id, stage="title_abstract")
    assert len(conflicts) == summary.conflicts == len(DISAGREEMENTS) >= 3
    expected = {normalize_title(e["title"]) for e in ENTRIES if e["record_id"] in DISAGREEMENTS}
    assert {normalize_title(c.record.title) for c in conflicts} == expected
    for conflict in conflicts:
        assert conflict.reviewers == ("reviewer1", "reviewer2")
        assert sorted(v.vote for v in conflict.votes) == ["exclude", "maybe"]
        assert all(v.note for v in conflict.votes)

    # each reviewer still has records to screen
    for name in ("reviewer1", "reviewer2"):
        remaining = count_remaining(
            session, actor=_user(session, name), review_id=review.id, stage="title_abstract"
        )
        mine = sum(v["reviewer"] == name for v in _votes("title_abstract"))
        assert remaining == 86 - mine > 0

    # the screening rules applied: every exclusion at full text has a reason
    decisions = session.exec(select(Decision).where(Decision.review_id == review.id)).all()
    assert all(d.reason for d in decisions if d.vote == "exclude" and d.stage == "full_text")
    assert all(d.reason for d in decisions if d.vote == "exclude")
    # ... and the audit trail names the reviewers who voted
    events = session.exec(
        select(AuditEvent.user_id, func.count())
        .where(AuditEvent.review_id == review.id, AuditEvent.action == "vote.create")
        .group_by(col(AuditEvent.user_id))
    ).all()
    names = dict(session.exec(select(User.id, User.name)).all())
    assert {names[user_id]: n for user_id, n in events} == {
        name: sum(v["reviewer"] == name for v in _votes("title_abstract"))
        + sum(v["reviewer"] == name for v in _votes("full_text"))
        for name in ("reviewer1", "reviewer2")
    }


def test_seeding_twice_changes_nothing(session: Session) -> None:
    review = seed_demo(session, screening=False)
    first = seed_demo_screening(session, review_id=review.id)
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert seed_demo_screening(session, review_id=review.id) == first
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events


def _write(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "screening.json"
    path.write_text(json.dumps({"entries": entries}), encoding="utf-8")
    return path


def test_an_entry_that_matches_no_record_is_an_error(session: Session, tmp_path: Path) -> None:
    review = seed_demo(session, screening=False)
    entry = {
        "record_id": "kratom-999",
        "pmid": None,
        "doi": "10.9999/not-in-the-demo",
        "title": "A study the demo searches do not hold",
        "title_abstract": [{"reviewer": "reviewer1", "vote": "exclude", "reason": None}],
    }
    with pytest.raises(ValidationError, match=r"kratom-999 \(10\.9999/not-in-the-demo\)"):
        seed_demo_screening(session, review_id=review.id, path=_write(tmp_path, [entry]))
    assert session.exec(select(func.count()).select_from(Decision)).one() == 0


def test_entries_are_found_by_title_despite_case_and_punctuation(
    session: Session, tmp_path: Path
) -> None:
    """Title matching ignores case and punctuation; full-text votes follow title/abstract ones
    and go through the same rules (an exclusion at full text needs a reason)."""
    review = seed_demo(session, screening=False)
    pubmed_title = (
        "Kratom and Pain Tolerance: A Randomized, Placebo-Controlled, Double-Blind Study."
    )
    record_id = session.exec(select(Record.id).where(Record.title == pubmed_title)).first()
    assert record_id is not None
    votes = [
        {"reviewer": "reviewer1", "vote": "maybe"},
        {"reviewer": "reviewer2", "vote": "include"},
    ]
    entry = {
        "record_id": "kratom-001",
        "title": "KRATOM AND PAIN TOLERANCE - a randomized placebo-controlled double-blind study",
        "title_abstract": votes,
        "full_text": [{"reviewer": "reviewer1", "vote": "exclude", "reason": "wrong_population"}],
    }
    summary = seed_demo_screening(session, review_id=review.id, path=_write(tmp_path, [entry]))
    assert (summary.votes_cast, summary.full_text_votes, summary.conflicts) == (3, 1, 0)
    full_text = session.exec(select(Decision).where(Decision.stage == "full_text")).one()
    assert full_text.record_id in unique_record_ids(session, review_id=review.id)
    assert full_text.reason == "wrong_population"

    entry["full_text"] = [{"reviewer": "reviewer2", "vote": "exclude", "reason": None}]
    with pytest.raises(ValidationError, match="needs a reason"):
        seed_demo_screening(session, review_id=review.id, path=_write(tmp_path, [entry]))
