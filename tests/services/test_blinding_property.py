"""Blinding as a property: while a review is blind, nothing a reviewer can reach through the
services depends on another reviewer's vote (or, extraction being blind, their extraction).

Two worlds are built, each in a fresh database, identical except for reviewer B's votes on the
shared records (include in one world, exclude in the other; reviewer A voted on them too, so their
outcome differs between the worlds) and B's copy of the study's extraction (other values, complete
in one world only, so the consensus the lead starts from the complete copies differs too), and
likewise B's risk-of-bias copy of the study's pain result (other answers and judgement, complete
in one world only), and the lead's final GRADE judgements of the pain outcome (other comments).
Then
every public service function that takes an ``actor`` (found by introspection, so a new one is
covered without editing this file) is called as A in both worlds, with arguments built from its
parameter names, and the results must be identical: the same value (timestamps normalised) or
the same refusal. A function whose parameters this file cannot fill fails the test by name:
teach ``VALUES`` (or ``RECIPES``) how to call it.

A second test finds every public service function that reads votes (directly, or through the
module functions it calls) and checks it takes an actor, unless it is an internal helper listed
in ``NO_ACTOR`` with the reason its callers are the ones that check.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import itertools
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

import review_app.services
from review_app.db import make_engine, migrate
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer
from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.grade.model import EvidenceSource, GradeContent
from review_app.domain.vocabulary import ArmRole, EffectMeasure, Stage, StageStatus, Vote
from review_app.errors import ReviewAppError
from review_app.services import appraisal, extraction, grade
from review_app.services.analyses import AnalysisSpec
from review_app.services.conflicts import resolve
from review_app.services.extraction import open_copy, save_copy, set_complete, start_consensus
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.prioritisation import refresh_ranking
from review_app.services.records_browser import NOT_VOTED, RecordFilters
from review_app.services.releases import release_outcomes
from review_app.services.reviews import add_member, create_review
from review_app.services.screening import record_vote
from review_app.services.studies import create_study
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL

TA, FT = "title_abstract", "full_text"
RELEVANT = "Kratom for neuropathic pain in adults: a randomised trial of mitragynine"
OTHER = "Soil erosion and rainfall in alpine catchments"
PDF = b"%PDF-1.7\n% a full text\n%%EOF\n"


# --- the two worlds -----------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    session: Session
    review_id: int
    a: Actor
    b: Actor
    lead: Actor
    b_user_id: int
    batch_id: int
    study_id: int
    shared: list[int]  # A include, B differs between the worlds
    a_excludes: list[int]  # A exclude, B differs
    passed: list[int]  # both include at title/abstract, sent on; B differs at full text on [0]
    unscreened: list[int]
    files_dir: Path
    extraction_ids: list[int]  # A's copy, B's copy, the consensus
    appraisal_ids: list[int]  # A's risk-of-bias copy of the pain result, B's

    @property
    def b_extraction_id(self) -> int:
        return self.extraction_ids[1]

    @property
    def record_ids(self) -> list[int]:
        return [*self.shared[:2], *self.a_excludes[:1], *self.passed, *self.unscreened[:1]]


def ris(titles: list[str]) -> bytes:
    return "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  - \n\n" for t in titles).encode()


def build_world(session: Session, *, b_votes: str, files_dir: Path) -> World:
    """The review as it stands after everyone's votes; only B's ``b_votes`` differ."""
    operator = Actor.operator()
    review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="blind")
    people = {}
    for name, role in (("lena", "lead"), ("ana", "reviewer"), ("ben", "reviewer")):
        user = create_user(session, name=name, password=f"{name}-password")
        add_member(session, actor=operator, review_id=review.id, user_id=user.id, role=role)
        people[name] = user
    lead, a, b = (Actor.user(people[n].id) for n in ("lena", "ana", "ben"))
    titles = [f"{RELEVANT} ({i})" for i in range(10)] + [f"{OTHER} ({i})" for i in range(14)]
    summary = import_file(
        session,
        actor=operator,
        review_id=review.id,
        data=ris(titles),
        file_name="search.ris",
        source_name="PubMed",
    )
    from review_app.services.progress import unique_record_ids

    ids = unique_record_ids(session, review_id=review.id)
    shared, passed = ids[0:6], ids[6:8]
    a_excludes, unscreened = ids[10:14], ids[14:]

    def vote(actor: Actor, record_id: int, stage: str, value: str) -> None:
        reason = "animal_or_in_vitro" if stage == FT and value == "exclude" else None
        record_vote(
            session,
            actor=actor,
            review_id=review.id,
            record_id=record_id,
            stage=stage,
            vote=value,
            reason=reason,
            # B's tags differ between the worlds too (the records browser filters by tag)
            tags=["b-tag"] if actor == b and b_votes == "include" else None,
        )

    # Before the votes that differ: two records pass title/abstract and are sent on, a
    # conflict is resolved, a study is made.
    for record_id in passed:
        vote(a, record_id, TA, "include")
        vote(b, record_id, TA, "include")
    vote(a, ids[8], TA, "include")
    vote(b, ids[8], TA, "exclude")
    resolve(session, actor=lead, review_id=review.id, record_id=ids[8], stage=TA, vote="exclude")
    release_outcomes(session, actor=lead, review_id=review.id, stage=TA)
    study = create_study(
        session,
        actor=lead,
        review_id=review.id,
        label="Anon 2020",
        record_ids=[passed[1]],
        design="randomised controlled trial",
    )
    # A's votes, the same in both worlds.
    for record_id in shared:
        vote(a, record_id, TA, "include")
    for record_id in a_excludes:
        vote(a, record_id, TA, "exclude")
    vote(a, passed[0], FT, "include")
    # B's votes: the only difference between the worlds.
    for record_id in [*shared, *a_excludes]:
        vote(b, record_id, TA, b_votes)
    vote(b, passed[0], FT, b_votes)
    # A's risk-of-bias copies first: the ids of A's rows and events are the same in both worlds.
    appraisal_ids = [assess(session, review.id, study.id, a, LOW_COPY, complete=False)]
    extraction_ids = extract(session, review.id, study.id, a=a, b=b, lead=lead, b_votes=b_votes)
    b_copy = HIGH_COPY if b_votes == "include" else LOW_COPY
    appraisal_ids.append(
        assess(session, review.id, study.id, b, b_copy, complete=b_votes == "include")
    )
    # The lead's final GRADE judgements of the pain outcome, last (A's ids stay the same).
    grade.save_content(
        session,
        actor=lead,
        review_id=review.id,
        outcome_id=PAIN,
        content=GradeContent(source=EvidenceSource.NARRATIVE, comments=f"B voted {b_votes}"),
        final=True,
    )
    refresh_ranking(session, review_id=review.id)
    session.flush()
    return World(
        session=session,
        review_id=review.id,
        a=a,
        b=b,
        lead=lead,
        b_user_id=people["ben"].id,
        batch_id=summary.batch_id,
        study_id=study.id,
        shared=shared,
        a_excludes=a_excludes,
        passed=passed,
        unscreened=unscreened,
        files_dir=files_dir,
        extraction_ids=extraction_ids,
        appraisal_ids=appraisal_ids,
    )


# Every required characteristic of the kratom protocol's extraction form.
REQUIRED = {
    "study_id": "Anon 2020",
    "country": "Malaysia",
    "design": "crossover RCT",
    "condition": "other",
    "n_randomised": "26",
    "kratom_product": "decoction",
    "dose": "as usual",
    "comparator": "placebo",
}


def extraction_of(*, country: str, mean: float) -> StudyExtraction:
    return StudyExtraction(
        study="Anon 2020",
        extractor=None,
        characteristics={**REQUIRED, "country": country},
        arms=(Arm("Kratom", ArmRole.INTERVENTION), Arm("Placebo", ArmRole.COMPARATOR)),
        results=(
            Result("pain_intensity", "1 h", "Kratom", "mean_sd", {"n": 26, "mean": mean, "sd": 2}),
        ),
    )


def extract(
    session: Session,
    review_id: int,
    study_id: int,
    *,
    a: Actor,
    b: Actor,
    lead: Actor,
    b_votes: str,
) -> list[int]:
    """A's copy (the same in both worlds, complete), B's (other values; complete only when B
    voted include) and the consensus the lead starts from the complete copies."""
    ids = []
    differs = b_votes == "include"
    for actor, data, complete in (
        (a, extraction_of(country="Malaysia", mean=10), True),
        (
            b,
            extraction_of(country="Thailand" if differs else "Laos", mean=11 if differs else 9),
            differs,
        ),
    ):
        copy_id = open_copy(
            session, actor=actor, review_id=review_id, study_id=study_id
        ).extraction_id
        save_copy(session, actor=actor, review_id=review_id, extraction_id=copy_id, data=data)
        set_complete(
            session, actor=actor, review_id=review_id, extraction_id=copy_id, complete=complete
        )
        ids.append(copy_id)
    consensus = start_consensus(session, actor=lead, review_id=review_id, study_id=study_id)
    return [*ids, consensus.extraction_id]


PAIN = "pain_intensity"


def assessment_of(*, answers: tuple[Answer, Answer, Answer], judgement: str) -> ResultAssessment:
    """A RoB 2 copy of Anon 2020's pain result with Domain 1 answered and judged."""
    d1 = DomainAssessment("D1", dict(zip(("1.1", "1.2", "1.3"), answers, strict=True)), judgement)
    return ResultAssessment(
        study="Anon 2020", outcome_id=PAIN, assessor=None, tool="rob2", domains=(d1,)
    )


