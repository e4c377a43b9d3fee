"""A GRADE copy's content as JSON and item by item (domain/grade/content.py): read back equal,
unknown words refused with where they are, copies compared, one item taken, changes listed."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_app.domain.grade.content import (
    changes,
    check_item,
    compare,
    content_from_dict,
    content_to_dict,
    take,
    tidy,
)
from review_app.domain.grade.model import (
    BaselineRisk,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    PicoElement,
    Rating,
)
from review_app.errors import ValidationError

ROB, IMPRECISION = GradeDomain.RISK_OF_BIAS, GradeDomain.IMPRECISION
TEXT = st.text(max_size=20)


@st.composite
def contents(draw: st.DrawFn) -> GradeContent:
    domains = draw(st.lists(st.sampled_from(list(GradeDomain)), unique=True))
    judgements = {
        d: Judgement(d, draw(st.none() | st.sampled_from(d.ratings)), draw(TEXT)) for d in domains
    }
    indirect = draw(
        st.dictionaries(TEXT, st.frozensets(st.sampled_from(list(PicoElement))), max_size=3)
    )
    baselines = draw(
        st.lists(
            st.builds(BaselineRisk, TEXT, st.floats(0, 1000, allow_nan=False), TEXT), max_size=3
        )
    )
    return GradeContent(
        source=draw(st.none() | st.sampled_from(list(EvidenceSource))),
        analysis=draw(st.none() | TEXT.filter(bool)),
        narrative=draw(TEXT),
        indirect=indirect,
        judgements=judgements,
        baselines=tuple(baselines),
        comments=draw(TEXT),
        statement=draw(TEXT),
    )


@given(contents())
def test_content_reads_back_equal_through_json(content: GradeContent) -> None:
    stored = json.loads(json.dumps(content_to_dict(content)))
    assert content_from_dict(stored) == content


def test_missing_keys_take_their_defaults() -> None:
    assert content_from_dict({}) == GradeContent()
    assert content_from_dict({"judgements": {"imprecision": {"rating": "serious"}}}) == (
        GradeContent(judgements={IMPRECISION: Judgement(IMPRECISION, Rating.SERIOUS, "")})
    )


def test_unknown_words_are_refused_each_with_where_it_is() -> None:
    data = {
        "source": "meta",
        "colour": "red",
        "indirect": {"Smith 2020": ["setting"]},
        "judgements": {
            "risk_of_bias": {"rating": "plus_one", "why": "x"},
            "vibes": {"rating": "serious"},
        },
        "baselines": [{"label": "Moderate", "per_1000": "200"}],
    }
    with pytest.raises(ValidationError) as refused:
        content_from_dict(data)
    message = str(refused.value)
    for expected in (
        "'colour' is not a key; allowed: source, analysis",
        "source: 'meta' is not allowed; allowed: analysis, narrative, none",
        "indirect.Smith 2020: 'setting' is not allowed; allowed: population, intervention",
        "judgements.risk_of_bias: 'why' is not a key; allowed: rating, explanation",
        "judgements.risk_of_bias: 'plus_one' is not a rating of Risk of bias; allowed: "
        "not_serious (Not serious), serious (Serious), very_serious (Very serious)",
        "judgements: 'vibes' is not allowed",
        "baselines[1].per_1000: '200' is not a number",
    ):
        assert expected in message
    assert message.endswith("(nothing was read)")


def test_tidy_trims_and_drops_what_holds_nothing() -> None:
    messy = GradeContent(
        analysis="  ",
        indirect={" Smith 2020 ": frozenset({PicoElement.OUTCOME}), "Lee 2019": frozenset()},
        judgements={
            IMPRECISION: Judgement(ROB, Rating.SERIOUS, " wide CI "),  # filed under its key
            ROB: Judgement(ROB, None, "  "),
        },
        comments=" c ",
    )
    assert tidy(messy) == GradeContent(
        indirect={"Smith 2020": frozenset({PicoElement.OUTCOME})},
        judgements={IMPRECISION: Judgement(IMPRECISION, Rating.SERIOUS, "wide CI")},
        comments="c",
    )


ANA = GradeContent(
    source=EvidenceSource.ANALYSIS,
    analysis="Pain, REML",
    judgements={ROB: Judgement(ROB, Rating.SERIOUS, "High-risk trials carry 60 %.")},
    indirect={"Lee 2019": frozenset({PicoElement.POPULATION})},
)
BEN = GradeContent(
    source=EvidenceSource.ANALYSIS,
    analysis="Pain, REML",
    judgements={
        ROB: Judgement(ROB, Rating.VERY_SERIOUS, "Most weight at high risk."),
        IMPRECISION: Judgement(IMPRECISION, Rating.SERIOUS, "CI crosses the MID."),
    },
    baselines=(BaselineRisk("Moderate", 200, "UK cohort"),),
)


def test_copies_are_compared_item_by_item_in_profile_order() -> None:
    compared = compare([ANA, BEN])
    rows = [(row.item.label, row.values, row.same) for row in compared.items]
    assert rows == [
        ("Body of evidence", ("analysis", "analysis"), True),
        ("Saved analysis", ("Pain, REML", "Pain, REML"), True),
        ("Risk of bias: rating", ("Serious", "Very serious"), False),
        ("Risk of bias: explanation", ("High-risk trials carry 60 %.", "Most weight at high risk."),
         False),
        ("Imprecision: rating", (None, "Serious"), False),
        ("Imprecision: explanation", (None, "CI crosses the MID."), False),
        ("Indirect PICO elements: Lee 2019", ("population", None), False),
        ("Comparator risks", (None, "Moderate 200 per 1,000 (UK cohort)"), False),
    ]  # fmt: skip
    assert compared.agreement == pytest.approx(2 / 8)


def test_a_rating_is_taken_with_its_explanation_and_an_absent_item_empties_the_final() -> None:
    final = take(ANA, BEN, ("rating", "risk_of_bias"))
    assert final.judgements[ROB] == BEN.judgements[ROB]
    final = take(final, ANA, ("explanation", "risk_of_bias"))
    assert final.judgements[ROB] == Judgement(
        ROB, Rating.VERY_SERIOUS, ANA.judgements[ROB].explanation
    )
    assert take(ANA, BEN, ("indirect", "Lee 2019")).indirect == {}
    assert take(GradeContent(), BEN, ("source",)) == GradeContent(
        source=EvidenceSource.ANALYSIS, analysis="Pain, REML"
    )
    assert [key for key, _old, _new in changes(ANA, take(ANA, BEN, ("baselines",)))] == [
        ("baselines",)
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ((), "the first part is one of source, analysis"),
        (("rating",), "give ['rating', domain]; domains: risk_of_bias"),
        (("rating", "vibes"), "give ['rating', domain]"),
        (("indirect",), "give ['indirect', study label]"),
        (("comments", "x"), "give ['comments'] alone"),
    ],
)
def test_an_item_names_what_there_is(item: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        check_item(item)


def test_changes_list_each_item_that_differs_with_its_values() -> None:
    assert list(changes(ANA, BEN)) == [
        (("rating", "risk_of_bias"), "serious", "very_serious"),
        (("explanation", "risk_of_bias"), ANA.judgements[ROB].explanation,
         BEN.judgements[ROB].explanation),
        (("rating", "imprecision"), None, "serious"),
        (("explanation", "imprecision"), None, "CI crosses the MID."),
        (("indirect", "Lee 2019"), ["population"], None),
        (("baselines",), None, [{"label": "Moderate", "per_1000": 200, "source": "UK cohort"}]),
    ]  # fmt: skip
