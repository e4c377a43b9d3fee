"""Keywords to highlight while screening: from the protocol's criteria, matched as whole words."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_app.domain.screening.keywords import compile_keywords, keyword_lists
from review_app.domain.vocabulary import Stage
from review_app.protocol import Protocol, load_protocol

ROOT = Path(__file__).resolve().parents[2]
KRATOM = ROOT / "protocols" / "kratom-neuropathic-pain.toml"
TEMPLATE = ROOT / "protocols" / "_template.toml"


@pytest.fixture(scope="module")
def kratom() -> Protocol:
    return load_protocol(KRATOM)


def test_keyword_lists_follow_the_stage(kratom: Protocol) -> None:
    include, exclude = keyword_lists(kratom, "title_abstract")
    assert "mitragyn*" in include and "rat" in exclude
    assert "placebo*" not in include  # the comparator criterion is judged at full text
    include, _ = keyword_lists(kratom, "full_text")
    assert "placebo*" in include and "mitragyn*" in include
    with pytest.raises(ValueError, match="title_abstract"):
        keyword_lists(kratom, "both")


def test_keyword_lists_drop_repeats() -> None:
    protocol = load_protocol(TEMPLATE)
    twice = replace(protocol.criteria[0], id="again", include_keywords=["ADULT*", "new"])
    include, _ = keyword_lists(replace(protocol, criteria=[*protocol.criteria, twice]), "full_text")
    assert include == ["adult*", "condition Y", "new"]


def test_compile_keywords() -> None:
    pattern = compile_keywords(["mitragyn*", "rat", "in vitro", "7-hydroxymitragynine"])
    assert pattern is not None
    text = "Mitragynine in rats; a Rat ratio; in\nvitro 7-hydroxymitragynine"
    assert pattern.findall(text) == ["Mitragynine", "Rat", "in\nvitro", "7-hydroxymitragynine"]
    assert compile_keywords([]) is None
    assert compile_keywords(["*", " "]) is None


@given(st.lists(st.text(max_size=12), max_size=5), st.text(max_size=40))
def test_any_keywords_compile(keywords: list[str], text: str) -> None:
    pattern = compile_keywords(keywords)
    if pattern is not None:
        pattern.findall(text)


def test_keyword_lists_take_the_stage_as_a_word_or_a_member(kratom: Protocol) -> None:
    for stage in Stage:
        assert keyword_lists(kratom, stage) == keyword_lists(kratom, str(stage))
    with pytest.raises(ValueError, match="not 'extraction'"):
        keyword_lists(kratom, "extraction")