def assess(
    session: Session,
    review_id: int,
    study_id: int,
    actor: Actor,
    data: ResultAssessment,
    *,
    complete: bool,
) -> int:
    """The actor's risk-of-bias copies of the pain result and of all outcomes, both ``data``; the
    copy of all outcomes marked ``complete`` or not. Returns the pain copy's id."""
    ids = []
    for outcome_id in (PAIN, "*"):
        copy_id = appraisal.open_copy(
            session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=outcome_id
        ).appraisal_id
        appraisal.save_copy(
            session,
            actor=actor,
            review_id=review_id,
            appraisal_id=copy_id,
            data=dataclasses.replace(data, outcome_id=outcome_id),
        )
        ids.append(copy_id)
    appraisal.set_complete(
        session, actor=actor, review_id=review_id, appraisal_id=ids[1], complete=complete
    )
    return ids[0]


LOW_COPY = assessment_of(answers=(Answer.Y, Answer.Y, Answer.N), judgement="Low")
HIGH_COPY = assessment_of(answers=(Answer.N, Answer.N, Answer.N), judgement="High")


# --- how to call a function as reviewer A ------------------------------------------------------

# Required parameter name -> the values to call with (every combination is called).
VALUES: dict[str, Callable[[World], list[Any]]] = {
    "session": lambda w: [w.session],
    "actor": lambda w: [w.a],
    "review_id": lambda w: [w.review_id],
    "record_id": lambda w: w.record_ids,
    "record_ids": lambda w: [w.record_ids],
    "stage": lambda w: [TA, FT],
    "format": lambda w: ["csv", "xlsx", "ris", "svg"],
    "vote": lambda w: ["include", "exclude"],
    "study_id": lambda w: [w.study_id],
    "label": lambda w: ["Smith 2021"],
    "data": lambda w: [PDF],
    "file_name": lambda w: ["paper.pdf"],
    "files_dir": lambda w: [w.files_dir],
    "max_bytes": lambda w: [100_000],
    "url": lambda w: ["https://doi.org/10.1234/abc"],
    "note": lambda w: ["no access"],
    "source_name": lambda w: ["Embase"],
    "blind": lambda w: [False],
    "user_id": lambda w: [w.b_user_id],
    "role": lambda w: ["lead"],
    "at_least": lambda w: ["reviewer", "lead"],
    "batch_id": lambda w: [w.batch_id],
    "cluster_id": lambda w: [1],
    "pair_id": lambda w: [1],
    "decision": lambda w: ["duplicate"],
    "extraction_id": lambda w: w.extraction_ids,
    "complete": lambda w: [True, False],
    "key": lambda w: [("characteristic", "country"), ("result", "pain_intensity")],
    "from_extraction_id": lambda w: [w.b_extraction_id],
    "values": lambda w: ["consensus", "all"],
    "outcome_id": lambda w: [PAIN, "*"],
    "appraisal_id": lambda w: w.appraisal_ids,
    "from_appraisal_id": lambda w: w.appraisal_ids[1:],
    # Analyses pool the consensus extraction, which differs between the worlds: A must be
    # refused alike in both while extraction is blind.
    "spec": lambda w: [AnalysisSpec(PAIN, EffectMeasure.MD), AnalysisSpec("*", EffectMeasure.RR)],
    "name": lambda w: ["Pain"],
    "analysis_id": lambda w: [1],
    # GRADE rests on the consensus: A must be refused alike while extraction is blind.
    "content": lambda w: [GradeContent(source=EvidenceSource.NARRATIVE, comments="A's")],
    "item": lambda w: [("comments",), ("rating", "risk_of_bias")],
    "judge_id": lambda w: [w.b_user_id],
    "body": lambda w: ["Is the pain neuropathic here?"],  # a comment on a record
}


