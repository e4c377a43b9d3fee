"""Extraction services on SQLite and PostgreSQL: slots, blinding, validation (every problem named,
nothing written), audit per changed item, completion, consensus, and the copies read and
replaced for the files' export and import."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, EffectMeasure, ExtractionStatus, StudyDesign
from review_app.errors import (
    ConflictError,
    ExtractionProblems,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import AuditEvent, Extraction, ExtractionResult
from review_app.protocol import ExtractionSettings, load_protocol
from review_app.services.extraction import (
    compare_study,
    get_copy,
    list_progress,
    open_copy,
    read_copies,
    replace_copies,
    save_copy,
    set_complete,
    start_consensus,
    take_item,
)
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, add_member
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.copies_fixtures import actors, add_study, review_with, stage_events

# The kratom protocol's required characteristics, filled in.
REQUIRED = {
    "study_id": "Vicknasingam 2020",
    "country": "Malaysia",
    "design": "crossover RCT",
    "condition": "other",
    "n_randomised": "26",
    "kratom_product": "kratom decoction",
    "dose": "as usual",
    "comparator": "placebo drink",
}
PAIN = "pain_intensity"
ARMS = (
    Arm(label="Kratom", role=ArmRole.INTERVENTION, randomised=26),
    Arm(label="Placebo", role=ArmRole.COMPARATOR, randomised=26),
)


def pain(arm: str, *, mean: float = 10.0, sd: float = 5.0, timepoint: str = "1 h") -> Result:
    return Result(
        outcome_id=PAIN,
        timepoint=timepoint,
        arm=arm,
        format="mean_sd",
        values={"n": 26, "mean": mean, "sd": sd},
    )


def copy(**changes: object) -> StudyExtraction:
    """A complete-able copy: required characteristics, two arms, pain at 1 h in both."""
    base = StudyExtraction(
        study="Vicknasingam 2020",
        extractor=None,
        design=Design(kind=StudyDesign.CROSSOVER, crossover_correlation=0.5),
        characteristics=dict(REQUIRED),
        arms=ARMS,
        results=(pain("Kratom", mean=12.5), pain("Placebo")),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def people(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return actors(team)


@pytest.fixture
def study_id(session: Session, review: ReviewPublic) -> int:
    return add_study(session, review.id, "Vicknasingam 2020")


def other_review(
    session: Session, team: dict[str, UserPublic], *, per_study: int, blind: bool
) -> tuple[int, int]:
    """A review whose protocol sets extraction differently, with the team and one study."""
    protocol = dataclasses.replace(
        load_protocol(KRATOM_PROTOCOL),
        extraction=ExtractionSettings(extractors_per_study=per_study, blind=blind),
    )
    return review_with(session, team, protocol, name=f"x{per_study}{blind}", label="Smith 2021")


def events(session: Session, review_id: int, action: str | None = None) -> list[AuditEvent]:
    return stage_events(session, review_id, "extraction", action)


def opened(session: Session, review: ReviewPublic, study_id: int, actor: Actor) -> int:
    return open_copy(session, actor=actor, review_id=review.id, study_id=study_id).extraction_id


def saved(
    session: Session, review_id: int, actor: Actor, extraction_id: int, data: StudyExtraction
) -> None:
    save_copy(session, actor=actor, review_id=review_id, extraction_id=extraction_id, data=data)


# --- slots --------------------------------------------------------------------------------------


def test_opening_a_study_claims_the_first_free_slot_once(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    rita = open_copy(session, actor=people["rita"], review_id=review.id, study_id=study_id)
    raj = open_copy(session, actor=people["raj"], review_id=review.id, study_id=study_id)
    assert (rita.slot, rita.extractor_name, raj.slot) == (1, "rita", 2)
    assert rita.status == ExtractionStatus.IN_PROGRESS and rita.data.arms == ()
    again = open_copy(session, actor=people["rita"], review_id=review.id, study_id=study_id)
    assert again.extraction_id == rita.extraction_id
    with pytest.raises(ConflictError, match=r"already has its 2 extractor\(s\).*no copy for you"):
        open_copy(session, actor=people["lena"], review_id=review.id, study_id=study_id)
    claims = events(session, review.id, "extraction.claim")
    assert [e.after["slot"] for e in claims] == [1, 2]  # type: ignore[index]


def test_a_lead_may_extract_and_the_operator_holds_no_copy(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    assert opened(session, review, study_id, people["lena"])
    with pytest.raises(ValidationError, match="act as a user"):
        open_copy(session, actor=Actor.operator(), review_id=review.id, study_id=study_id)


def test_only_studies_of_the_review_are_extracted(
    session: Session,
    review: ReviewPublic,
    study_id: int,
    team: dict[str, UserPublic],
    people: dict[str, Actor],
) -> None:
    _other, foreign = other_review(session, team, per_study=2, blind=True)
    with pytest.raises(NotFoundError, match="Studies page"):
        open_copy(session, actor=people["rita"], review_id=review.id, study_id=foreign)
    stranger = create_user(session, name="sam", password="sam-password")
    with pytest.raises(PermissionDeniedError):
        open_copy(session, actor=Actor.user(stranger.id), review_id=review.id, study_id=study_id)


# --- saving: normalised, checked whole, audited -------------------------------------------------


def test_a_save_stores_the_copy_normalised_with_what_it_derives(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    mine = opened(session, review, study_id, people["rita"])
    data = copy(
        characteristics={**REQUIRED, "n_randomised": " 26 ", "setting": "Outpatient"},
        arms=(Arm(label=" Kratom ", role=ArmRole.INTERVENTION), ARMS[1]),
        results=(Result(PAIN, " 1 h ", "kratom", "mean_se", {"n": 25, "mean": 10.0, "se": 1.0}),),
        indirect_evidence=" healthy volunteers ",
    )
    view = save_copy(
        session, actor=people["rita"], review_id=review.id, extraction_id=mine, data=data
    )
    assert view.data.characteristics["n_randomised"] == "26"
    assert view.data.characteristics["setting"] == "outpatient"
    assert [arm.label for arm in view.data.arms] == ["Kratom", "Placebo"]
    [result] = view.data.results
    assert (result.arm, result.timepoint) == ("Kratom", "1 h")
    assert view.data.indirect_evidence == "healthy volunteers"
    assert view.derived[result.key].values["sd"] == pytest.approx(5.0)  # SD = SE x sqrt(n)
    assert view.data.extractor == "rita" and view.data.design.crossover_correlation == 0.5
    reread = get_copy(session, actor=people["rita"], review_id=review.id, extraction_id=mine)
    assert reread.data == view.data


def test_every_problem_is_named_and_nothing_is_written(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    mine = opened(session, review, study_id, people["rita"])
    before = len(events(session, review.id))
    bad = copy(
        characteristics={**REQUIRED, "n_randomised": "26.5", "shoe_size": "42"},
        design=Design(kind=StudyDesign.CLUSTER, icc=1.5),
        arms=(*ARMS, Arm(label="placebo ", role=ArmRole.COMPARATOR)),
        results=(
            pain("Kratom", sd=0.0),
            Result(PAIN, "1 h", "Placebo", "mean_sd", {"n": 25.5, "mean": 1.0, "sd": 1.0}),
            Result("withdrawals_adverse_events", "", "Kratom", "events_total",
                   {"events": 30, "total": 26}),
            Result(PAIN, "2 h", "Kratom", "mean_ci",
                   {"n": 26, "ci_lower": 6.0, "ci_upper": 4.0}),
            Result(PAIN, "1 h", "Water", "mean_sd", {"n": 26, "mean": 1.0, "sd": 1.0}),
            Result("sleep", "1 h", "Kratom", "mean_sd", {}),
        ),
    )  # fmt: skip
    with pytest.raises(ExtractionProblems) as caught:
        save_copy(session, actor=people["rita"], review_id=review.id, extraction_id=mine, data=bad)
    found = {(p.where, p.field) for p in caught.value.problems}
    assert found == {
        ("characteristics", "n_randomised"),
        ("characteristics", "shoe_size"),
        ("design", "icc"),
        ("arm 'placebo'", "label"),
        ("Pain intensity at '1 h', arm 'Kratom'", "sd"),
        ("Pain intensity at '1 h', arm 'Placebo'", "n"),
        ("Withdrawals due to adverse events, arm 'Kratom'", "total"),
        ("Pain intensity at '2 h', arm 'Kratom'", "ci_upper"),
        ("Pain intensity at '1 h', arm 'Water'", "arm"),
        ("sleep at '1 h', arm 'Kratom'", "outcome"),
    }
    text = str(caught.value)
    assert "10 problem(s) found; nothing was saved" in text
    assert "Pain intensity at '1 h', arm 'Kratom', sd: " in text
    assert "not a whole number" in text and "allowed: study_id, registration" in text
    view = get_copy(session, actor=people["rita"], review_id=review.id, extraction_id=mine)
    assert view.data.results == () and view.data.characteristics == {}
    assert len(events(session, review.id)) == before


def test_each_changed_item_is_one_audit_event(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    mine = opened(session, review, study_id, people["rita"])
    saved(session, review.id, people["rita"], mine, copy())
    first = events(session, review.id)
    assert {e.action for e in first[1:]} == {
        "extraction.value",
        "extraction.design",
        "extraction.arm",
        "extraction.result",
    }
    changed = copy(
        characteristics={**REQUIRED, "country": "Thailand"},
        results=(pain("Kratom", mean=13.0), pain("Placebo")),
    )
    saved(session, review.id, people["rita"], mine, changed)
    country, result = events(session, review.id)[len(first) :]
    assert (country.action, country.entity, country.entity_id) == (
        "extraction.value",
        "extraction",
        mine,
    )
    assert country.before["value"] == "Malaysia" and country.after["value"] == "Thailand"  # type: ignore[index]
    assert country.after["field"] == "country" and country.after["slot"] == 1  # type: ignore[index]
    assert result.action == "extraction.result"
    assert result.before["value"]["values"]["mean"] == 12.5  # type: ignore[index]
    assert result.after["value"]["values"]["mean"] == 13.0  # type: ignore[index]
    saved(session, review.id, people["rita"], mine, changed)  # the same again: nothing changed
    assert len(events(session, review.id)) == len(first) + 2


# --- blinding -----------------------------------------------------------------------------------


def test_a_blind_reviewer_sees_and_edits_only_their_own_copy(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    rita, raj = (opened(session, review, study_id, people[n]) for n in ("rita", "raj"))
    saved(session, review.id, people["rita"], rita, copy())
    set_complete(
        session, actor=people["rita"], review_id=review.id, extraction_id=rita, complete=True
    )
    with pytest.raises(PermissionDeniedError, match="while extraction is blind"):
        get_copy(session, actor=people["raj"], review_id=review.id, extraction_id=rita)
    with pytest.raises(PermissionDeniedError, match="another extractor's"):
        saved(session, review.id, people["raj"], rita, copy())
    with pytest.raises(PermissionDeniedError, match="for leads while extraction is blind"):
        compare_study(session, actor=people["raj"], review_id=review.id, study_id=study_id)
    [progress] = list_progress(session, actor=people["raj"], review_id=review.id)
    assert (progress.taken, progress.slots, progress.mine) == (2, 2, ExtractionStatus.IN_PROGRESS)
    assert (progress.extractors, progress.consensus, progress.discrepancies) == ([], None, None)
    [lead_view] = list_progress(session, actor=people["lena"], review_id=review.id)
    assert lead_view.extractors == [
        ("rita", ExtractionStatus.COMPLETE),
        ("raj", ExtractionStatus.IN_PROGRESS),
    ]
    assert lead_view.mine is None and lead_view.record_ids == progress.record_ids
    assert get_copy(session, actor=people["lena"], review_id=review.id, extraction_id=raj)


def test_without_blinding_a_studys_extractors_read_each_others_copies(
    session: Session, team: dict[str, UserPublic], people: dict[str, Actor]
) -> None:
    review_id, study_id = other_review(session, team, per_study=2, blind=False)
    rita = open_copy(session, actor=people["rita"], review_id=review_id, study_id=study_id)
    saved(session, review_id, people["rita"], rita.extraction_id, copy())
    outsider = create_user(session, name="olga", password="olga-password")
    add_member(
        session, actor=Actor.operator(), review_id=review_id, user_id=outsider.id, role="reviewer"
    )
    with pytest.raises(PermissionDeniedError, match="open to its extractors"):
        get_copy(
            session,
            actor=Actor.user(outsider.id),
            review_id=review_id,
            extraction_id=rita.extraction_id,
        )
    open_copy(session, actor=people["raj"], review_id=review_id, study_id=study_id)
    seen = get_copy(
        session, actor=people["raj"], review_id=review_id, extraction_id=rita.extraction_id
    )
    assert seen.data.characteristics["country"] == "Malaysia"
    comparison = compare_study(session, actor=people["raj"], review_id=review_id, study_id=study_id)
    assert [c.extractor_name for c in comparison.columns] == ["rita", "raj"]
    [progress] = list_progress(session, actor=people["raj"], review_id=review_id)
    assert [name for name, _status in progress.extractors] == ["rita", "raj"]
    with pytest.raises(PermissionDeniedError):
        start_consensus(session, actor=people["raj"], review_id=review_id, study_id=study_id)


# --- completion ---------------------------------------------------------------------------------


def test_completion_needs_every_required_characteristic(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    mine = opened(session, review, study_id, people["rita"])
    partial = {k: v for k, v in REQUIRED.items() if k not in ("country", "dose")}
    saved(session, review.id, people["rita"], mine, copy(characteristics=partial))
    with pytest.raises(ExtractionProblems, match=r"2 required field\(s\) empty") as caught:
        set_complete(
            session, actor=people["rita"], review_id=review.id, extraction_id=mine, complete=True
        )
    assert "Country or countries" in str(caught.value) and "Dose" in str(caught.value)
    assert [p.field for p in caught.value.problems] == ["country", "dose"]
    saved(session, review.id, people["rita"], mine, copy())
    done = set_complete(
        session, actor=people["rita"], review_id=review.id, extraction_id=mine, complete=True
    )
    assert done.status == ExtractionStatus.COMPLETE and done.data.complete
    again = set_complete(
        session, actor=people["rita"], review_id=review.id, extraction_id=mine, complete=False
    )
    assert again.status == ExtractionStatus.IN_PROGRESS
    statuses = [e.after["status"] for e in events(session, review.id, "extraction.status")]  # type: ignore[index]
    assert statuses == ["complete", "in_progress"]


def test_with_one_extractor_a_completed_copy_becomes_the_consensus(
    session: Session, team: dict[str, UserPublic], people: dict[str, Actor]
) -> None:
    review_id, study_id = other_review(session, team, per_study=1, blind=True)
    mine = open_copy(session, actor=people["rita"], review_id=review_id, study_id=study_id)
    saved(session, review_id, people["rita"], mine.extraction_id, copy())
    set_complete(
        session,
        actor=people["rita"],
        review_id=review_id,
        extraction_id=mine.extraction_id,
        complete=True,
    )
    [consensus] = read_copies(
        session, actor=people["lena"], review_id=review_id, values="consensus"
    )
    assert consensus.extractor is None and consensus.complete
    assert consensus.results == copy().results and consensus.characteristics == REQUIRED
    assert events(session, review_id, "extraction.consensus_from_copy")
    corrected = copy(characteristics={**REQUIRED, "country": "Thailand"})
    saved(session, review_id, people["rita"], mine.extraction_id, corrected)  # still complete
    [consensus] = read_copies(
        session, actor=people["lena"], review_id=review_id, values="consensus"
    )
    assert consensus.characteristics["country"] == "Thailand"
    with pytest.raises(ConflictError, match="already has its 1 extractor"):
        open_copy(session, actor=people["raj"], review_id=review_id, study_id=study_id)


# --- consensus ----------------------------------------------------------------------------------


def two_complete_copies(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> tuple[int, int]:
    """Rita and Raj differ on the country and on the Kratom arm's mean at 1 h."""
    rita, raj = (opened(session, review, study_id, people[n]) for n in ("rita", "raj"))
    saved(session, review.id, people["rita"], rita, copy())
    theirs = copy(
        characteristics={**REQUIRED, "country": "Thailand"},
        results=(pain("Kratom", mean=13.0), pain("Placebo")),
    )
    saved(session, review.id, people["raj"], raj, theirs)
    for actor, extraction_id in ((people["rita"], rita), (people["raj"], raj)):
        set_complete(
            session, actor=actor, review_id=review.id, extraction_id=extraction_id, complete=True
        )
    return rita, raj


