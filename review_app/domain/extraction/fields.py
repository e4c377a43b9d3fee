"""The study-characteristics form: the protocol's ``extraction_fields`` checked by type (pure).

Values are kept as text in one normal form, so that two extractors who typed "12" and " 12 ", or
"1.50" and "1.5", or "Yes" and "yes", agree: text is trimmed; an integer is written in digits; a
number in plain decimal notation without trailing zeros; a choice as the protocol spells it; a
boolean as "yes" or "no". A blank value is no value (None); whether it may be blank is
:func:`missing_required`'s question, not :func:`check_characteristic`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation

from review_app.domain.extraction.model import same_label
from review_app.errors import ValidationError
from review_app.protocol.model import ExtractionField

YES, NO = "yes", "no"
_BOOLEAN_WORDS = {
    **dict.fromkeys(("yes", "y", "true", "1"), YES),
    **dict.fromkeys(("no", "n", "false", "0"), NO),
}


def check_characteristic(field: ExtractionField, raw: str | None) -> str | None:
    """``raw`` in its normal form for ``field``, None when blank, or ValidationError naming the
    field's label and what it allows."""
    if raw is None or not raw.strip():
        return None
    return _NORMALISERS[field.type](field, raw.strip())


def missing_required(
    fields: Iterable[ExtractionField], characteristics: Mapping[str, str]
) -> list[ExtractionField]:
    """The required fields without a value, in form order."""
    return [
        field
        for field in fields
        if field.required and not (characteristics.get(field.id) or "").strip()
    ]


def _text(field: ExtractionField, text: str) -> str:
    return text


def _integer(field: ExtractionField, text: str) -> str:
    number = _decimal(field, text, "a whole number such as 12")
    if number != number.to_integral_value():
        raise ValidationError(f"{field.label}: '{text}' is not a whole number; write e.g. 12.")
    return str(int(number))


def _number(field: ExtractionField, text: str) -> str:
    number = _decimal(field, text, "a number such as 12 or 3.5")
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _decimal(field: ExtractionField, text: str, allowed: str) -> Decimal:
    """``text`` as a finite decimal number (a point, never a comma, before the decimals)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValidationError(
            f"{field.label}: '{text}' is not a number; write {allowed} "
            "(digits, a point before decimals)."
        )
    return number


def _choice(field: ExtractionField, text: str) -> str:
    wanted = same_label(text)
    match = next((choice for choice in field.choices if same_label(choice) == wanted), None)
    if match is None:
        allowed = ", ".join(f"'{choice}'" for choice in field.choices)
        raise ValidationError(f"{field.label}: '{text}' is not one of the choices: {allowed}.")
    return match


def _boolean(field: ExtractionField, text: str) -> str:
    answer = _BOOLEAN_WORDS.get(text.casefold())
    if answer is None:
        raise ValidationError(f"{field.label}: '{text}' is not yes or no; write yes or no.")
    return answer


_NORMALISERS: Mapping[str, Callable[[ExtractionField, str], str]] = {
    "text": _text,
    "integer": _integer,
    "number": _number,
    "choice": _choice,
    "boolean": _boolean,
}
