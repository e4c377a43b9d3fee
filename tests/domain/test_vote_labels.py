"""The team's training label of a record: agreed 1, votes so far k/N, a conflict an include."""

from __future__ import annotations

import pytest

from review_app.domain.prioritisation.vote_labels import CONFLICT_WEIGHT, team_label

INC, EXC, MAYBE = "include", "exclude", "maybe"


@pytest.mark.parametrize(
    ("votes", "n", "resolution", "expected"),
    [
        ([], 2, None, None),
        ([INC, INC], 2, None, (1, 1.0)),  # agreed
        ([EXC, EXC], 2, None, (0, 1.0)),
        ([INC], 2, None, (1, 0.5)),  # one vote of two
        ([EXC], 2, None, (0, 0.5)),
        ([EXC, EXC], 3, None, (0, 2 / 3)),
        ([INC], 1, None, (1, 1.0)),  # one reviewer per record: every vote is final
        ([INC, EXC], 2, None, (1, CONFLICT_WEIGHT)),  # conflict: an include, reduced
        ([INC, EXC], 3, None, (1, CONFLICT_WEIGHT)),  # bound to be a conflict
        ([INC, EXC], 2, EXC, (0, 1.0)),  # the lead's resolution decides
        ([INC, EXC], 2, INC, (1, 1.0)),
        ([], 2, EXC, (0, 1.0)),  # resolved without votes
    ],
)
def test_team_label(
    votes: list[str], n: int, resolution: str | None, expected: tuple[int, float] | None
) -> None:
    assert team_label(votes, reviewers_per_record=n, resolution=resolution) == expected


def test_a_maybe_is_an_include_or_a_conflict_as_the_protocol_says() -> None:
    assert team_label([MAYBE], reviewers_per_record=2) == (1, 0.5)
    assert team_label([MAYBE, INC], reviewers_per_record=2) == (1, 1.0)
    assert team_label([MAYBE, EXC], reviewers_per_record=2) == (1, CONFLICT_WEIGHT)

    def to_lead(votes: list[str]) -> tuple[int, float] | None:
        return team_label(votes, reviewers_per_record=2, maybe_counts_as="conflict")

    assert to_lead([MAYBE]) == (1, CONFLICT_WEIGHT)  # heading to a lead
    assert to_lead([MAYBE, INC]) == (1, CONFLICT_WEIGHT)
    assert to_lead([MAYBE, EXC]) == (1, CONFLICT_WEIGHT)
    assert to_lead([EXC]) == (0, 0.5)


def test_a_weight_is_never_more_than_an_agreed_label() -> None:
    for n in range(1, 5):
        for k in range(1, n + 1):
            for votes in ([INC] * k, [EXC] * k, [INC] * (k - 1) + [EXC]):
                labelled = team_label(votes, reviewers_per_record=n)
                assert labelled is not None and 0 < labelled[1] <= 1
