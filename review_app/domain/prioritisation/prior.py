"""What a review knows before its first vote: the protocol's words, as prior knowledge (pure).

ASReview starts from one include and one exclude the reviewer picks; a review in this app also
has a protocol (question, PICO, eligibility criteria, include and exclude keywords). A
``PriorKnowledge`` carries that text to the ``Ranker``: ``include_texts`` are pseudo-documents an
eligible record would resemble (the question, PICO, inclusion criteria, include keywords);
``exclude_texts`` describe what is excluded (exclusion criteria, exclude keywords). They are
vectorised with the records, never shown as records and never counted in any metric.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PriorKnowledge:
    include_texts: tuple[str, ...] = ()
    exclude_texts: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(t.strip() for t in (*self.include_texts, *self.exclude_texts))
