"""Judge one candidate pair: compare fields, weigh, apply the rules, keep the evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from review_app.domain.dedup.compare import compare_records
from review_app.domain.dedup.prepared import PreparedRecord
from review_app.domain.dedup.records import PairDecision
from review_app.domain.dedup.scoring import apply_rules, decide, weigh


def judge_pair(x: PreparedRecord, y: PreparedRecord, title_similarity: float) -> PairDecision:
    """Compare two prepared records and decide, keeping the evidence (JSON-safe).

    ``evidence`` holds per field its agreement level, similarity where measured and weight
    (bits), the fields that matched and that conflicted, and the rules that capped the
    decision ("notice_mismatch:erratum/article", "doi_conflict", "meeting_vs_article", ...).
    """
    if x.id > y.id:
        x, y = y, x
    comparisons = compare_records(x, y, title_similarity)
    shorter = x.title if len(x.title) <= len(y.title) else y.title
    weights = weigh(comparisons, shorter, translated=x.translated or y.translated)
    score = round(sum(weights.values()), 2)
    levels = {name: c.level for name, c in comparisons.items()}
    cap, reasons = apply_rules(x, y, levels)
    decision = decide(score, cap)
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
    return PairDecision(x.id, y.id, decision, score, evidence)


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
