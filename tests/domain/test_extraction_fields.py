"""The study-characteristics form: values normalised by their field's type, refused with the
field's label and what is allowed, and required fields left empty."""

from __future__ import annotations

import pytest

from review_app.domain.extraction.fields import check_characteristic, missing_required
from review_app.errors import ValidationError
from review_app.protocol.model import ExtractionField

COUNTRY = ExtractionField(id="country", label="Country", required=True)
PARTICIPANTS = ExtractionField(id="participants", label="Participants", type="integer")
AGE = ExtractionField(id="mean_age", label="Mean age", type="number", required=True)
SETTING = ExtractionField(
    id="setting", label="Setting", type="choice", choices=["Inpatient", "Outpatient"]
)
FUNDED = ExtractionField(id="funded", label="Industry funded", type="boolean")


@pytest.mark.parametrize(
    ("field", "raw", "normal"),
    [
        (COUNTRY, "  Malaysia ", "Malaysia"),
        (PARTICIPANTS, " 26 ", "26"),
        (PARTICIPANTS, "26.0", "26"),
        (PARTICIPANTS, "+26", "26"),
        (AGE, "1.50", "1.5"),
        (AGE, "40", "40"),
        (AGE, "1e2", "100"),
        (AGE, "-0.25", "-0.25"),
        (SETTING, "outpatient", "Outpatient"),
        (SETTING, " INPATIENT ", "Inpatient"),
        (FUNDED, "Yes", "yes"),
        (FUNDED, "true", "yes"),
        (FUNDED, "N", "no"),
        (FUNDED, "0", "no"),
    ],
)
def test_values_take_one_normal_form(field: ExtractionField, raw: str, normal: str) -> None:
    assert check_characteristic(field, raw) == normal


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_is_no_value(raw: str | None) -> None:
    assert check_characteristic(AGE, raw) is None


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        (PARTICIPANTS, "26.5", "Participants: '26.5' is not a whole number"),
        (PARTICIPANTS, "twenty", "Participants: 'twenty' is not a number"),
        (AGE, "1,5", "Mean age: '1,5' is not a number; write a number such as 12 or 3.5"),
        (AGE, "nan", "Mean age: 'nan' is not a number"),
        (AGE, "inf", "Mean age: 'inf' is not a number"),
        (SETTING, "Home", "Setting: 'Home' is not one of the choices: 'Inpatient', 'Outpatient'"),
        (FUNDED, "maybe", "Industry funded: 'maybe' is not yes or no"),
    ],
)
def test_values_that_do_not_fit_are_refused_naming_the_field(
    field: ExtractionField, raw: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        check_characteristic(field, raw)
    assert str(refused.value).startswith(message)


def test_missing_required_lists_required_fields_left_blank_in_form_order() -> None:
    fields = [COUNTRY, PARTICIPANTS, AGE, SETTING]
    assert missing_required(fields, {}) == [COUNTRY, AGE]
    assert missing_required(fields, {"country": "  ", "mean_age": "40"}) == [COUNTRY]
    assert missing_required(fields, {"country": "Malaysia", "mean_age": "40"}) == []
