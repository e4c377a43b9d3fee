"""The words of a record's history table (pure helpers of ui/components/record_history)."""

from __future__ import annotations

from review_app.ui.components.record_history import NOTHING, state_text


def test_a_stage_is_shown_by_its_name_not_its_code() -> None:
    text = state_text({"record_id": 4, "stage": "title_abstract", "vote": "include", "body": ""})
    assert text == f"stage: Title and abstract; vote: include; body: {NOTHING}"


def test_an_unknown_stage_value_is_shown_as_it_is() -> None:
    assert state_text({"stage": "extraction"}) == "stage: extraction"


def test_nested_lists_and_flags_read_as_words() -> None:
    text = state_text({"record_ids": [3, 5], "blind": False, "after": {"stage": "full_text"}})
    assert text == "record ids: 3, 5; blind: no; after: stage: Full text"