BROWSER_FILTERS = [
    RecordFilters(),
    *(RecordFilters(status=status) for status in StageStatus),
    *(RecordFilters(stage=stage) for stage in Stage),
    *(RecordFilters(my_vote=vote) for vote in (*Vote, NOT_VOTED)),
    RecordFilters(conflict=True),
    RecordFilters(conflict=False),
    RecordFilters(tag="b-tag"),
    RecordFilters(has_full_text=True),
    RecordFilters(duplicate=False, text="kratom"),
]


def _as_a(world: World, **kwargs: Any) -> dict[str, Any]:
    return {"session": world.session, "actor": world.a, "review_id": world.review_id, **kwargs}


# Functions called another way than by their parameter names: name -> keyword arguments.
RECIPES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    # The records browser: each filter that reads votes, outcomes or full texts.
    "review_app.services.records_browser.list_records": lambda w: [
        _as_a(w, filters=f) for f in BROWSER_FILTERS
    ],
    "review_app.services.records_browser.count_records": lambda w: [
        _as_a(w, filters=f) for f in BROWSER_FILTERS
    ],
    "review_app.services.appraisal.save_copy": lambda w: [
        _as_a(
            w,
            appraisal_id=copy_id,
            data=assessment_of(answers=(Answer.NI, Answer.NI, Answer.NI), judgement="High"),
        )
        for copy_id in w.appraisal_ids
    ],
    "review_app.services.appraisal.replace_copies": lambda w: [
        _as_a(
            w,
            copies=[
                dataclasses.replace(
                    assessment_of(answers=(Answer.Y,) * 3, judgement="Low"), assessor="ana"
                )
            ],
        ),
    ],
    # The shared rules of the stages kept in copies: called for each stage.
    "review_app.services.copy_slots.copy_access": lambda w: [
        _as_a(w, stage=stage) for stage in (extraction.COPIES, appraisal.COPIES)
    ],
    # "data" is a PDF for the full-text upload; a copy of the study's extraction here.
    "review_app.services.extraction.save_copy": lambda w: [
        _as_a(w, extraction_id=copy_id, data=extraction_of(country="Peru", mean=1))
        for copy_id in w.extraction_ids
    ],
    "review_app.services.extraction.replace_copies": lambda w: [
        _as_a(w, copies=[extraction_of(country="Peru", mean=1)]),
        _as_a(
            w, copies=[dataclasses.replace(extraction_of(country="Peru", mean=1), extractor="ana")]
        ),
    ],
    # The decisions export's notes, reasons and resolvers, added to its table (leads only).
    "review_app.services.exports.decision_details.with_notes_and_resolvers": lambda w: [
        _as_a(
            w,
            header=["record_id", f"{TA}:a:reason", f"{TA}:resolution"],
            rows=[[rid, "", ""] for rid in w.record_ids],
        )
    ],
}


