"""Meta-analyses in the review: the consensus extraction turned into the engine's study data (with
what was converted, arms combined, and why a study is left out), runs, saved analyses marked
stale when the data change, permissions and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.meta.model import Continuous, Dichotomous, Generic, Method
from review_app.domain.meta.model import Test as PoolTest
from review_app.domain.vocabulary import ArmRole, EffectMeasure
from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import AuditEvent
from review_app.services.analyses import (
    AnalysisSpec,
    default_spec,
    delete_analysis,
    get_analysis,
    list_analyses,
    run_analysis,
    run_saved,
    save_analysis,
    study_data,
)
from review_app.services.analysis_summary import run_summary
from review_app.services.extraction import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review
from review_app.services.studies import create_study
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles

INT, COMP = ArmRole.INTERVENTION, ArmRole.COMPARATOR
PAIN, AE = "pain_intensity", "adverse_events"
WEEK4 = "4 weeks"
LEAD = Actor.operator()


def copy(
    label: str,
    arms: tuple[Arm, ...],
    *results: Result,
    complete: bool = True,
    characteristics: dict[str, str] | None = None,
    indirect_evidence: str = "",
) -> StudyExtraction:
    """A consensus copy, complete (with the required characteristics) unless said otherwise."""
    return StudyExtraction(
        study=label,
        extractor=None,
        arms=arms,
        results=results,
        complete=complete,
        characteristics={**(REQUIRED if complete else {}), **(characteristics or {})},
        indirect_evidence=indirect_evidence,
    )


# Every required characteristic of the kratom protocol's form (a complete copy has them).
REQUIRED = {
    "study_id": "-",
    "country": "Laos",
    "design": "parallel RCT",
    "condition": "other",
    "n_randomised": "40",
    "kratom_product": "tea",
    "dose": "as usual",
    "comparator": "placebo",
}
KRATOM_PLACEBO = (Arm("Kratom", INT), Arm("Placebo", COMP))


def pain(arm: str, format: str = "mean_sd", **values: float) -> Result:
    return Result(PAIN, WEEK4, arm, format, values)


CONSENSUS = [
    # Arm data as reported: the comparator's SD from its SE (converted, flagged).
    copy(
        "Adams 2019",
        KRATOM_PLACEBO,
        pain("Kratom", n=20, mean=4.0, sd=2.0),
        pain("Placebo", "mean_se", n=25, mean=5.0, se=0.5),
        characteristics={"country": "Malaysia"},
    ),
    # Two intervention arms combined into one (Handbook table 6.5.a).
    copy(
        "Baker 2020",
        (Arm("Low dose", INT), Arm("High dose", INT), Arm("Placebo", COMP)),
        pain("Low dose", n=10, mean=4.0, sd=1.0),
        pain("High dose", n=12, mean=3.0, sd=1.5),
        pain("Placebo", n=20, mean=5.0, sd=1.2),
        characteristics={"country": "Thailand"},
    ),
    # Only an estimate between the arms, of the comparator against the intervention.
    copy(
        "Chan 2021",
        KRATOM_PLACEBO,
        Result(
            PAIN,
            WEEK4,
            "Placebo",
            "estimate_se",
            {"estimate": 0.8, "se": 0.4},
            comparator="Kratom",
            measure=EffectMeasure.MD,
        ),
        complete=False,
    ),
    # No SD: left out, saying what is missing.
    copy("Diaz 2018", KRATOM_PLACEBO, pain("Kratom", n=9, mean=4.0), pain("Placebo", n=9, mean=5)),
    # Indirect evidence: left out of the analyses.
    copy(
        "Evans 2022",
        KRATOM_PLACEBO,
        pain("Kratom", n=9, mean=4.0, sd=1.0),
        pain("Placebo", n=9, mean=5.0, sd=1.0),
        indirect_evidence="healthy volunteers",
    ),
    # Another time point only.
    copy(
        "Ford 2017",
        KRATOM_PLACEBO,
        Result(PAIN, "8 weeks", "Kratom", "mean_sd", {"n": 9, "mean": 4.0, "sd": 1.0}),
        Result(PAIN, "8 weeks", "Placebo", "mean_sd", {"n": 9, "mean": 5.0, "sd": 1.0}),
    ),
]
STUDIES = [c.study for c in CONSENSUS] + ["Gray 2023"]  # Gray: no consensus yet


def make_review(session: Session, *, blind: bool = True, tmp_path: Path | None = None) -> int:
    if blind:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
    else:
        assert tmp_path is not None
        text = KRATOM_PROTOCOL.read_text(encoding="utf-8")
        head, _, tail = text.partition("[extraction]")
        open_protocol = tmp_path / "open.toml"
        open_protocol.write_text(
            head + "[extraction]" + tail.replace("blind = true", "blind = false", 1),
            encoding="utf-8",
        )
        review = create_review(session, protocol_path=open_protocol, name="open")
    records = import_titles(session, review.id, len(STUDIES))
    for label, record in zip(STUDIES, records, strict=True):
        create_study(session, actor=LEAD, review_id=review.id, label=label, record_ids=[record])
    replace_copies(session, actor=LEAD, review_id=review.id, copies=CONSENSUS)
    return review.id


def member(session: Session, review_id: int, name: str, role: str) -> Actor:
    user: UserPublic = create_user(session, name=name, password=f"{name}-password")
    add_member(session, actor=LEAD, review_id=review_id, user_id=user.id, role=role)
    return Actor.user(user.id)


@pytest.fixture
def review_id(session: Session) -> int:
    return make_review(session)


def test_the_consensus_gives_each_study_its_data_or_the_reason_it_is_left_out(
    session: Session, review_id: int
) -> None:
    data = study_data(session, actor=LEAD, review_id=review_id, outcome_id=PAIN, timepoint=WEEK4)
    assert data.measure == EffectMeasure.MD  # the default; SMD from the arm data too
    assert data.measures == (EffectMeasure.MD, EffectMeasure.SMD)
    rows = {row.study: row for row in data.rows}
    assert list(rows) == ["Adams 2019", "Baker 2020", "Chan 2021"]
    adams = rows["Adams 2019"]
    assert adams.data == Continuous("Adams 2019", 4.0, 2.0, 20, 5.0, 0.5 * math.sqrt(25), 25)
    assert adams.converted and not adams.estimated
    assert [s.formula for d in adams.derivations.values() for s in d.steps] == ["SD = SE × √n"]
    # Baker: the two doses combined (n 22; mean and SD as if one sample; Handbook table 6.5.a).
    baker = rows["Baker 2020"]
    assert isinstance(baker.data, Continuous)
    n1, m1, s1, n2, m2, s2 = 10, 4.0, 1.0, 12, 3.0, 1.5
    mean = (n1 * m1 + n2 * m2) / 22
    sd = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2 + n1 * n2 / 22 * (m1 - m2) ** 2) / 21)
    assert (baker.data.n_t, baker.data.mean_t) == (22, pytest.approx(mean, rel=1e-12))
    assert baker.data.sd_t == pytest.approx(sd, rel=1e-12)
    assert baker.combined == ("Low dose", "High dose") and baker.converted
    # Chan: the comparator's estimate against the intervention, turned round.
    chan = rows["Chan 2021"]
    assert chan.data == Generic("Chan 2021", -0.8, pytest.approx(0.16))  # type: ignore[arg-type]
    assert not chan.complete and data.incomplete == ("Chan 2021",)
    left = {o.study: o.reason for o in data.left_out}
    assert left == {
        "Diaz 2018": "intervention arm 'Kratom': SD not reported or not usable",
        "Evans 2022": "indirect evidence (healthy volunteers): left out of the main analyses",
        "Ford 2017": "no result at '4 weeks' (it reports '8 weeks')",
        "Gray 2023": "no consensus extraction yet",
    }
    assert data.timepoints == ("4 weeks", "8 weeks")


def test_without_a_time_point_each_study_uses_its_only_one(
    session: Session, review_id: int
) -> None:
    data = study_data(session, actor=LEAD, review_id=review_id, outcome_id=PAIN)
    assert {row.study for row in data.rows} == {
        "Adams 2019",
        "Baker 2020",
        "Chan 2021",
        "Ford 2017",
    }


def test_dichotomous_arms_and_an_estimate_of_another_measure(session: Session) -> None:
    review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="ae")
    records = import_titles(session, review.id, 2)
    for label, record in zip(("Hill 2020", "Ito 2021"), records, strict=True):
        create_study(session, actor=LEAD, review_id=review.id, label=label, record_ids=[record])
    replace_copies(
        session,
        actor=LEAD,
        review_id=review.id,
        copies=[
            copy(
                "Hill 2020",
                KRATOM_PLACEBO,
                Result(AE, WEEK4, "Kratom", "events_total", {"events": 5, "total": 30}),
                Result(AE, WEEK4, "Placebo", "events_total", {"events": 2, "total": 31}),
            ),
            copy(
                "Ito 2021",
                KRATOM_PLACEBO,
                Result(
                    AE,
                    WEEK4,
                    "Kratom",
                    "estimate_ci",
                    {"estimate": 2.0, "ci_lower": 1.0, "ci_upper": 4.0},
                    comparator="Placebo",
                    measure=EffectMeasure.OR,
                ),
            ),
        ],
    )
    risk = study_data(session, actor=LEAD, review_id=review.id, outcome_id=AE)
    assert risk.measure == EffectMeasure.RR  # the protocol's default for a dichotomous outcome
    assert risk.measures == (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD)
    assert [row.data for row in risk.rows] == [Dichotomous("Hill 2020", 5, 30, 2, 31)]
    assert [o.reason for o in risk.left_out] == [
        "it gives an estimate of the odds ratio, not a risk ratio"
    ]
    odds = study_data(
        session, actor=LEAD, review_id=review.id, outcome_id=AE, measure=EffectMeasure.OR
    )
    ito = odds.rows[1].data
    assert isinstance(ito, Generic) and ito.yi == math.log(2.0)
    spec = AnalysisSpec(AE, EffectMeasure.OR, method=Method.EE, test=PoolTest.Z)
    run = run_analysis(session, actor=LEAD, review_id=review.id, spec=spec)
    # Hill's table becomes its log odds ratio (escalc) to be pooled with Ito's estimate.
    hill_yi = math.log(5 * 29 / (25 * 2))
    hill_vi = 1 / 5 + 1 / 25 + 1 / 2 + 1 / 29
    weights = (1 / hill_vi, 1 / ito.vi)
    expected = (weights[0] * hill_yi + weights[1] * ito.yi) / sum(weights)
    assert run.analysis.pooled is not None
    assert run.analysis.pooled.estimate == pytest.approx(expected, rel=1e-12)
    assert run.analysis.notes[-1].startswith("Studies with arm data were turned into effect sizes")
    mh = AnalysisSpec(AE, EffectMeasure.OR, method=Method.MH, test=PoolTest.Z)
    run = run_analysis(session, actor=LEAD, review_id=review.id, spec=mh)
    assert [row.study for row in run.data.rows] == ["Hill 2020"]
    assert run.data.left_out[-1].reason.startswith("MH pools 2x2 tables and this study gives only")


def test_a_run_pools_the_rows_with_the_engine_and_leaves_out_by_a_rule(
    session: Session, review_id: int
) -> None:
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, method=Method.EE, test=PoolTest.Z)
    run = run_analysis(session, actor=LEAD, review_id=review_id, spec=spec)
    pooled = run.analysis.pooled
    assert pooled is not None and pooled.k == 3
    # Equal effect by hand: inverse-variance weights of each study's mean difference.
    effects = []
    for row in run.data.rows:
        if isinstance(row.data, Continuous):
            d = row.data
            effects.append((d.mean_t - d.mean_c, d.sd_t**2 / d.n_t + d.sd_c**2 / d.n_c))
        else:
            assert isinstance(row.data, Generic)
            effects.append((row.data.yi, row.data.vi))
    expected = sum(y / v for y, v in effects) / sum(1 / v for _, v in effects)
    assert pooled.estimate == pytest.approx(expected, rel=1e-12)
    # Less pain is better: effects left of the line favour kratom.
    labels = run.labels
    assert (labels.title, labels.favours_left, labels.favours_right) == (
        "Pain intensity, 4 weeks", "Favours intervention", "Favours comparator"
    )  # fmt: skip
    rule = "high risk of bias in randomisation"
    without = run_analysis(
        session,
        actor=LEAD,
        review_id=review_id,
        spec=AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, excluded=("baker 2020",),
                          exclusion_rule=rule),
    )  # fmt: skip
    assert [row.study for row in without.data.rows] == ["Adams 2019", "Chan 2021"]
    assert without.data.left_out[-1].reason == f"left out by the analysis: {rule}"


def test_subgroups_come_from_a_consensus_characteristic(session: Session, review_id: int) -> None:
    data = study_data(
        session, actor=LEAD, review_id=review_id, outcome_id=PAIN, timepoint=WEEK4,
        subgroup="country",
    )  # fmt: skip
    assert [row.group for row in data.rows] == ["Malaysia", "Thailand", "(not reported)"]
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, subgroup="country")
    run = run_analysis(session, actor=LEAD, review_id=review_id, spec=spec)
    assert run.subgroups is not None
    assert [part.name for part in run.subgroups.subgroups] == [
        "Malaysia", "Thailand", "(not reported)"
    ]  # fmt: skip
    assert run.subgroups.difference is not None and run.subgroups.difference.df == 2


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        (AnalysisSpec(PAIN, EffectMeasure.RR), ValidationError, "continuous outcome, pooled as MD"),
        (AnalysisSpec(AE, EffectMeasure.RR, method=Method.PETO, test=PoolTest.Z), ValidationError,
         "the PETO method pools OR only"),
        (AnalysisSpec(AE, EffectMeasure.RR, method=Method.MH), ValidationError,
         "Hartung-Knapp (HKSJ) adjusts inverse-variance methods; MH uses the z test"),
        (AnalysisSpec(PAIN, EffectMeasure.MD, excluded=("Adams 2019",)), ValidationError,
         "need the rule that leaves them out"),
        (AnalysisSpec(PAIN, EffectMeasure.MD, excluded=("Zed 1999",), exclusion_rule="x"),
         NotFoundError, "no study 'Zed 1999' in the review"),
        (AnalysisSpec(PAIN, EffectMeasure.MD, subgroup="colour"), ValidationError,
         "not a study characteristic of the protocol; allowed: study_id"),
        (AnalysisSpec("sleep", EffectMeasure.MD), NotFoundError, "no outcome 'sleep'"),
    ],
)  # fmt: skip
def test_a_spec_outside_the_protocol_is_refused_in_words(
    session: Session, review_id: int, spec: AnalysisSpec, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=None) as raised:
        run_analysis(session, actor=LEAD, review_id=review_id, spec=spec)
    assert message in str(raised.value)


def test_the_protocol_gives_the_default_spec(session: Session, review_id: int) -> None:
    spec = default_spec(session, actor=LEAD, review_id=review_id, outcome_id=AE)
    assert (spec.measure, spec.method, spec.test) == (EffectMeasure.RR, Method.REML, PoolTest.KNHA)


def test_while_extraction_is_blind_analyses_are_for_leads(session: Session, review_id: int) -> None:
    reviewer = member(session, review_id, "rita", "reviewer")
    with pytest.raises(PermissionDeniedError, match="for leads while extraction is blind"):
        study_data(session, actor=reviewer, review_id=review_id, outcome_id=PAIN)
    with pytest.raises(PermissionDeniedError):
        list_analyses(session, actor=reviewer, review_id=review_id)


def test_saved_analyses_are_stale_after_the_data_change_until_run_again(
    session: Session, tmp_path: Path
) -> None:
    review_id = make_review(session, blind=False, tmp_path=tmp_path)
    rita, raj = (member(session, review_id, n, "reviewer") for n in ("rita", "raj"))
    lena = member(session, review_id, "lena", "lead")
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4)
    saved = save_analysis(
        session, actor=rita, review_id=review_id, name=" Pain  at 4 weeks", spec=spec
    )
    assert (saved.name, saved.spec, saved.created_by, saved.stale) == (
        "Pain at 4 weeks", spec, "rita", False
    )  # fmt: skip
    assert saved.incomplete == ("Chan 2021",)
    with pytest.raises(ConflictError, match="named 'pain at 4 weeks' exists already"):
        save_analysis(session, actor=raj, review_id=review_id, name="pain at 4 weeks", spec=spec)
    # The consensus changes: the saved analysis is stale until it is run again.
    changed = [*CONSENSUS]
    changed[0] = copy("Adams 2019", KRATOM_PLACEBO, pain("Kratom", n=20, mean=3.0, sd=2.0),
                      pain("Placebo", n=25, mean=5.0, sd=2.5))  # fmt: skip
    replace_copies(session, actor=LEAD, review_id=review_id, copies=changed)
    [listed] = list_analyses(session, actor=raj, review_id=review_id)
    assert listed.stale
    run = run_saved(session, actor=raj, review_id=review_id, analysis_id=saved.id)
    assert run.data.rows[0].data == Continuous("Adams 2019", 3.0, 2.0, 20, 5.0, 2.5, 25)
    assert run.analysis.data[0] == Generic("Adams 2019", -2.0, 4 / 20 + 2.5**2 / 25)
    assert not get_analysis(session, actor=raj, review_id=review_id, analysis_id=saved.id).stale
    # Only its author or a lead changes or deletes it.
    other = AnalysisSpec(PAIN, EffectMeasure.SMD, timepoint=WEEK4)
    with pytest.raises(PermissionDeniedError, match="its author or a lead"):
        save_analysis(session, actor=raj, review_id=review_id, name="x", spec=other,
                      analysis_id=saved.id)  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        delete_analysis(session, actor=raj, review_id=review_id, analysis_id=saved.id)
    save_analysis(session, actor=lena, review_id=review_id, name="Pain, SMD", spec=other,
                  analysis_id=saved.id)  # fmt: skip
    delete_analysis(session, actor=rita, review_id=review_id, analysis_id=saved.id)
    assert list_analyses(session, actor=rita, review_id=review_id) == []
    with pytest.raises(NotFoundError):
        run_saved(session, actor=rita, review_id=review_id, analysis_id=saved.id)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "analysis").order_by(AuditEvent.id)  # type: ignore[arg-type]
    ).all()
    assert [e.action for e in events] == [
        "analysis.create", "analysis.rerun", "analysis.update", "analysis.delete"
    ]  # fmt: skip
    assert events[2].before is not None and events[2].after is not None
    assert (events[2].before["measure"], events[2].after["measure"]) == ("MD", "SMD")
    assert events[2].after["name"] == "Pain, SMD" and events[3].after is None


def test_no_analysis_of_another_review(session: Session, review_id: int) -> None:
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other").id
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4)
    saved = save_analysis(session, actor=LEAD, review_id=review_id, name="a", spec=spec)
    with pytest.raises(NotFoundError, match=f"no saved analysis {saved.id} in review {other}"):
        get_analysis(session, actor=LEAD, review_id=other, analysis_id=saved.id)


def test_indirect_evidence_is_pooled_only_when_asked_and_flagged(
    session: Session, review_id: int
) -> None:
    default = study_data(session, actor=LEAD, review_id=review_id, outcome_id=PAIN,
                         timepoint=WEEK4)  # fmt: skip
    assert "Evans 2022" not in {row.study for row in default.rows}
    assert not any(row.indirect for row in default.rows)
    kept = study_data(session, actor=LEAD, review_id=review_id, outcome_id=PAIN,
                      timepoint=WEEK4, include_indirect=True)  # fmt: skip
    evans = {row.study: row for row in kept.rows}["Evans 2022"]
    assert evans.indirect and evans.data == Continuous("Evans 2022", 4.0, 1.0, 9, 5.0, 1.0, 9)
    assert [row.study for row in kept.rows if row.indirect] == ["Evans 2022"]
    assert "Evans 2022" not in {o.study for o in kept.left_out}
    assert kept.digest != default.digest
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, include_indirect=True)
    run = run_analysis(session, actor=LEAD, review_id=review_id, spec=spec)
    assert run.analysis.pooled is not None and run.analysis.pooled.k == 4
    assert [s["study"] for s in run_summary(run)["studies"] if s["indirect"]] == ["Evans 2022"]
    # Pooled alone: the direct studies left out by a stated rule.
    alone = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, include_indirect=True,
                         excluded=("Adams 2019", "Baker 2020", "Chan 2021"),
                         exclusion_rule="direct evidence: indirect pooled alone")  # fmt: skip
    only = run_analysis(session, actor=LEAD, review_id=review_id, spec=alone)
    assert [row.study for row in only.data.rows] == ["Evans 2022"]
    saved = save_analysis(session, actor=LEAD, review_id=review_id, name="with indirect",
                          spec=spec)  # fmt: skip
    assert saved.spec.include_indirect and not saved.stale
    [listed] = list_analyses(session, actor=LEAD, review_id=review_id)
    assert listed.spec == spec and not listed.stale  # the same rows gathered when listed


def test_a_saved_analysis_keeps_its_last_numbers_beside_its_stale_mark(
    session: Session, review_id: int
) -> None:
    spec = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4, method=Method.EE,
                        test=PoolTest.Z)  # fmt: skip
    saved = save_analysis(session, actor=LEAD, review_id=review_id, name="Pain", spec=spec)
    run = run_analysis(session, actor=LEAD, review_id=review_id, spec=spec)
    pooled = run.analysis.pooled
    assert pooled is not None and saved.last_result is not None
    first = dict(saved.last_result)
    ran_at = datetime.fromisoformat(first.pop("ran_at"))
    assert ran_at.tzinfo is not None and first == run_summary(run)
    assert (first["k"], first["estimate"], first["se"]) == (3, pooled.estimate, pooled.se)
    assert [s["study"] for s in first["studies"]] == ["Adams 2019", "Baker 2020", "Chan 2021"]
    assert math.isclose(sum(s["weight"] for s in first["studies"]), 100.0, rel_tol=1e-12)
    assert {o["study"] for o in first["left_out"]} == {"Diaz 2018", "Evans 2022", "Ford 2017",
                                                       "Gray 2023"}  # fmt: skip
    assert first["incomplete"] == ["Chan 2021"]
    # The data change: listed stale, with the numbers it last had until it runs again.
    changed = [*CONSENSUS]
    changed[0] = copy("Adams 2019", KRATOM_PLACEBO, pain("Kratom", n=20, mean=1.0, sd=2.0),
                      pain("Placebo", n=25, mean=5.0, sd=2.5))  # fmt: skip
    replace_copies(session, actor=LEAD, review_id=review_id, copies=changed)
    [stale] = list_analyses(session, actor=LEAD, review_id=review_id)
    assert stale.stale and stale.last_result == saved.last_result
    rerun = run_saved(session, actor=LEAD, review_id=review_id, analysis_id=saved.id)
    current = get_analysis(session, actor=LEAD, review_id=review_id, analysis_id=saved.id)
    assert not current.stale and current.last_result is not None
    assert rerun.analysis.pooled is not None
    assert current.last_result["estimate"] == rerun.analysis.pooled.estimate != pooled.estimate
    # Run again on the same data: the same numbers, nothing written.
    again = run_saved(session, actor=LEAD, review_id=review_id, analysis_id=saved.id)
    assert again.analysis.pooled == rerun.analysis.pooled
    after = get_analysis(session, actor=LEAD, review_id=review_id, analysis_id=saved.id)
    assert after.last_result == current.last_result  # its ran_at too


def test_a_ratio_keeps_its_back_transformed_numbers(session: Session) -> None:
    review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="ratio")
    records = import_titles(session, review.id, 3)
    tables = {"Hill 2020": (5, 30, 2, 31), "Ito 2021": (7, 40, 3, 38), "Jay 2022": (4, 25, 6, 24)}
    for label, record in zip(tables, records, strict=True):
        create_study(session, actor=LEAD, review_id=review.id, label=label, record_ids=[record])
    replace_copies(
        session,
        actor=LEAD,
        review_id=review.id,
        copies=[
            copy(label, KRATOM_PLACEBO,
                 Result(AE, WEEK4, "Kratom", "events_total", {"events": e1, "total": n1}),
                 Result(AE, WEEK4, "Placebo", "events_total", {"events": e2, "total": n2}))
            for label, (e1, n1, e2, n2) in tables.items()
        ],
    )  # fmt: skip
    spec = AnalysisSpec(AE, EffectMeasure.RR, method=Method.REML, test=PoolTest.KNHA)
    saved = save_analysis(session, actor=LEAD, review_id=review.id, name="AE", spec=spec)
    result = saved.last_result
    assert result is not None and result["measure"] == "RR"
    assert result["exp_estimate"] == pytest.approx(math.exp(result["estimate"]), rel=1e-15)
    assert (result["exp_ci_low"], result["exp_ci_high"]) == pytest.approx(
        (math.exp(result["ci_low"]), math.exp(result["ci_high"])), rel=1e-15
    )
    assert (result["exp_pi_low"], result["exp_pi_high"]) == pytest.approx(
        (math.exp(result["pi_low"]), math.exp(result["pi_high"])), rel=1e-15
    )
    assert result["test"] == "knha" and result["tau2_ci_low"] is not None