def test_the_consensus_starts_from_agreed_items_and_the_lead_resolves_the_rest(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    lena = people["lena"]
    with pytest.raises(ConflictError, match="no extractor has marked"):
        start_consensus(session, actor=lena, review_id=review.id, study_id=study_id)
    _rita, raj = two_complete_copies(session, review, study_id, people)
    with pytest.raises(PermissionDeniedError):
        start_consensus(session, actor=people["rita"], review_id=review.id, study_id=study_id)
    consensus = start_consensus(session, actor=lena, review_id=review.id, study_id=study_id)
    assert consensus.is_consensus and consensus.data.extractor is None
    assert "country" not in consensus.data.characteristics  # not agreed
    assert [r.arm for r in consensus.data.results] == ["Placebo"]  # Kratom's mean differs
    comparison = compare_study(session, actor=lena, review_id=review.id, study_id=study_id)
    assert [c.extractor_name for c in comparison.columns] == ["rita", "raj"]
    discrepant = [i for i in comparison.items if not i.same]
    assert {i.item.key[0] for i in discrepant} == {"characteristic", "result"}
    assert comparison.unresolved == 2 and 0 < (comparison.agreement or 0) < 1
    country = next(i for i in discrepant if i.item.key == ("characteristic", "country"))
    assert (country.values, country.consensus) == (("Malaysia", "Thailand"), None)
    [progress] = list_progress(session, actor=lena, review_id=review.id)
    assert progress.discrepancies == 2 and progress.consensus == ExtractionStatus.IN_PROGRESS

    taken = take_item(
        session,
        actor=lena,
        review_id=review.id,
        study_id=study_id,
        key=country.item.key,
        from_extraction_id=raj,
    )
    assert taken.data.characteristics["country"] == "Thailand"
    [event] = events(session, review.id, "extraction.consensus_take")
    assert event.before["value"] is None and event.after["value"] == "Thailand"  # type: ignore[index]
    assert event.after["item"] == ["characteristic", "country"] and event.after["from_slot"] == 2  # type: ignore[index]
    after = compare_study(session, actor=lena, review_id=review.id, study_id=study_id)
    country = next(i for i in after.items if i.item.key == ("characteristic", "country"))
    assert (country.consensus, country.resolved, after.unresolved) == ("Thailand", True, 1)

    # The lead settles the other one by editing the consensus: its own value, decided.
    edited = dataclasses.replace(
        taken.data, results=(*taken.data.results, pain("Kratom", mean=12.75))
    )
    save_copy(
        session, actor=lena, review_id=review.id, extraction_id=taken.extraction_id, data=edited
    )
    settled = compare_study(session, actor=lena, review_id=review.id, study_id=study_id)
    assert settled.unresolved == 0
    with pytest.raises(PermissionDeniedError, match="only leads edit the consensus"):
        saved(session, review.id, people["rita"], taken.extraction_id, edited)
    with pytest.raises(NotFoundError, match="no extractor copy"):
        take_item(
            session,
            actor=lena,
            review_id=review.id,
            study_id=study_id,
            key=country.item.key,
            from_extraction_id=taken.extraction_id,
        )


# --- read and replace (export and import) --------------------------------------------------------


def test_copies_read_for_export_and_replaced_by_an_import(
    session: Session,
    review: ReviewPublic,
    study_id: int,
    team: dict[str, UserPublic],
    people: dict[str, Actor],
) -> None:
    lena = people["lena"]
    two_complete_copies(session, review, study_id, people)
    with pytest.raises(PermissionDeniedError):
        read_copies(session, actor=people["rita"], review_id=review.id, values="all")
    everything = read_copies(session, actor=lena, review_id=review.id, values="all")
    assert [c.extractor for c in everything] == ["rita", "raj"]
    assert read_copies(session, actor=lena, review_id=review.id, values="consensus") == []
    with pytest.raises(ValidationError, match="allowed are consensus, all"):
        read_copies(session, actor=lena, review_id=review.id, values="some")  # type: ignore[arg-type]

    unchanged = replace_copies(session, actor=lena, review_id=review.id, copies=everything)
    assert (unchanged.created, unchanged.replaced) == (0, 2)
    assert read_copies(session, actor=lena, review_id=review.id, values="all") == everything

    consensus = dataclasses.replace(everything[0], extractor=None, complete=True)
    done = replace_copies(session, actor=lena, review_id=review.id, copies=[consensus])
    assert (done.created, done.replaced) == (1, 0)
    [stored] = read_copies(session, actor=lena, review_id=review.id, values="consensus")
    assert stored == consensus
    imported = events(session, review.id, "extraction.import")
    assert imported[-1].before is None and imported[-1].after["complete"] is True  # type: ignore[index]


def test_an_import_lists_every_problem_and_writes_nothing(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    lena = people["lena"]
    two_complete_copies(session, review, study_id, people)
    before = session.exec(select(ExtractionResult)).all()
    copies = [
        copy(study="Nobody 1999", extractor="rita"),
        copy(extractor="ghost"),
        copy(extractor="lena"),  # both slots are taken by rita and raj
        copy(extractor=None, results=(pain("Kratom", sd=-1.0),)),
        copy(extractor=None),  # the consensus twice
        copy(extractor="rita", complete=True, characteristics={"country": "Malaysia"}),
    ]
    with pytest.raises(ExtractionProblems, match="nothing was imported") as caught:
        replace_copies(session, actor=lena, review_id=review.id, copies=copies)
    found = [(p.where, p.field) for p in caught.value.problems]
    assert ("Nobody 1999 (rita)", "study") in found
    assert ("Vicknasingam 2020 (ghost)", "extractor") in found
    assert ("Vicknasingam 2020 (lena)", "extractor") in found
    assert ("Vicknasingam 2020 (consensus), Pain intensity at '1 h', arm 'Kratom'", "sd") in found
    assert ("Vicknasingam 2020 (consensus)", "") in found
    assert ("Vicknasingam 2020 (rita)", "study_id") in found  # required in a complete copy
    assert session.exec(select(ExtractionResult)).all() == before
    assert session.exec(select(Extraction).where(Extraction.slot == 0)).all() == []


def test_results_keep_their_measure_and_contrasts(
    session: Session, review: ReviewPublic, study_id: int, people: dict[str, Actor]
) -> None:
    mine = opened(session, review, study_id, people["rita"])
    contrast = Result(
        outcome_id=PAIN,
        timepoint="1 h",
        arm="Kratom",
        comparator="Placebo",
        format="paired_t",
        values={"estimate": -1.2, "t": 2.5, "n": 26},
        measure=EffectMeasure.MD,
        adjusted=True,
        note="paired analysis",
    )
    view = save_copy(
        session,
        actor=people["rita"],
        review_id=review.id,
        extraction_id=mine,
        data=copy(results=(contrast,)),
    )
    assert view.data.results == (contrast,)
    assert view.derived[contrast.key].values["se"] == pytest.approx(1.2 / 2.5)
    blank = dataclasses.replace(pain("Kratom"), comparator=" ")  # a form's empty comparator box
    view = save_copy(
        session,
        actor=people["rita"],
        review_id=review.id,
        extraction_id=mine,
        data=copy(results=(blank,)),
    )
    assert view.data.results == (pain("Kratom"),)
    with pytest.raises(ExtractionProblems) as caught:
        save_copy(
            session,
            actor=people["rita"],
            review_id=review.id,
            extraction_id=mine,
            data=copy(results=(dataclasses.replace(contrast, measure=None),)),
        )
    [problem] = caught.value.problems
    assert (problem.where, problem.field) == (
        "Pain intensity at '1 h', 'Kratom' vs 'Placebo'",
        "measure",
    )