def calls_for(function: FunctionType, world: World) -> Iterator[dict[str, Any]]:
    name = f"{function.__module__}.{function.__name__}"
    if name in RECIPES:
        yield from RECIPES[name](world)
        return
    required = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty
    ]
    unknown = [p for p in required if p not in VALUES]
    if unknown:
        pytest.fail(
            f"{name} takes an actor but this test cannot call it: no values for "
            f"{', '.join(unknown)}; add them to VALUES or a recipe to RECIPES"
        )
    for combination in itertools.product(*(VALUES[p](world) for p in required)):
        yield dict(zip(required, combination, strict=True))


def service_modules() -> list[ModuleType]:
    """Every module under services/, those of its packages (exports/) too."""
    return [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(review_app.services.__path__, "review_app.services.")
    ]


def public_functions() -> list[FunctionType]:
    return [
        function
        for module in service_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    ]


def functions_with_actor() -> list[FunctionType]:
    return [f for f in public_functions() if "actor" in inspect.signature(f).parameters]


# --- comparing results --------------------------------------------------------------------------

_TIMES = (
    re.compile(r"datetime\.datetime\([^)]*\)"),
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?"),
)


def normalised(value: object, world: World) -> str:
    if isinstance(value, str):
        shown = value
    elif isinstance(value, bytes):
        try:
            shown = value.decode("utf-8")
        except UnicodeDecodeError:
            shown = value.hex()
    else:
        shown = repr(value)
    shown = shown.replace(str(world.files_dir), "<files>")
    for pattern in _TIMES:
        shown = pattern.sub("<time>", shown)
    return shown


