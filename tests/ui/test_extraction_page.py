"""The Extraction page: the draft that keeps typed values, a reviewer's own copy (validation
naming the field, derived values as typed, nothing lost), and a lead's comparison and consensus."""

from __future__ import annotations

import pytest

from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign
from review_app.protocol import load_protocol
from review_app.services.demo import DEMO_PROTOCOL
from review_app.ui.components.extraction_draft import from_extraction, read_number, to_extraction
from review_app.ui.components.extraction_form import labels_for

LABELS = labels_for(load_protocol(DEMO_PROTOCOL))

SAVED = StudyExtraction(
    study="Trial 2021",
    extractor="reviewer1",
    design=Design(kind=StudyDesign.CROSSOVER, crossover_correlation=0.5, note="two periods"),
    characteristics={"country": "Malaysia", "n_randomised": "26"},
    arms=(
        Arm("Kratom", ArmRole.INTERVENTION, "decoction", 26),
        Arm("Placebo", ArmRole.COMPARATOR),
    ),
    results=(
        Result("pain_intensity", "1 hour", "Kratom", "mean_se", {"n": 26, "mean": 4.5, "se": 0.3}),
        Result(
            "pain_intensity",
            "1 hour",
            "Kratom",
            "estimate_ci",
            {"estimate": -1.2, "ci_lower": -2.0, "ci_upper": -0.4},
            comparator="Placebo",
            measure=EffectMeasure.MD,
            adjusted=True,
            note="paired",
        ),
    ),
    indirect_evidence="healthy volunteers",
)


def test_a_draft_gives_back_the_copy_it_shows() -> None:
    draft = from_extraction(SAVED, version="v1")
    data, unreadable = to_extraction(
        draft, study=SAVED.study, extractor=SAVED.extractor, complete=False, labels=LABELS
    )
    assert unreadable == []
    assert data == SAVED


def test_renaming_an_arm_keeps_its_results() -> None:
    draft = from_extraction(SAVED, version="v1")
    token = draft.arm_token("placebo")
    assert token is not None
    draft.values[f"arm:{token}:label"] = "Sham"
    data, _ = to_extraction(
        draft, study="Trial 2021", extractor=None, complete=False, labels=LABELS
    )
    assert [a.label for a in data.arms] == ["Kratom", "Sham"]
    assert data.results[1].comparator == "Sham"


def test_what_cannot_be_read_is_named_and_left_out() -> None:
    draft = from_extraction(SAVED, version="v1")
    first = draft.results[0]
    draft.values[f"res:{first}:v:n"] = "25.5"
    draft.values[f"res:{first}:v:se"] = "n/a"
    draft.values[f"arm:{draft.arms[1]}:randomised"] = "twelve"
    data, unreadable = to_extraction(
        draft, study="Trial 2021", extractor=None, complete=False, labels=LABELS
    )
    messages = [str(u) for u in unreadable]
    assert any(
        m.startswith("Arm 'Placebo', Randomised: 'twelve' is not a number") for m in messages
    )
    place = "Pain intensity, 1 hour, Kratom"
    assert any(m.startswith(f"{place}, ") and "25.5 is not a whole number" in m for m in messages)
    assert any(m.startswith(f"{place}, ") and "'n/a' is not a number" in m for m in messages)
    assert data.results[0].values == {"mean": 4.5}


@pytest.mark.parametrize(
    ("typed", "number"), [("", None), (" 3.5 ", 3.5), ("-2", -2.0), ("1e3", 1000.0)]
)
def test_typed_numbers(typed: str, number: float | None) -> None:
    assert read_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "whole", "message"),
    [("abc", False, "'abc' is not a number"), ("inf", False, "not a finite number"),
     ("2,5", False, "'2,5' is not a number; write digits with a point before decimals"),
     ("2.5", True, "2.5 is not a whole number")],
)  # fmt: skip
def test_typed_numbers_refused(typed: str, whole: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_number(typed, whole=whole)
