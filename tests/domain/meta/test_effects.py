"""Effect sizes against R metafor 3.8-1 ``escalc`` (values below printed by R on this machine with
``options(digits=17)``; the script's calls are quoted beside them) and the checks on bad input."""

from __future__ import annotations

import math

import pytest

from review_app.domain.meta.effects import AddTo, effect_sizes, hedges_correction
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import Continuous, Dichotomous, EffectSize, Generic
from review_app.domain.vocabulary import EffectMeasure

RR, OR, RD, MD, SMD = (
    EffectMeasure.RR,
    EffectMeasure.OR,
    EffectMeasure.RD,
    EffectMeasure.MD,
    EffectMeasure.SMD,
)

# ai, n1i, ci, n2i: a zero in one arm, a double zero, no zero, no non-events in one arm,
# all events in both arms, no zero.
TABLES = [
    Dichotomous("zero in t", 0, 10, 2, 10),
    Dichotomous("double zero", 0, 12, 0, 12),
    Dichotomous("plain", 3, 10, 3, 10),
    Dichotomous("all events in t", 10, 10, 5, 10),
    Dichotomous("all events", 10, 10, 10, 10),
    Dichotomous("plain 2", 1, 20, 4, 25),
]

# escalc(m, ai, n1i, ci, n2i, drop00=TRUE) for RR and OR; escalc("RD", ...) (drop00=FALSE).
R_ONLY0: dict[EffectMeasure, list[tuple[float, float] | None]] = {
    RR: [
        (-1.60943791243410006, 2.218181818181818254),
        None,
        (0.0, 0.466666666666666674),
        (0.64662716492505246, 0.095238095238095233),
        None,
        (-1.16315080980568064, 1.159999999999999920),
    ],
    OR: [
        (-1.8207470061013074, 2.61288515406162469),
        None,
        (0.0, 0.95238095238095233),
        (3.0445224377234239, 2.45887445887445866),
        None,
        (-1.2862109025629080, 1.35025062656641603),
    ],
    RD: [
        (-0.18181818181818182, 0.0199098422238918119),
        (0.0, 0.0056895766954938552),
        (0.0, 0.0419999999999999957),
        (0.45454545454545459, 0.0266716754320060062),
        (0.0, 0.0078888054094665601),
        (-0.11, 0.0077509999999999992),
    ],
}


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-14)


def _check(effects: tuple[EffectSize, ...], expected: list[tuple[float, float] | None]) -> None:
    wanted = [(t.study, e) for t, e in zip(TABLES, expected, strict=True) if e is not None]
    assert [e.study for e in effects] == [study for study, _ in wanted]
    for effect, (_, (yi, vi)) in zip(effects, wanted, strict=True):
        assert _close(effect.yi, yi), effect
        assert _close(effect.vi, vi), effect


@pytest.mark.parametrize("measure", [RR, OR, RD])
def test_zero_cells_as_escalc(measure: EffectMeasure) -> None:
    effects, dropped = effect_sizes(TABLES, measure)
    _check(effects, R_ONLY0[measure])
    corrected = {e.study for e in effects if e.corrected}
    assert corrected == {"zero in t", "all events in t"} | (
        {"double zero", "all events"} if measure is RD else set()
    )
    if measure is RD:  # a risk difference is defined in double-zero studies: kept
        assert dropped == ()
    else:
        assert [(d.study, d.reason.split(",")[0]) for d in dropped] == [
            ("double zero", "no events in either arm"),
            ("all events", "every participant had the event in both arms"),
        ]


def test_if0all_corrects_every_study_when_one_has_a_zero() -> None:
    # escalc("OR", ..., drop00=TRUE, to="if0all")
    effects, _ = effect_sizes(TABLES, OR, to="if0all")
    _check(
        effects,
        [
            (-1.8207470061013074, 2.61288515406162469),
            None,
            (0.0, 0.83809523809523800),
            (3.0445224377234239, 2.45887445887445866),
            None,
            (-1.0009738191041937, 0.98668256807791688),
        ],
    )
    assert all(e.corrected for e in effects)


def test_to_all_with_another_add() -> None:
    # escalc("RR", ..., drop00=TRUE, to="all", add=0.25)
    effects, _ = effect_sizes(TABLES, RR, add=0.25, to=AddTo.ALL)
    _check(
        effects,
        [
            (-2.19722457733621912, 4.253968253968253954),
            None,
            (0.0, 0.424908424908424953),
            (0.66904962898088471, 0.097560975609756101),
            None,
            (-1.00552186560209789, 0.947297943567671052),
        ],
    )


def test_without_correction_a_zero_cell_leaves_the_ratio_undefined() -> None:
    effects, dropped = effect_sizes(TABLES, OR, to="none")
    assert [e.study for e in effects] == ["plain", "plain 2"]
    assert {d.study for d in dropped} == {
        "zero in t",
        "double zero",
        "all events in t",
        "all events",
    }
    assert "continuity correction" in dict((d.study, d.reason) for d in dropped)["zero in t"]


