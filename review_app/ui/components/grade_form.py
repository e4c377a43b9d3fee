"""One copy of one outcome's GRADE assessment as a form (a judge's own copy, or a lead's final):
the body of evidence, the studies and their indirectness, the eight domains, the certainty the
ratings give as they are chosen, the plain-language statement, the comparator risks for the
absolute effects and the comments; :meth:`GradeForm.draw` returns the copy as the widgets hold it
(``GradeContent``), for the page to save in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from review_app.domain.grade.model import (
    DOWNGRADE_DOMAINS,
    BaselineRisk,
    Certainty,
    GradeContent,
    GradeDomain,
    Judgement,
    OutcomeEvidence,
    Suggestion,
    rated_certainty,
)
from review_app.ui.components import grade_domains, grade_evidence
from review_app.ui.components.grade_certainty import badge
from review_app.ui.components.grade_keys import Keys
from review_app.ui.components.text import escape_markdown

DICHOTOMOUS = "dichotomous"  # protocol OutcomeType: comparator risks apply to these
# GRADEpro's three comparator risks besides the study population's (GRADE Handbook 5.2.4.1)
BASELINE_LABELS = ("Low", "Moderate", "High")
PER_1000_MAX = 1000.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the form needs of an outcome's view: its evidence and suggestions as the service
    computed them, the starting level, the saved copy, the suggested statement and the names of
    the outcome's saved analyses."""

    evidence: OutcomeEvidence
    suggestions: dict[GradeDomain, Suggestion]
    start: Certainty | None
    saved: GradeContent
    suggested_statement: str
    analyses: Sequence[str]


class GradeForm:
    def __init__(self, keys: Keys, outcome: Outcome) -> None:
        self.keys = keys
        self.outcome = outcome

    def draw(self) -> GradeContent:
        """Every section of the form; the copy as the widgets hold it now."""
        saved, evidence = self.outcome.saved, self.outcome.evidence
        st.markdown("##### Body of evidence")
        source, analysis, narrative = grade_evidence.pick_source(
            self.keys, saved, evidence, self.outcome.analyses
        )
        grade_evidence.show_studies(evidence)
        indirect = grade_evidence.pick_indirect(self.keys, saved, evidence)
        if grade_evidence.indirect_changed(indirect, evidence):
            st.caption("The indirectness suggestion follows these choices once they are saved.")
        st.markdown("##### Certainty of the evidence, domain by domain")
        if self.outcome.start is not None:
            st.caption(f"Starting level: {badge(self.outcome.start, has_studies=True)}")
        judgements = grade_domains.show(
            self.keys, evidence, self.outcome.suggestions, saved.judgements
        )
        self._certainty(judgements)
        statement = self._statement()
        baselines = self._baselines() if evidence.type == DICHOTOMOUS else saved.baselines
        comments: str = st.text_area(
            "Comments (the table's comments cell)",
            key=self.keys.seeded("comments", saved.comments),
            height=90,
        )
        return GradeContent(
            source=source,
            analysis=analysis,
            narrative=narrative,
            indirect=indirect,
            judgements=judgements,
            baselines=baselines,
            comments=comments.strip(),
            statement=statement,
        )

    def _certainty(self, judgements: dict[GradeDomain, Judgement]) -> None:
        """The certainty the ratings chosen give, as they are chosen."""
        start = self.outcome.start
        if start is None or not self.outcome.evidence.has_studies:
            st.markdown(f"**Certainty:** {badge(None, has_studies=False)}")
            return
        unrated = [d.label for d in DOWNGRADE_DOMAINS if judgements.get(d, _NONE).rating is None]
        if unrated:
            st.markdown(
                f"**Certainty:** {badge(None, has_studies=True)} · still to rate: "
                + escape_markdown(", ".join(unrated))
            )
            return
        certainty = rated_certainty(start, (j.rating for j in judgements.values()))
        st.markdown(f"**Certainty:** {badge(certainty, has_studies=True)}")

    def _statement(self) -> str:
        """The plain-language statement; "" while it is the suggested one (which then follows
        the certainty and the effect when they change)."""
        suggested = self.outcome.suggested_statement
        typed: str = st.text_area(
            "Plain-language statement",
            key=self.keys.seeded("statement", self.outcome.saved.statement or suggested),
            height=90,
            placeholder="Suggested once every domain that rates certainty down is rated and saved.",
            help="Suggested from the certainty and the effect in GRADE's words (Santesso et al., "
            "GRADE guidance 26, 2020); edit it if it does not fit. Empty: the suggested one.",
        )
        return "" if typed.strip() == suggested.strip() else typed.strip()

    def _baselines(self) -> tuple[BaselineRisk, ...]:
        """Low, moderate and high comparator risks per 1,000 with their sources (each optional;
        the study population's risk is always computed)."""
        saved = {b.label: b for b in self.outcome.saved.baselines}
        entered: list[BaselineRisk] = []
        with st.expander("Comparator risks besides the study population's", expanded=bool(saved)):
            st.caption(
                "Per 1,000 people, with the source (a cohort, a registry); the absolute effects "
                "are computed for each from the pooled relative effect."
            )
            for label in BASELINE_LABELS:
                risk = self._baseline(label, saved.get(label))
                if risk is not None:
                    entered.append(risk)
        return tuple(entered)

    def _baseline(self, label: str, saved: BaselineRisk | None) -> BaselineRisk | None:
        number, source = st.columns((1, 3))
        per_1000 = number.number_input(
            f"{label} risk per 1,000",
            min_value=0.0,
            max_value=PER_1000_MAX,
            step=1.0,
            key=self.keys.seeded(f"baseline:{label}", saved.per_1000 if saved else None),
        )
        where: str = source.text_input(
            f"{label} risk: source",
            key=self.keys.seeded(f"baseline_source:{label}", saved.source if saved else ""),
        )
        if per_1000 is None:
            return None
        return BaselineRisk(label=label, per_1000=float(per_1000), source=where.strip())


_NONE = Judgement(domain=GradeDomain.RISK_OF_BIAS)  # stands for a domain not judged
