from __future__ import annotations

import pytest

from review_app.domain.consensus import StageStatus, stage_status

S = StageStatus


@pytest.mark.parametrize(
    ("votes", "maybe_counts_as", "resolution", "expected"),
    [
        ([], "include", None, S.UNSCREENED),
        (["include"], "include", None, S.AWAITING),
        (["exclude"], "include", None, S.AWAITING),
        (["include", "include"], "include", None, S.INCLUDED),
        (["include", "maybe"], "include", None, S.INCLUDED),
        (["maybe", "maybe"], "include", None, S.INCLUDED),
        (["exclude", "exclude"], "include", None, S.EXCLUDED),
        (["include", "exclude"], "include", None, S.CONFLICT),
        (["maybe", "exclude"], "include", None, S.CONFLICT),
        (["include", "maybe"], "conflict", None, S.CONFLICT),
        (["include", "exclude"], "include", "exclude", S.EXCLUDED),
        (["include", "exclude"], "include", "include", S.INCLUDED),
        ([], "include", "include", S.INCLUDED),  # a lead may decide before any vote
    ],
)
def test_two_reviewer_consensus(
    votes: list[str], maybe_counts_as: str, resolution: str | None, expected: StageStatus
) -> None:
    assert (
        stage_status(
            votes, reviewers_per_record=2, maybe_counts_as=maybe_counts_as, resolution=resolution
        )
        is expected
    )


def test_single_reviewer_mode() -> None:
    assert stage_status(["exclude"], reviewers_per_record=1) is S.EXCLUDED
    assert stage_status(["maybe"], reviewers_per_record=1) is S.INCLUDED


def test_three_reviewers_need_three_votes() -> None:
    assert stage_status(["include", "include"], reviewers_per_record=3) is S.AWAITING
    assert stage_status(["include", "include", "exclude"], reviewers_per_record=3) is S.CONFLICT
