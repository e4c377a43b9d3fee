"""Judge one candidate pair: compare fields, weigh, apply the rules, keep the evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from review_app.domain.dedup.compare import compare_records
from review_app.domain.dedup.prepared import PreparedRecord
from review_app.domain.dedup.records import PairDecision
from review_app.domain.dedup.scoring import (
    apply_rules,
    decide,
    same_citation,
    title_information,
    weigh,
)


def judge_pair(x: PreparedRecord, y: PreparedRecord, title_similarity: float) -> PairDecision:
    """Compare two prepared records and decide, keeping the evidence (JSON-safe).

    ``evidence`` holds per field its agreement level, similarity where measured and weight
    (bits), the fields that matched and that conflicted, and the rules that capped the
    decision ("notice_mismatch:erratum/article", "doi_conflict", "meeting_vs_article", ...);
    ``promoted`` names the rule that raised an uncertain score to certain, if one did.
    """
    if x.id > y.id:
        x, y = y, x
    comparisons = compare_records(x, y, title_similarity)
    shorter = x.title if len(x.title) <= len(y.title) else y.title
    weights = weigh(comparisons, shorter, translated=x.translated or y.translated)
    score = round(sum(weights.values()), 2)
    levels = {name: c.level for name, c in comparisons.items()}
    cap, reasons = apply_rules(x, y, levels)
    if x.doi and y.doi and x.doi != y.doi and not _same_text(levels, shorter):
        cap, reasons = veto_conflicting_dois(cap, reasons)
    decision = decide(score, cap)
    promoted = decision == "uncertain" and cap == "certain" and same_citation(x, y, levels)
    if promoted:
        decision = "certain"
    fields: dict[str, Any] = {}
    for name, comparison in comparisons.items():
        entry: dict[str, Any] = {"level": comparison.level, "weight": weights[name]}
        if comparison.similarity is not None:
            entry["similarity"] = comparison.similarity
        fields[name] = entry
    evidence: dict[str, Any] = {
        "fields": fields,
        "matched": [n for n in comparisons if weights[n] > 0],
        "conflicting": [n for n in comparisons if weights[n] < 0],
        "rules": reasons,
    }
    if promoted:
        evidence["promoted"] = "same_citation"
    return PairDecision(x.id, y.id, decision, score, evidence)


def veto_conflicting_dois(cap: str, reasons: list[str]) -> tuple[str, list[str]]:
    """Two different DOIs keep a pair from an automatic merge: it goes to a person.

    A DOI names one publication, so two DOIs say two publications even when everything else
    agrees: the same generic "Editorial introduction" in two issues of one journal shares
    title, authors, year, journal and first page. DOIs are compared normalised (case,
    "https://doi.org/", "doi:"), so one DOI written two ways is no conflict.
    """
    if cap == "different":
        return cap, reasons
    return "uncertain", reasons if "doi_conflict" in reasons else [*reasons, "doi_conflict"]


def _same_text(levels: dict[str, str], title: str) -> bool:
    """The one exception to the DOI veto: a database attached a wrong DOI (seen: another
    journal's DOI on an article whose copies agree on everything else). Only the text itself
    outweighs it: an informative title and the same abstract, every citation detail the
    scoring rules ask for (``doi_conflict`` absent), and no other issue number.
    """
    return (
        title_information(title) == 1.0
        and levels["abstract"] in ("exact", "high")
        and levels["issue"] != "different"
    )


def judge_pairs(
    items: Iterable[tuple[PreparedRecord, PreparedRecord, float]],
) -> list[PairDecision]:
    """Judge many pairs; "different" pairs are dropped unless a rule decided them."""
    out = []
    for x, y, similarity in items:
        pair = judge_pair(x, y, similarity)
        if pair.decision != "different" or pair.evidence["rules"]:
            out.append(pair)
    return out
