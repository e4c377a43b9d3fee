"""Outcomes graded and laid out as a Summary-of-Findings table: the certainty from the final
ratings (pending until every downgrading domain has one; upgrades for non-randomised evidence
only), the effects, the statement, outcome order, footnote numbering, the export's JSON and the
published snapshot's lossless round trip."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_app.domain.grade.model import (
    BaselineRisk,
    Certainty,
    EvidenceDesign,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    OutcomeEvidence,
    OutcomeGrade,
    PicoElement,
    PooledEvidence,
    Rating,
    SofTable,
    StudyEvidence,
    Suggestion,
)
from review_app.domain.grade.sof import (
    build_table,
    grade_outcome,
    indirect_footnote,
    outcome_order,
    sof_json,
    table_from_dict,
    table_to_dict,
)
from review_app.domain.grade.statement import NO_STUDIES
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError
from tests.domain.grade.sof_examples import example_table

D = GradeDomain
RCT, NRS = EvidenceDesign.RANDOMISED, EvidenceDesign.NON_RANDOMISED
DOWN_OK = {d: Judgement(d, Rating.NOT_SERIOUS) for d in list(D)[:5]}


def _trial(name: str, events: float, total: float, design: EvidenceDesign = RCT) -> StudyEvidence:
    return StudyEvidence(
        name, design, participants=int(2 * total), control_events=events, control_total=total
    )


def _evidence(
    outcome_id: str = "deaths",
    importance: str = "critical",
    studies: tuple[StudyEvidence, ...] = (_trial("A 2001", 10, 100), _trial("B 2005", 30, 100)),
    pooled: PooledEvidence | None = None,
    **kw: Any,
) -> OutcomeEvidence:
    values: dict[str, Any] = {
        "outcome_id": outcome_id,
        "name": outcome_id.capitalize(),
        "type": "dichotomous",
        "importance": importance,
        "direction": "lower_is_better",
        "source": EvidenceSource.ANALYSIS if studies else EvidenceSource.NONE,
        "studies": studies,
        "pooled": pooled,
    }
    values.update(kw)
    return OutcomeEvidence(**values)


def _rr_pooled(rr: float = 0.5, low: float = 0.4, high: float = 0.625) -> PooledEvidence:
    return PooledEvidence(
        "main", EffectMeasure.RR, "REML", True, 2, math.log(rr), math.log(low), math.log(high)
    )


def _content(**ratings: Rating | None) -> GradeContent:
    judgements = dict(DOWN_OK)
    for name, rating in ratings.items():
        judgements[D(name)] = Judgement(D(name), rating, f"{name} explained" if rating else "")
    return GradeContent(judgements=judgements)


def _grade(
    evidence: OutcomeEvidence | None = None,
    content: GradeContent | None = None,
    start: Certainty | None = Certainty.HIGH,
    suggestions: Mapping[GradeDomain, Suggestion] | None = None,
) -> OutcomeGrade:
    return grade_outcome(
        evidence or _evidence(pooled=_rr_pooled()),
        content if content is not None else _content(),
        suggestions or {},
        start,
        intervention="aspirin",
    )


# --- order ----------------------------------------------------------------------------------------


def test_outcome_order_is_critical_important_not_important_then_protocol_order() -> None:
    outcomes = [
        _evidence("a", "important"),
        _evidence("b", "not_important"),
        _evidence("c", "critical"),
        _evidence("d", "important"),
        _evidence("e", "critical"),
    ]
    assert [o.outcome_id for o in outcome_order(outcomes)] == ["c", "e", "a", "d", "b"]


def test_an_unknown_importance_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"'vital'.*critical, important, not_important"):
        outcome_order([_evidence("a", "vital")])


# --- certainty ------------------------------------------------------------------------------------


def test_every_domain_gets_a_row_in_profile_order() -> None:
    suggestion = Suggestion(D.INCONSISTENCY, Rating.SERIOUS, rule="I² ≥ 50 %")
    grade = _grade(suggestions={D.INCONSISTENCY: suggestion})
    assert [row.domain for row in grade.domains] == list(D)
    assert grade.domains[1].suggestion is suggestion
    assert grade.domains[0].suggestion == Suggestion(D.RISK_OF_BIAS, None)
    assert grade.domains[0].rating is Rating.NOT_SERIOUS
    assert grade.domains[5].judgement is None


def test_certainty_moves_one_level_per_downgrade() -> None:
    grade = _grade(content=_content(risk_of_bias=Rating.SERIOUS, imprecision=Rating.SERIOUS))
    assert grade.certainty is Certainty.LOW and not grade.pending
    very = _grade(content=_content(indirectness=Rating.VERY_SERIOUS, imprecision=Rating.SERIOUS))
    assert very.certainty is Certainty.VERY_LOW
    assert _grade().certainty is Certainty.HIGH


@pytest.mark.parametrize("missing", list(D)[:5])
def test_certainty_is_pending_until_every_downgrading_domain_is_rated(missing: GradeDomain) -> None:
    judgements = {d: j for d, j in DOWN_OK.items() if d is not missing}
    grade = _grade(content=GradeContent(judgements=judgements))
    assert grade.certainty is None and grade.pending
    assert grade.statement == ""
    unrated = {**DOWN_OK, missing: Judgement(missing, None, "thinking")}
    assert _grade(content=GradeContent(judgements=unrated)).pending


def test_upgrades_count_for_non_randomised_evidence_only() -> None:
    content = _content(large_effect=Rating.UPGRADE_ONE, dose_response=Rating.UPGRADE_ONE)
    randomised = _grade(content=content)
    assert randomised.certainty is Certainty.HIGH
    cohorts = (_trial("C 2010", 20, 200, NRS), _trial("D 2012", 5, 100, NRS))
    observational = _grade(_evidence(studies=cohorts, pooled=_rr_pooled()), content, Certainty.LOW)
    assert observational.certainty is Certainty.HIGH
    lowered = _content(risk_of_bias=Rating.SERIOUS, large_effect=Rating.UPGRADE_TWO)
    assert (
        _grade(_evidence(studies=cohorts), lowered, Certainty.LOW).certainty is Certainty.MODERATE
    )


def test_no_studies_no_start_no_certainty_and_the_no_studies_statement() -> None:
    grade = _grade(_evidence(studies=()), _content(), Certainty.HIGH)
    assert grade.start is None and grade.certainty is None and not grade.pending
    assert grade.statement == NO_STUDIES
    assert grade.relative is None and grade.absolute == () and grade.continuous is None


# --- effects and statement ------------------------------------------------------------------------


def test_ratio_analysis_gives_the_relative_effect_and_absolute_effects_per_baseline() -> None:
    moderate = BaselineRisk("Moderate", 50.0, "cohort (Smith 2019)")
    content = dataclasses.replace(
        _content(imprecision=Rating.SERIOUS), baselines=(moderate,), comments="Two trials."
    )
    grade = _grade(content=content)
    assert grade.relative is not None
    assert (grade.relative.estimate, grade.relative.ci_low) == pytest.approx((0.5, 0.4))
    population, entered = grade.absolute
    assert population.baseline.per_1000 == pytest.approx(200)  # median of 100 and 300
    assert population.intervention_per_1000 == pytest.approx(100)
    assert entered.baseline is moderate and entered.intervention_per_1000 == pytest.approx(25)
    assert grade.statement == "Aspirin probably results in a large reduction in deaths."
    assert grade.comments == "Two trials."


def test_a_written_statement_replaces_the_suggested_one() -> None:
    content = dataclasses.replace(_content(), statement="  Aspirin reduces deaths.  ")
    assert _grade(content=content).statement == "Aspirin reduces deaths."


def test_risk_difference_gives_absolute_effects_only_when_chosen() -> None:
    pooled = PooledEvidence("rd", EffectMeasure.RD, "REML", True, 2, -0.05, -0.08, -0.02)
    grade = _grade(_evidence(pooled=pooled))
    assert grade.relative is None
    (population,) = grade.absolute
    assert population.intervention_per_1000 == pytest.approx(150)
    assert population.difference_ci_low == pytest.approx(-80)


def test_mean_difference_gives_the_continuous_effect() -> None:
    studies = (
        StudyEvidence("P 2019", RCT, participants=60, control_mean=6.0, control_sd=2.0),
        StudyEvidence("Q 2021", RCT, participants=80, control_mean=7.0, control_sd=2.0),
    )
    pooled = PooledEvidence("md", EffectMeasure.MD, "REML", True, 2, -1.2, -2.0, -0.4)
    evidence = _evidence(
        "pain", studies=studies, pooled=pooled, type="continuous", mid=1.0, unit="points"
    )
    grade = _grade(evidence, _content(risk_of_bias=Rating.SERIOUS))
    assert grade.absolute == () and grade.relative is None
    assert grade.continuous is not None and grade.continuous.comparator_mean == 6.5
    assert grade.statement == "Aspirin probably results in a reduction in pain."


def test_a_narrative_synthesis_has_no_pooled_effects() -> None:
    evidence = _evidence(source=EvidenceSource.NARRATIVE, pooled=_rr_pooled(), narrative="Text.")
    grade = _grade(evidence)
    assert grade.relative is None and grade.absolute == () and grade.continuous is None


# --- the table and its footnotes ------------------------------------------------------------------

INDIRECT = StudyEvidence(
    "Vicknasingam 2020",
    RCT,
    participants=26,
    indirect=frozenset({PicoElement.OUTCOME, PicoElement.POPULATION}),
    flagged_indirect=True,
    indirect_note="Experimental pain in healthy kratom users",
)


def _table(*grades: OutcomeGrade) -> SofTable:
    return build_table(
        title="Aspirin compared to placebo",
        question="Does aspirin prevent deaths?",
        population="Adults",
        intervention="Aspirin",
        comparison="Placebo",
        setting="Primary care",
        grades=grades,
    )


def _example_grades() -> tuple[OutcomeGrade, ...]:
    important = _grade(
        _evidence("strokes", "important", pooled=_rr_pooled()),
        _content(risk_of_bias=Rating.SERIOUS, inconsistency=Rating.SERIOUS),
    )
    shared = GradeContent(
        judgements={
            **DOWN_OK,
            D.RISK_OF_BIAS: Judgement(D.RISK_OF_BIAS, Rating.SERIOUS, "risk_of_bias explained"),
            D.PUBLICATION_BIAS: Judgement(
                D.PUBLICATION_BIAS, Rating.NOT_SERIOUS, "Funnel looked fine."
            ),
        },
        baselines=(BaselineRisk("High", 400.0, "registry (Lee 2020)"),),
    )
    critical = _grade(_evidence("deaths", pooled=_rr_pooled()), shared)
    narrative = _grade(
        _evidence(
            "relief",
            "critical",
            studies=(INDIRECT,),
            source=EvidenceSource.NARRATIVE,
            narrative="One crossover study found higher pain tolerance.",
        ),
        _content(indirectness=Rating.VERY_SERIOUS, imprecision=Rating.SERIOUS),
    )
    none = _grade(_evidence("harms", "not_important", studies=()), GradeContent())
    return important, critical, narrative, none


def test_rows_in_outcome_order_and_footnotes_numbered_as_met() -> None:
    table = _table(*_example_grades())
    assert [r.grade.evidence.outcome_id for r in table.rows] == [
        "deaths",
        "relief",
        "strokes",
        "harms",
    ]
    assert table.footnotes == (
        "High comparator risk: registry (Lee 2020)",
        "risk_of_bias explained",
        "Funnel looked fine.",
        "Indirect evidence: Vicknasingam 2020 (population, outcome): Experimental pain in"
        " healthy kratom users",
        "indirectness explained",
        "imprecision explained",
        "inconsistency explained",
    )
    deaths, relief, strokes, harms = table.rows
    assert deaths.footnotes == (1,)
    assert deaths.domain_footnotes == {D.RISK_OF_BIAS: (2,), D.PUBLICATION_BIAS: (3,)}
    assert relief.footnotes == (4,)  # its narrative is in its cells, not a footnote
    assert "One crossover study found higher pain tolerance." not in table.footnotes
    assert relief.domain_footnotes == {D.INDIRECTNESS: (5,), D.IMPRECISION: (6,)}
    assert strokes.footnotes == ()
    assert strokes.domain_footnotes == {D.RISK_OF_BIAS: (2,), D.INCONSISTENCY: (7,)}  # shared text
    assert harms.footnotes == () and harms.domain_footnotes == {}
    assert (table.title, table.comparison, table.setting) == (
        "Aspirin compared to placebo",
        "Placebo",
        "Primary care",
    )


def test_indirect_footnote_without_elements_or_note() -> None:
    flagged = StudyEvidence("X 2000", RCT, flagged_indirect=True)
    judged = StudyEvidence("Y 2001", RCT, indirect=frozenset({PicoElement.COMPARATOR}))
    evidence = _evidence(studies=(flagged, judged, _trial("Z", 1, 10)))
    assert indirect_footnote(evidence) == (
        "Indirect evidence: X 2000 (flagged at extraction); Y 2001 (comparator)"
    )
    assert indirect_footnote(_evidence()) == ""


# --- JSON -----------------------------------------------------------------------------------------


def test_sof_json_holds_the_issues_fields() -> None:
    rows = sof_json(_table(*_example_grades()))
    deaths, relief, strokes, harms = rows
    assert json.loads(json.dumps(rows, allow_nan=False)) == rows
    assert deaths["outcome_id"] == "deaths" and deaths["importance"] == "critical"
    assert (deaths["studies"], deaths["participants"], deaths["source"]) == (2, 400, "analysis")
    assert deaths["relative_effect"] == {
        "measure": "RR",
        "estimate": pytest.approx(0.5),
        "ci_low": pytest.approx(0.4),
        "ci_high": pytest.approx(0.625),
    }
    assert deaths["comparator_risk_per_1000"] == pytest.approx(200)
    assert deaths["intervention_risk_per_1000"] == pytest.approx(100)
    assert deaths["intervention_risk_per_1000_ci_low"] == pytest.approx(80)
    assert deaths["intervention_risk_per_1000_ci_high"] == pytest.approx(125)
    assert [a["baseline"] for a in deaths["absolute_effects"]] == ["Study population", "High"]
    assert deaths["absolute_effects"][1]["difference_per_1000"] == pytest.approx(-200)
    assert deaths["mean_difference"] is None
    assert (deaths["certainty"], deaths["pending"]) == ("moderate", False)
    assert deaths["domains"]["risk_of_bias"] == {
        "suggested": None,
        "final": "serious",
        "footnote": "risk_of_bias explained",
        "rule": "",
    }
    assert deaths["domains"]["large_effect"]["final"] is None
    assert deaths["footnotes"] == [
        "High comparator risk: registry (Lee 2020)",
        "risk_of_bias explained",
        "Funnel looked fine.",
    ]
    assert relief["relative_effect"] is None and relief["comparator_risk_per_1000"] is None
    assert relief["certainty"] == "very_low"
    assert strokes["importance"] == "important"
    assert (harms["studies"], harms["participants"], harms["certainty"]) == (0, None, None)
    assert harms["pending"] is False and harms["statement"] == NO_STUDIES


def test_sof_json_mean_difference_and_nan_as_null() -> None:
    studies = (StudyEvidence("P", RCT, participants=60, control_mean=6.0),)
    pooled = PooledEvidence("md", EffectMeasure.MD, "REML", True, 1, -1.2, math.nan, -0.4)
    evidence = _evidence("pain", studies=studies, pooled=pooled, type="continuous", unit="points")
    (row,) = sof_json(_table(_grade(evidence)))
    assert row["mean_difference"] == {
        "measure": "MD",
        "estimate": -1.2,
        "ci_low": None,
        "ci_high": -0.4,
        "comparator_mean": 6.0,
        "unit": "points",
    }
    assert row["comparator_risk_per_1000"] is None
    assert row["intervention_risk_per_1000"] is None and row["absolute_effects"] == []
    json.dumps(row, allow_nan=False)


def test_a_pending_row_in_json() -> None:
    grade = _grade(content=GradeContent(judgements={}))
    (row,) = sof_json(_table(grade))
    assert row["certainty"] is None and row["pending"] is True
    assert all(d["final"] is None for d in row["domains"].values())


# --- snapshots ------------------------------------------------------------------------------------


def _round_trip(table: SofTable) -> SofTable:
    data = table_to_dict(table)
    return table_from_dict(json.loads(json.dumps(data, allow_nan=False)))


def test_the_example_tables_come_back_equal() -> None:
    for table in (_table(*_example_grades()), example_table(), example_table(published=False)):
        assert _round_trip(table) == table


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_has_nan(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, Mapping):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, tuple | frozenset):
        return any(_has_nan(v) for v in value)
    return False


@settings(max_examples=40, deadline=None)
@given(st.from_type(SofTable))
def test_any_table_survives_the_round_trip(table: SofTable) -> None:
    data = table_to_dict(table)
    back = _round_trip(table)
    assert table_to_dict(back) == data
    if not _has_nan(table):
        assert back == table


def test_non_finite_numbers_are_stored_as_text() -> None:
    pooled = PooledEvidence("x", EffectMeasure.RR, "REML", True, 1, math.inf, -math.inf, math.nan)
    grade = _grade(_evidence(pooled=pooled), _content(), None)
    assert grade.absolute == ()  # nothing to apply without a finite effect and CI
    table = _table(grade)
    stored = table_to_dict(table)["table"]["rows"][0]["grade"]["evidence"]["pooled"]
    assert (stored["estimate"], stored["ci_low"], stored["ci_high"]) == ("inf", "-inf", "nan")
    back = _round_trip(table).rows[0].grade.evidence.pooled
    assert back is not None and back.estimate == math.inf and math.isnan(back.ci_high)


def test_a_snapshot_of_another_version_is_refused() -> None:
    data = table_to_dict(example_table())
    with pytest.raises(ValidationError, match=r"version 2.*reads version 1"):
        table_from_dict({**data, "version": 2})


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("title",), 3, r"SofTable\.title: a str expected, found 3"),
        (("rows", 0, "grade", "certainty"), "great", r"certainty: 'great' is not one of"),
        (("rows", 0, "grade", "evidence", "studies", 0, "participants"), "many",
         r"studies\[0\]\.participants"),
        (("rows", 0, "footnotes"), "1", r"rows\[0\]\.footnotes: a list expected"),
    ],
)  # fmt: skip
def test_a_damaged_snapshot_names_the_place(
    path: tuple[Any, ...], value: object, message: str
) -> None:
    data = json.loads(json.dumps(table_to_dict(example_table())))
    target = data["table"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError, match=message):
        table_from_dict(data)


def test_a_missing_required_field_is_named() -> None:
    data = json.loads(json.dumps(table_to_dict(example_table())))
    del data["table"]["rows"][0]["grade"]["statement"]
    with pytest.raises(ValidationError, match="grade: 'statement' is missing"):
        table_from_dict(data)
