"""One copy of a study's extraction as plain data: what an extractor (or the consensus) recorded.

A study is extracted in copies: one per extractor (two by default, the protocol's
``[extraction] extractors_per_study``) and one consensus copy, which the lead fixes and which the
analyses use (Covidence's reviewer 1 + reviewer 2 + consensus). The services read and write the
database as these dataclasses; the comparison of copies, the file layout of
``review-app export extraction`` and its import are written against them, never against tables.

Arms are named by their label, unique within a copy (compared case-insensitively and trimmed), so
two extractors' arms, and a file's rows, are matched by what people wrote, not by database ids.
Results hold numbers as the paper reports them (``values``, keyed by the fields of their format in
:mod:`review_app.domain.extraction.formats`); what a result means for the analysis (n, mean, SD;
events and total; an estimate and its SE) is derived from them there, with the formula that did it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign


def same_label(text: str) -> str:
    """The form in which labels (arms, time points) are compared: trimmed, spaces collapsed,
    case-folded ("Placebo ", "placebo" and "PLACEBO" are one arm)."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Arm:
    """A group of a study: what it received and how many were randomised (or allocated) to it."""

    label: str
    role: ArmRole
    description: str = ""
    randomised: int | None = None

    @property
    def key(self) -> str:
        return same_label(self.label)


@dataclass(frozen=True, slots=True)
class Design:
    """The design facts an analysis needs (Cochrane Handbook chapter 23).

    Crossover: a paired analysis needs the within-person SE of each contrast, or the correlation
    between the two periods' measurements used to impute it (23.2.7). Cluster: the mean cluster
    size and the intracluster correlation give the design effect (23.1.4).
    """

    kind: StudyDesign | None = None
    mean_cluster_size: float | None = None
    icc: float | None = None
    crossover_correlation: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """A result of one outcome at one time point: of one arm, or between two arms (a contrast).

    Arm-level: ``arm`` is the arm's label, ``comparator`` None. Contrast: ``arm`` is the
    intervention arm, ``comparator`` the comparator arm, ``measure`` the effect measure, and
    ``adjusted`` whether the estimate was adjusted (for covariates, clustering, pairing).
    """

    outcome_id: str
    timepoint: str
    arm: str
    format: str  # a key of formats.FORMATS
    values: Mapping[str, float] = field(default_factory=dict)  # as reported; absent: not reported
    comparator: str | None = None
    measure: EffectMeasure | None = None
    adjusted: bool = False
    note: str = ""

    @property
    def is_contrast(self) -> bool:
        return self.comparator is not None

    @property
    def key(self) -> tuple[str, str, str, str, str, bool]:
        """What makes a result the same result in two copies (and unique within one)."""
        return (
            self.outcome_id,
            same_label(self.timepoint),
            same_label(self.arm),
            same_label(self.comparator) if self.comparator is not None else "",
            str(self.measure or ""),
            self.adjusted,
        )


@dataclass(frozen=True, slots=True)
class StudyExtraction:
    """One copy of one study's extraction: an extractor's, or the consensus (``extractor`` None)."""

    study: str  # the study's label ("Vicknasingam 2020")
    extractor: str | None  # the extractor's user name; None for the consensus copy
    design: Design = field(default_factory=Design)
    characteristics: Mapping[str, str] = field(default_factory=dict)  # protocol field id -> text
    arms: tuple[Arm, ...] = ()
    results: tuple[Result, ...] = ()
    complete: bool = False
    # Why the study answers a different question than the protocol's (population, intervention,
    # comparator or outcome; GRADE's indirectness): non-empty marks it as indirect evidence, shown
    # and extracted but left out of the main analyses. Empty: direct evidence.
    indirect_evidence: str = ""

    @property
    def is_indirect(self) -> bool:
        return bool(self.indirect_evidence.strip())

    @property
    def is_consensus(self) -> bool:
        return self.extractor is None

    def arm(self, label: str) -> Arm | None:
        wanted = same_label(label)
        return next((arm for arm in self.arms if arm.key == wanted), None)
