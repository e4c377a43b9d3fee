"""Decisions on hand-made pairs, cluster safeguards, evidence, updates, primary and merging."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_app.domain.dedup import (
    DedupRecord,
    PairDecision,
    choose_primary,
    find_duplicates,
    merge_fields,
)

TITLE = "Omentoplasty in preventing anastomotic leakage after radical oesophagectomy"
ARTICLE = DedupRecord(
    id=1,
    title=TITLE,
    authors=["Zheng, Qing-Feng", "Wang, Jian-Jun", "Ying, Min-Gang"],
    year=2013,
    journal="European Journal of Cardio-Thoracic Surgery",
    volume="43",
    issue="2",
    pages="274-278",
    doi="10.1093/ejcts/ezs285",
    abstract="Objectives: leakage after oesophagectomy is feared. " * 5,
)
# The same article as another database exports it.
COPY = DedupRecord(
    id=2,
    title=TITLE.upper() + ".",
    authors=["Zheng QF", "Wang JJ", "Ying MG"],
    year=2013,
    journal="Eur J Cardiothorac Surg",
    volume="43",
    pages="274-8",
    doi="https://doi.org/10.1093/EJCTS/EZS285",
)


def pair_of(a: DedupRecord, b: DedupRecord) -> PairDecision | None:
    """The decision the engine reports for a and b (None: judged different, not reported)."""
    result = find_duplicates([a, b])
    found = [p for p in result.certain_pairs + result.uncertain_pairs if {p.a, p.b} == {a.id, b.id}]
    return found[0] if found else None


def decision_of(a: DedupRecord, b: DedupRecord) -> str:
    pair = pair_of(a, b)
    return pair.decision if pair else "different"


def test_copies_in_different_styles_are_certain_with_evidence() -> None:
    result = find_duplicates([ARTICLE, COPY])
    assert result.clusters == [{1, 2}]
    (pair,) = result.certain_pairs
    assert (pair.a, pair.b, pair.decision) == (1, 2, "certain")
    fields = pair.evidence["fields"]
    assert fields["title"]["level"] == "exact"
    assert fields["doi"]["level"] == "exact"
    assert fields["authors"]["level"] == "same"
    assert fields["pages"]["level"] == "exact"  # "274-8" = "274-278"
    assert fields["journal"]["level"] == "exact"  # ISO 4 abbreviation
    assert {"title", "doi", "authors", "pages"} <= set(pair.evidence["matched"])
    assert pair.score == pytest.approx(sum(f["weight"] for f in fields.values()), abs=0.05)
    assert json.loads(json.dumps(pair.evidence)) == pair.evidence  # JSON-safe


def test_pair_order_does_not_matter() -> None:
    assert (
        find_duplicates([COPY, ARTICLE]).certain_pairs
        == find_duplicates([ARTICLE, COPY]).certain_pairs
    )


@pytest.mark.parametrize(
    "notice",
    [
        replace(COPY, title="Erratum: " + TITLE, pages="1120", doi=None),
        replace(COPY, title="Correction to: " + TITLE, doi=None),
        replace(COPY, publication_type="Published Erratum", doi=None),
        replace(COPY, title="Retraction notice to: " + TITLE, doi=None),
        replace(COPY, title="Comment on: " + TITLE, authors=["Smith J"], doi=None),
        replace(COPY, title="Reply to: " + TITLE, doi=None),
        replace(COPY, title=TITLE + " [comment]", doi=None),
    ],
)
def test_notices_are_never_the_article(notice: DedupRecord) -> None:
    pair = pair_of(ARTICLE, notice)
    assert pair is None or pair.decision != "certain"
    assert find_duplicates([ARTICLE, notice]).clusters == []


def test_two_copies_of_one_erratum_are_duplicates() -> None:
    erratum = replace(ARTICLE, title="Erratum: " + TITLE, pages="1120", doi=None)
    copy = replace(COPY, title="Erratum: " + TITLE.upper(), pages="1120", doi=None, id=3)
    assert find_duplicates([erratum, copy]).clusters == [{1, 3}]


def test_same_title_other_year_and_journal_is_not_merged() -> None:
    later = replace(
        COPY, year=2016, journal="Annals of Thoracic Surgery", volume="101", pages="55-60", doi=None
    )
    assert decision_of(ARTICLE, later) != "certain"


def test_same_title_one_year_apart_in_other_venue_is_not_merged() -> None:
    talk = replace(
        COPY, year=2012, journal="Americas Conference on Surgery", volume=None, pages=None, doi=None
    )
    assert decision_of(ARTICLE, talk) != "certain"


def test_conflicting_dois_need_strong_evidence() -> None:
    thin = replace(COPY, doi="10.1016/j.other.2013.01.001", volume=None, pages=None)
    pair = pair_of(ARTICLE, thin)
    assert pair is not None and pair.decision == "uncertain"
    assert "doi_conflict" in pair.evidence["rules"]
    # title, authors, year, pages and volume all agree: two DOIs still send it to a person
    strong = replace(COPY, doi="10.1016/j.other.2013.01.001")
    assert decision_of(ARTICLE, strong) == "uncertain"
    # unless the same abstract says a database attached a wrong DOI
    same_text = replace(strong, abstract=ARTICLE.abstract)
    assert decision_of(ARTICLE, same_text) == "certain"


def test_conflicting_pmids_are_not_merged_on_thin_evidence() -> None:
    a = replace(ARTICLE, pmid="23012345", doi=None, pages=None, volume=None)
    b = replace(COPY, pmid="23099999", doi=None, pages=None, volume=None)
    assert decision_of(a, b) == "uncertain"


def test_meeting_abstract_is_not_its_full_article() -> None:
    abstract = replace(
        COPY,
        journal="Interactive Cardiovascular and Thoracic Surgery. Conference: EACTS Annual Meeting",
        year=2012,
        volume="15",
        pages="S101",
        doi=None,
    )
    pair = pair_of(ARTICLE, abstract)
    assert pair is None or pair.decision != "certain"


def test_titles_differing_in_a_number_or_species_are_not_merged() -> None:
    base = replace(
        ARTICLE, title="Exenatide and atherosclerosis in type 1 diabetic mice", pages=None, doi=None
    )
    for title in (
        "Exenatide and atherosclerosis in type 2 diabetic mice",
        "Exenatide and atherosclerosis in type 1 diabetic rats",
    ):
        other = replace(COPY, title=title, pages=None, doi=None)
        assert decision_of(base, other) != "certain", title


def test_translation_in_another_journal_is_another_record() -> None:
    original = replace(
        ARTICLE,
        title="[" + TITLE + "]",
        journal="Zhonghua Wai Ke Za Zhi",
        pages="84-87",
        doi=None,
    )
    english = replace(COPY, journal="Chinese Medical Journal", pages="1324-1327", doi=None)
    assert decision_of(original, english) == "different"


def test_translated_title_with_the_same_citation_is_merged() -> None:
    original = replace(
        ARTICLE,
        title="[Antibiotic prophylaxis in pulmonary surgery: amoxicillin versus cefamandole]",
        journal="Annales Francaises d'Anesthesie et de Reanimation",
        doi=None,
    )
    english = replace(
        COPY,
        title="Comparison of amoxicillin and cefamandole in bronchopulmonary infections",
        journal="Ann Fr Anesth Reanim",
        pages="274-278",
        doi=None,
    )
    assert decision_of(original, english) == "certain"


def test_repeated_editorials_across_issues_are_different_records() -> None:
    editorial = DedupRecord(
        id=1,
        title="Editorial",
        authors=["Smith J"],
        year=2015,
        journal="Thorax",
        volume="70",
        issue="1",
        pages="1",
    )
    next_issue = replace(editorial, id=2, issue="2", pages="101")
    assert decision_of(editorial, next_issue) != "certain"
    missing_pages = replace(editorial, id=3, issue="3", pages=None)
    assert decision_of(editorial, missing_pages) != "certain"


def test_unrelated_records_are_not_reported() -> None:
    other = DedupRecord(
        id=9, title="Talc pleurodesis for malignant effusion", authors=["Lee YC"], year=2001
    )
    result = find_duplicates([ARTICLE, other])
    assert result.certain_pairs == result.uncertain_pairs == [] and result.clusters == []


def test_a_chain_through_a_record_without_doi_does_not_join_conflicting_dois() -> None:
    a = replace(ARTICLE, doi="10.1000/a.1")
    b = replace(COPY, id=2, doi=None)
    c = replace(
        ARTICLE,
        id=3,
        doi="10.1000/c.3",
        title=TITLE.lower(),
        pages=None,
        volume=None,
        abstract=None,
    )
    result = find_duplicates([a, b, c])
    assert {1, 3} not in [cluster & {1, 3} for cluster in result.clusters]
    assert not any({1, 3} <= cluster for cluster in result.clusters)
    refused = [p for p in result.uncertain_pairs if "safeguard" in p.evidence]
    assert refused and all(p.decision == "uncertain" for p in refused)


def test_a_chain_does_not_join_a_meeting_abstract_to_its_article() -> None:
    abstract = replace(
        ARTICLE,
        id=1,
        journal="Eur J Cardiothorac Surg. Conference: EACTS",
        pages="S12",
        doi=None,
        issue=None,
    )
    abstract_copy = replace(
        COPY, id=2, journal="Eur J Cardiothorac Surg", pages=None, doi=None, issue=None
    )
    article = replace(ARTICLE, id=3, doi=None, abstract=None)
    result = find_duplicates([abstract, abstract_copy, article])
    assert not any({1, 3} <= cluster for cluster in result.clusters)


def test_update_compares_new_records_with_existing_only() -> None:
    kept_1 = replace(ARTICLE, id=1)
    kept_2 = replace(COPY, id=2)  # a duplicate of kept_1 that the caller keeps apart
    new = replace(COPY, id=3, doi=None)
    result = find_duplicates([new], existing=[kept_1, kept_2])
    pairs = {(p.a, p.b) for p in result.certain_pairs + result.uncertain_pairs}
    assert (1, 2) not in pairs
    assert {(1, 3), (2, 3)} & pairs
    assert any(3 in cluster for cluster in result.clusters)


def test_ids_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        find_duplicates([ARTICLE], existing=[ARTICLE])


def test_empty_input() -> None:
    result = find_duplicates([])
    assert (result.certain_pairs, result.uncertain_pairs, result.clusters) == ([], [], [])


def test_primary_is_the_most_complete_copy() -> None:
    assert choose_primary([COPY, ARTICLE]) == 1
    sparse = DedupRecord(id=7, title=TITLE)
    assert choose_primary([sparse, COPY]) == 2
    with pytest.raises(ValueError):
        choose_primary([])


def test_merge_takes_the_best_value_of_each_field() -> None:
    bracketed = replace(COPY, id=3, title="[" + TITLE + "]", abstract=None)
    merged: dict[str, Any] = merge_fields([COPY, ARTICLE, bracketed])
    assert merged["title"] == TITLE  # not capitals, not a bracketed translation
    assert merged["abstract"] == ARTICLE.abstract  # from whichever copy has one
    assert merged["journal"] == ARTICLE.journal  # the full name over the abbreviation
    assert merged["pages"] == "274-278"
    assert merged["authors"] == ARTICLE.authors
    assert merged["issue"] == "2"
    assert json.loads(json.dumps(merged)) == merged
    assert merge_fields([]) == {}


field_text = st.one_of(st.none(), st.text(max_size=80))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(field_text, field_text, field_text, field_text), max_size=6))
def test_engine_never_crashes_and_clusters_only_certain_pairs(
    rows: list[tuple[str | None, str | None, str | None, str | None]],
) -> None:
    records = [
        DedupRecord(id=k, title=t, authors=[a] if a else [], journal=j, pages=p, doi=t)
        for k, (t, a, j, p) in enumerate(rows)
    ]
    result = find_duplicates(records + [replace(r, id=r.id + 100) for r in records])
    linked = {(p.a, p.b) for p in result.certain_pairs}
    for cluster in result.clusters:
        assert len(cluster) >= 2
        assert any((a, b) in linked for a in cluster for b in cluster)
    assert all(p.a < p.b for p in result.certain_pairs + result.uncertain_pairs)
    json.dumps([p.evidence for p in result.certain_pairs + result.uncertain_pairs])


def test_a_scopus_note_is_an_article_not_a_comment() -> None:
    """Scopus and Embase call short articles "Note"; found in the demo's Scopus export."""
    assert decision_of(ARTICLE, replace(COPY, publication_type="Note")) == "certain"


def test_types_alone_disagreeing_go_to_a_person() -> None:
    as_comment = replace(COPY, publication_type="Comment")
    assert decision_of(ARTICLE, as_comment) == "uncertain"
    announced = replace(COPY, title="Comment on: " + TITLE)
    assert decision_of(ARTICLE, announced) == "different"