def test_double_zero_kept_when_drop00_is_off() -> None:
    effects, dropped = effect_sizes(TABLES, RR, drop00=False)
    assert dropped == ()
    double = next(e for e in effects if e.study == "double zero")
    assert double.yi == 0.0 and double.corrected


def test_hedges_g_with_exact_correction() -> None:
    # escalc("SMD", m1i=c(1.2,3,-1), sd1i=c(1,2,0.5), n1i=c(3,20,8),
    #        m2i=c(0.4,3.5,-2), sd2i=c(1.5,2.5,0.7), n2i=c(2,25,7))
    arms = [
        Continuous("a", 1.2, 1, 3, 0.4, 1.5, 2),
        Continuous("b", 3, 2, 20, 3.5, 2.5, 25),
        Continuous("c", -1, 0.5, 8, -2, 0.7, 7),
    ]
    expected = [
        (0.48635732425709965, 0.856987678019185850),
        (-0.21426714743713249, 0.090510115671898289),
        (1.56663125425587713, 0.349668259084187638),
    ]
    effects, dropped = effect_sizes(arms, SMD)
    assert dropped == ()
    for effect, (yi, vi) in zip(effects, expected, strict=True):
        assert _close(effect.yi, yi) and _close(effect.vi, vi)


def test_hedges_correction_approaches_one() -> None:
    # the gamma functions themselves where they do not overflow, Hedges' approximation far out
    direct = math.gamma(5) / (math.sqrt(5) * math.gamma(4.5))
    assert hedges_correction(10) == pytest.approx(direct, rel=1e-14)
    assert hedges_correction(1e6) == pytest.approx(1 - 3 / (4 * 1e6 - 1), rel=1e-9)


def test_smd_needs_four_participants() -> None:
    effects, dropped = effect_sizes([Continuous("tiny", 1, 1, 2, 0, 1, 1)], SMD)
    assert effects == () and "at least 4 participants" in dropped[0].reason


def test_mean_difference() -> None:
    (effect,), _ = effect_sizes([Continuous("s", 55, 47, 155, 75, 64, 156)], MD)
    assert effect.yi == -20 and _close(effect.vi, 47**2 / 155 + 64**2 / 156)


def test_generic_passes_through() -> None:
    effects, dropped = effect_sizes([Generic("g", -0.3, 0.04)], EffectMeasure.HR)
    assert effects[0].yi == -0.3 and effects[0].vi == 0.04 and dropped == ()


@pytest.mark.parametrize(
    ("study", "measure", "message"),
    [
        (Dichotomous("S1", 12, 10, 1, 10), RR, "Study 'S1': events_t (12) is larger than n_t (10)"),
        (Dichotomous("S2", 1, 10, -1, 10), OR, "Study 'S2': events_c must be 0 or more"),
        (Dichotomous("S3", 0, 0, 1, 10), RD, "Study 'S3': n_t must be at least 1"),
        (Dichotomous("S4", math.nan, 10, 1, 10), RR, "Study 'S4': events_t must be a finite"),
        (Continuous("S5", 1, 0, 10, 1, 1, 10), MD, "Study 'S5': sd_t must be above 0"),
        (Continuous("S6", 1, 1, 10, 1, 1, -3), SMD, "Study 'S6': n_c must be at least 1"),
        (Generic("S7", 0.1, 0), RR, "Study 'S7': vi (the sampling variance) must be above 0"),
        (Generic("S8", math.inf, 0.1), RR, "Study 'S8': yi must be a finite number"),
        (Dichotomous("S9", 1, 10, 1, 10), MD, "MD cannot be computed from 2x2 tables"),
        (Continuous("S10", 1, 1, 10, 1, 1, 10), RR, "RR cannot be computed from means"),
    ],
)
def test_bad_input_names_study_and_field(
    study: object, measure: EffectMeasure, message: str
) -> None:
    with pytest.raises(MetaError) as caught:
        effect_sizes([study], measure)  # type: ignore[list-item]
    assert message in str(caught.value)


def test_mixed_kinds_and_bad_options_refused() -> None:
    with pytest.raises(MetaError, match="same kind of data"):
        effect_sizes([Generic("g", 0, 1), Dichotomous("d", 1, 2, 1, 2)], RR)
    with pytest.raises(MetaError, match="must be one of all, only0, if0all, none"):
        effect_sizes(TABLES, RR, to="sometimes")
    with pytest.raises(MetaError, match="0 or more"):
        effect_sizes(TABLES, RR, add=-1)


def test_nothing_in_nothing_out() -> None:
    assert effect_sizes([], RR) == ((), ())
