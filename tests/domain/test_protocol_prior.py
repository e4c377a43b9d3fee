"""The protocol as prior knowledge: what goes to the include side, what to the exclude side."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from review_app.domain.prioritisation import Ranker
from review_app.domain.prioritisation.protocol_prior import (
    prior_from_mapping,
    prior_from_protocol,
    prior_from_texts,
    split_exclusions,
)
from review_app.errors import ValidationError
from review_app.protocol import Protocol, load_protocol, parse_protocol
from tests.conftest import KRATOM_PROTOCOL, REPO_ROOT

KRATOM = KRATOM_PROTOCOL
PRIORS = REPO_ROOT / "bench" / "priors"

LITERAL = '''
title = "Zinc for the common cold"
question = "Does oral zinc shorten the common cold in children?"
designs = ["randomised controlled trial"]

[pico]
population = "Children with a common cold"
conditions = ["rhinovirus infection"]
intervention = "Oral zinc lozenges or syrup"
comparator = "Placebo"
outcomes = "Duration of symptoms"

[[criteria]]
id = "population"
text = """Children aged 1 to 12 years with a cold. Adults are not eligible."""
stage = "title_abstract"
include_keywords = ["pediatri*", "child"]
exclude_keywords = ["adult*", "cold"]

[[criteria]]
id = "outcome"
text = "Reported the duration of cold symptoms in days."
stage = "full_text"
include_keywords = ["duration"]

[[exclusion_reasons]]
id = "wrong_population"
label = "Wrong population (not children with a cold)"
stage = "both"

[[outcomes]]
id = "duration"
name = "Duration"
type = "continuous"
importance = "critical"
direction = "lower_is_better"

[risk_of_bias]
"randomised controlled trial" = "RoB 2"

[[search_sources]]
name = "PubMed"
kind = "database"
'''


@pytest.fixture(scope="module")
def literal() -> Protocol:
    return parse_protocol(LITERAL, source="zinc.toml")


@pytest.fixture(scope="module")
def kratom() -> Protocol:
    return load_protocol(KRATOM)


def words(texts: tuple[str, ...]) -> set[str]:
    return {w.strip(".,;:()?").casefold() for text in texts for w in text.split()}


def test_the_question_pico_designs_and_title_abstract_criteria_are_include_texts(
    literal: Protocol,
) -> None:
    prior = prior_from_protocol(literal)
    assert prior.include_texts[0] == "Does oral zinc shorten the common cold in children?"
    assert "Children with a common cold; rhinovirus infection" in prior.include_texts
    assert "Placebo" in prior.include_texts and "randomised controlled trial" in prior.include_texts
    assert "Children aged 1 to 12 years with a cold." in prior.include_texts
    assert "days" not in words(prior.include_texts)  # the full-text criterion is left out
    assert "wrong" not in words(prior.include_texts + prior.exclude_texts)  # reasons unused


def test_what_is_not_eligible_is_an_exclude_text_without_the_include_words(
    literal: Protocol,
) -> None:
    prior = prior_from_protocol(literal)
    assert "adults" not in words(prior.include_texts)
    assert prior.exclude_texts[0] == "Adults"  # "are not eligible" dropped
    # the exclude keyword "cold" is the question's own word: it never counts against a record
    assert prior.exclude_texts[1] == "adult"


def test_a_keyword_star_becomes_the_records_words_it_matches(literal: Protocol) -> None:
    records = ["Paediatric and pediatric patients", "PEDIATRICIANS agree", "adults, adulthood"]
    prior = prior_from_protocol(literal, texts=records)
    assert prior.include_texts[-1] == "pediatric pediatricians; child"
    assert prior.exclude_texts[-1] == "adulthood adults"
    assert prior_from_protocol(literal).include_texts[-1] == "pediatri; child"  # no records


def test_exclusion_sentences_are_found_by_what_they_say() -> None:
    text = (
        "Trials in adults (e.g. older people). Not eligible: case reports, reviews. "
        "A study that did not report it is included, not excluded. Animal studies are excluded."
    )
    eligible, not_eligible = split_exclusions(text)
    assert eligible == (
        "Trials in adults (e.g. older people). "
        "A study that did not report it is included, not excluded."
    )
    assert not_eligible == [": case reports, reviews.", "Animal studies ."]


def test_kratom_protocol(kratom: Protocol) -> None:
    records = ["Mitragynine relieves neuropathic pain in neuropathy", "Rats and case reports"]
    prior = prior_from_protocol(kratom, texts=records)
    include, exclude = words(prior.include_texts), words(prior.exclude_texts)
    assert kratom.question.strip() == prior.include_texts[0]
    assert {"kratom", "mitragynine", "neuropathic", "neuropathy", "randomised"} <= include
    assert {"rats", "mice", "editorial", "volunteers", "vitro", "toxicology"} <= exclude
    assert not {"kratom", "mitragyna", "pain", "neuropathic", "adults"} & exclude
    assert "placebo-controlled" in include and "uncontrolled" in exclude
    assert "cohort" in include and "animal" in exclude
    assert not prior.is_empty


def test_a_prior_file_is_two_lists_of_texts() -> None:
    prior = prior_from_mapping(
        {"include": ["Zinc for colds in children"], "exclude": ["zinc in adults"]}, source="f.toml"
    )
    assert prior.include_texts == ("Zinc for colds in children",)
    assert prior.exclude_texts == ("adults",)
    assert prior_from_mapping({"include": ["a b"]}, source="f.toml").exclude_texts == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"exclude": ["x"]}, "f.toml: 'include' is required"),
        ({"include": ["x"], "excluded": ["y"]}, "unknown key.*excluded"),
        ({"include": "x"}, "'include' must be a list of texts"),
        ({"include": ["x"], "exclude": [1]}, "'exclude' must be a list"),
        ({"include": ["x", " "]}, r"include\[1\] is empty"),
    ],
)
def test_a_bad_prior_file_is_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        prior_from_mapping(data, source="f.toml")


def test_an_exclude_text_made_only_of_include_words_is_dropped() -> None:
    prior = prior_from_texts(["zinc for colds"], ["Zinc colds", "  "])
    assert prior.exclude_texts == ()


@pytest.mark.parametrize("path", sorted(PRIORS.glob("*.toml")), ids=lambda p: p.stem)
def test_the_bench_priors_read(path: Path) -> None:
    with path.open("rb") as file:
        prior = prior_from_mapping(tomllib.load(file), source=str(path))
    assert len(prior.include_texts) >= 1 and not prior.is_empty


def test_before_any_vote_the_kratom_prior_ranks_an_eligible_trial_first(kratom: Protocol) -> None:
    texts = [
        "Mitragynine antinociception in rats and mice: a receptor binding study",
        "Soil erosion and rainfall in alpine catchments",
        "Kratom for painful diabetic neuropathy in adults: a randomised placebo-controlled trial",
        "Kratom use: a narrative review and case report",
    ]
    ranker = Ranker(texts, prior=prior_from_protocol(kratom, texts=texts))
    assert ranker.rank({})[0][0] == 2
    scores = ranker.scores({})
    assert scores[2] > scores[3] and scores[2] > scores[0]