def outcome(function: FunctionType, kwargs: dict[str, Any], world: World) -> str:
    """What A gets from one call: the result or the refusal (each call is rolled back)."""
    savepoint = world.session.begin_nested()
    try:
        result: object = function(**kwargs)
        world.session.flush()
    except ReviewAppError as error:
        result = f"{type(error).__name__}: {error}"
    except Exception as error:  # a crash is an outcome too, and must not differ either
        result = f"crash {type(error).__name__}: {error}"
    finally:
        savepoint.rollback()
    return normalised(result, world)


def everything_a_sees(world: World) -> dict[str, str]:
    seen = {}
    for function in functions_with_actor():
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"
        for kwargs in calls_for(function, world):
            shown = {k: v for k, v in kwargs.items() if k not in ("session", "actor")}
            seen[normalised(f"{name}({shown})", world)] = outcome(function, kwargs, world)
    return seen


# --- databases of their own ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engines(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Engine]]:
    """Makes a migrated, empty database per world (the same ids in both)."""
    made: list[tuple[Engine, Callable[[], None]]] = []
    server: Engine | None = None
    if request.param == "postgresql":
        server = make_engine(request.getfixturevalue("postgres_url"))

    def fresh(name: str) -> Engine:
        if server is None:
            engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
            migrate(engine)
            made.append((engine, lambda: None))
            return engine
        schema = f"w_{uuid.uuid4().hex[:10]}"
        with server.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = server.url.render_as_string(hide_password=False)
        engine = make_engine(f"{url}?options=-csearch_path%3D{schema}")
        migrate(engine)

        def drop(schema: str = schema) -> None:
            assert server is not None
            with server.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

        made.append((engine, drop))
        return engine

    yield fresh
    for engine, drop in made:
        engine.dispose()
        drop()
    if server is not None:
        server.dispose()


# --- the tests ----------------------------------------------------------------------------------


def test_nothing_reviewer_a_can_reach_depends_on_reviewer_bs_vote(
    fresh_engines: Callable[[str], Engine], tmp_path: Path
) -> None:
    seen: dict[str, dict[str, str]] = {}
    for b_votes in ("include", "exclude"):
        engine = fresh_engines(b_votes)
        files_dir = tmp_path / f"files-{b_votes}"
        with Session(engine) as session:
            world = build_world(session, b_votes=b_votes, files_dir=files_dir)
            seen[b_votes] = everything_a_sees(world)
            session.rollback()
    assert seen["include"].keys() == seen["exclude"].keys()
    leaks = {
        call: (seen["include"][call], seen["exclude"][call])
        for call in seen["include"]
        if seen["include"][call] != seen["exclude"][call]
    }
    assert not leaks, "A's view depends on B's vote:\n" + "\n".join(
        f"- {call}\n    B include: {a[:300]}\n    B exclude: {b[:300]}"
        for call, (a, b) in leaks.items()
    )


