"""An outcome's certainty as the GRADE page and the Summary-of-findings page show it: GRADEpro's
circles and the level's word (⊕⊕◯◯ Low), a coloured badge, or why there is no level ("no
studies", "pending" while a downgrading domain waits for its rating).

The circles and words are the model's (``Certainty.symbols``, ``Certainty.label``), so the page
says what the exported tables say.
"""

from __future__ import annotations

from review_app.domain.grade.model import Certainty, OutcomeGrade

NO_STUDIES = "no studies"
PENDING = "pending"
# Streamlit's badge colours, greener for more certain evidence (GRADEpro shades the same way).
COLOURS = {
    Certainty.HIGH: "green",
    Certainty.MODERATE: "blue",
    Certainty.LOW: "orange",
    Certainty.VERY_LOW: "red",
}


def certainty_words(certainty: Certainty | None, *, has_studies: bool) -> str:
    """ "⊕⊕◯◯ Low", or "no studies", or "pending" (studies, no certainty yet): plain text for a
    table cell or a select box's option."""
    if not has_studies:
        return NO_STUDIES
    if certainty is None:
        return PENDING
    return f"{certainty.symbols} {certainty.label}"


def grade_words(grade: OutcomeGrade) -> str:
    """:func:`certainty_words` of an assessed outcome."""
    return certainty_words(grade.certainty, has_studies=grade.evidence.has_studies)


def badge(certainty: Certainty | None, *, has_studies: bool) -> str:
    """The certainty as a Markdown badge (grey when there is no level)."""
    words = certainty_words(certainty, has_studies=has_studies)
    colour = "gray" if certainty is None or not has_studies else COLOURS[certainty]
    return f":{colour}-badge[{words}]"
