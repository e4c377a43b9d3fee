"""Discussion on a record: members' comments and the "needs discussion" flag leads work through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from review_app.models.base import STAGES, created_at_field, one_of


class RecordComment(SQLModel, table=True):
    """A member's comment on a record, written at a screening stage.

    The stage is kept because it decides who may read the comment while the review is blind: a
    reviewer reads other members' comments only once every vote of that stage is in, so a comment
    can never tell them how someone voted before they voted themselves.
    """

    __table_args__ = (
        Index("ix_recordcomment_review_record", "review_id", "record_id"),
        one_of("stage", STAGES, "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="user.id", index=True)
    stage: str = Field(max_length=20)
    body: str = Field(sa_type=Text)
    created_at: datetime = created_at_field()


class DiscussionFlag(SQLModel, table=True):
    """A record someone marked "needs discussion"; open while ``cleared_at`` is None.

    One row per record: raising it again reopens the row (the audit trail keeps every raise and
    clear), so the leads' queue is the open rows.
    """

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", unique=True, ondelete="CASCADE")
    raised_by_id: int = Field(foreign_key="user.id")
    raised_at: datetime = created_at_field()
    cleared_by_id: int | None = Field(default=None, foreign_key="user.id")
    cleared_at: datetime | None = None