def test_the_worlds_really_differ_for_a_lead(
    fresh_engines: Callable[[str], Engine], tmp_path: Path
) -> None:
    """The property is not vacuous: the lead sees the difference A must not see."""
    from review_app.services.extraction import read_copies
    from review_app.services.progress import review_progress
    from review_app.services.studies import list_included_reports

    seen = []
    for b_votes in ("include", "exclude"):
        with Session(fresh_engines(b_votes)) as session:
            world = build_world(session, b_votes=b_votes, files_dir=tmp_path)
            progress = review_progress(session, actor=world.lead, review_id=world.review_id)
            reports = list_included_reports(session, actor=world.lead, review_id=world.review_id)
            copies = read_copies(session, actor=world.lead, review_id=world.review_id, values="all")
            assessments = appraisal.read_copies(
                session, actor=world.lead, review_id=world.review_id, values="all"
            )
            final = grade.outcome_view(
                session, actor=world.lead, review_id=world.review_id, outcome_id=PAIN, final=True
            ).final
            seen.append((progress.stages, len(reports), copies[1:], assessments, final))
            session.rollback()
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
    assert seen[0][2] != seen[1][2]  # B's extraction and the consensus started from it
    # Risk of bias: per result (all outcomes, pain) A's copy (slot 1), then B's.
    assert seen[0][3][0::2] == seen[1][3][0::2] and seen[0][3][1::2] != seen[1][3][1::2]
    assert seen[0][4] != seen[1][4]  # the lead's final GRADE comments


# Public service functions that read votes without an actor: internal helpers whose callers
# check the actor and apply the blinding rules. A new one must be added here with its reason.
NO_ACTOR = {
    "progress.stage_statuses": "status per record for services that checked the role",
    "progress.votes_and_resolutions": "every vote per record, for services that checked the role",
    "progress.unique_record_ids": "follows the callers' reads (no vote is read)",
    "prisma.included_report_ids": "for services that checked the role (documented there)",
    "prioritisation.training_labels": "the ranking worker's inputs, never shown to a person",
    "prioritisation.weighted_labels": "the ranking worker's inputs, never shown to a person",
    "prioritisation.ranking_inputs": "the ranking worker's inputs",
    "prioritisation.all_ranking_inputs": "the ranking worker's inputs",
    "prioritisation.ranking_owners": "the ranking worker: whose rankings to train",
    "prioritisation.refresh_ranking": "the ranking worker and the command line",
    "prioritisation.store_rankings": "the ranking worker: writes, returns only a flag",
    "prioritisation.store_ranking": "the ranking worker: writes",
    "prioritisation.drop_rankings_except": "the ranking worker: writes",
    "prioritisation.latest_training": "the ranking worker: a time, no vote",
    "prioritisation.ranking_owner": "which ranking an actor reads; no vote",
    "prioritisation.rank_order_join": "a query for screening, which checks the actor",
    "releases.released_record_ids": "for services that checked the role; lead decisions only",
    "releases.released_record_ids_select": "a query for services that checked the role",
    "audit.record_event": "writes an event, returns it to the service that wrote it",
    "backup.restore_review": "the command line's operator restoring a whole database",
    "demo.seed_demo": "the demo's seeding from the command line",
    "demo_screening.seed_demo_screening": "the demo's seeding from the command line",
}
VOTE_TABLES = (
    "Decision",
    "Resolution",
    "StageRelease",
    "RecordRank",
    "ScreeningSlot",
    "AuditEvent",
)


WRITES_ONLY = {"review_app.services.audit.record_event"}  # names AuditEvent to add one


def _reads_votes(function: FunctionType, seen: set[FunctionType]) -> bool:
    """Whether the function names a vote table or calls a review_app function that does."""
    if function in seen or f"{function.__module__}.{function.__name__}" in WRITES_ONLY:
        return False
    seen.add(function)
    try:
        names = inspect.getclosurevars(function)
    except (TypeError, ValueError):
        return False
    referenced = {**names.globals, **names.nonlocals}
    if any(name in VOTE_TABLES for name in referenced):
        return True
    return any(
        isinstance(value, FunctionType)
        and value.__module__.startswith("review_app.")
        and "actor" not in inspect.signature(value).parameters
        and _reads_votes(value, seen)
        for value in referenced.values()
    )


def test_every_public_service_function_that_reads_votes_takes_an_actor() -> None:
    missing = []
    for function in public_functions():
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"
        if "actor" in inspect.signature(function).parameters or name in NO_ACTOR:
            continue
        if _reads_votes(function, set()):
            missing.append(name)
    assert not missing, (
        "these public service functions read votes but take no actor (check it, or list them "
        f"in NO_ACTOR with the reason their callers check): {', '.join(sorted(missing))}"
    )
