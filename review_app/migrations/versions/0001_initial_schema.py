"""Initial schema: reviews, people, records, duplicates, screening, synthesis, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loginthrottle",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_loginthrottle")),
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("protocol", sa.JSON(), nullable=False),
        sa.Column("protocol_source", sa.Text(), nullable=False),
        sa.Column("is_blind", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_name"), ["name"], unique=True)

    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_name"), ["name"], unique=True)

    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_analysis_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
    )
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analysis_review_id"), ["review_id"], unique=False)

    op.create_table(
        "auditevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_auditevent_review_id_review")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_auditevent_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditevent")),
    )
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditevent_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditevent_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditevent_user_id"), ["user_id"], unique=False)

    op.create_table(
        "gradeassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_gradeassessment_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradeassessment")),
        sa.UniqueConstraint("review_id", "outcome_id", name=op.f("uq_gradeassessment_review_id")),
    )
    with op.batch_alter_table("gradeassessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gradeassessment_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "importbatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("date_searched", sa.Date(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "source_kind IN ('database', 'register', 'website', 'organisation', 'citation', 'other')",
            name=op.f("ck_importbatch_source_kind"),
        ),
        sa.CheckConstraint("status IN ('active', 'undone')", name=op.f("ck_importbatch_status")),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["user.id"], name=op.f("fk_importbatch_imported_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_importbatch_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_importbatch")),
    )
    with op.batch_alter_table("importbatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_importbatch_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_importbatch_sha256"), ["sha256"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('reviewer', 'lead', 'admin')", name=op.f("ck_membership_role")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_membership_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_membership_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("user_id", "review_id", name=op.f("uq_membership_user_id")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_user_id"), ["user_id"], unique=False)

    op.create_table(
        "study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("design", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_study_review_id_review"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study")),
    )
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_study_review_id"), ["review_id"], unique=False)

    op.create_table(
        "extractionvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.String(length=100), nullable=False),
        sa.Column("extractor_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extractor_id"], ["user.id"], name=op.f("fk_extractionvalue_extractor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_extractionvalue_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractionvalue")),
        sa.UniqueConstraint(
            "study_id", "field_id", "extractor_id", name=op.f("uq_extractionvalue_study_id")
        ),
    )
    with op.batch_alter_table("extractionvalue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extractionvalue_study_id"), ["study_id"], unique=False)

    op.create_table(
        "outcomedata",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("timepoint", sa.String(length=100), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("sd", sa.Float(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_outcomedata_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomedata")),
        sa.UniqueConstraint(
            "study_id", "outcome_id", "timepoint", "arm", name=op.f("uq_outcomedata_study_id")
        ),
    )
    with op.batch_alter_table("outcomedata", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcomedata_study_id"), ["study_id"], unique=False)

    op.create_table(
        "record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("journal", sa.Text(), nullable=True),
        sa.Column("volume", sa.String(length=100), nullable=True),
        sa.Column("issue", sa.String(length=100), nullable=True),
        sa.Column("pages", sa.String(length=100), nullable=True),
        sa.Column("doi", sa.String(length=300), nullable=True),
        sa.Column("pmid", sa.String(length=30), nullable=True),
        sa.Column("issn", sa.String(length=100), nullable=True),
        sa.Column("isbn", sa.String(length=100), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=100), nullable=True),
        sa.Column("publication_type", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["importbatch.id"],
            name=op.f("fk_record_import_batch_id_importbatch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_record_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record")),
    )
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_import_batch_id"), ["import_batch_id"], unique=False
        )
        batch_op.create_index("ix_record_review_doi", ["review_id", "doi"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_review_id"), ["review_id"], unique=False)
        batch_op.create_index("ix_record_review_pmid", ["review_id", "pmid"], unique=False)

    op.create_table(
        "riskofbias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("judgements", sa.JSON(), nullable=False),
        sa.Column("overall", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["user.id"], name=op.f("fk_riskofbias_assessor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_riskofbias_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_riskofbias")),
        sa.UniqueConstraint(
            "study_id", "outcome_id", "assessor_id", name=op.f("uq_riskofbias_study_id")
        ),
    )
    with op.batch_alter_table("riskofbias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_riskofbias_study_id"), ["study_id"], unique=False)

    op.create_table(
        "candidatepair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_a_id", sa.Integer(), nullable=False),
        sa.Column("record_b_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'duplicate', 'not_duplicate', 'skipped')",
            name=op.f("ck_candidatepair_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["user.id"],
            name=op.f("fk_candidatepair_decided_by_user_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["record_a_id"],
            ["record.id"],
            name=op.f("fk_candidatepair_record_a_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_b_id"],
            ["record.id"],
            name=op.f("fk_candidatepair_record_b_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_candidatepair_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidatepair")),
        sa.UniqueConstraint(
            "record_a_id", "record_b_id", name=op.f("uq_candidatepair_record_a_id")
        ),
    )
    with op.batch_alter_table("candidatepair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidatepair_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidatepair_status"), ["status"], unique=False)

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("vote", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage IN ('title_abstract', 'full_text')", name=op.f("ck_decision_stage")
        ),
        sa.CheckConstraint(
            "vote IN ('include', 'exclude', 'maybe')", name=op.f("ck_decision_vote")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_decision_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_decision_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user.id"], name=op.f("fk_decision_reviewer_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint(
            "record_id", "reviewer_id", "stage", name=op.f("uq_decision_record_id")
        ),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "duplicatecluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("primary_record_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=10), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("primary_before", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decided_by IN ('auto', 'manual')", name=op.f("ck_duplicatecluster_decided_by")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'undone')", name=op.f("ck_duplicatecluster_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["user.id"],
            name=op.f("fk_duplicatecluster_decided_by_user_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["primary_record_id"],
            ["record.id"],
            name=op.f("fk_duplicatecluster_primary_record_id_record"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_duplicatecluster_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicatecluster")),
    )
    with op.batch_alter_table("duplicatecluster", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicatecluster_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "fulltext",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('retrieved', 'not_retrieved')", name=op.f("ck_fulltext_status")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_fulltext_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_fulltext_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulltext")),
        sa.UniqueConstraint("record_id", name=op.f("uq_fulltext_record_id")),
    )
    op.create_table(
        "resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("vote", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage IN ('title_abstract', 'full_text')", name=op.f("ck_resolution_stage")
        ),
        sa.CheckConstraint("vote IN ('include', 'exclude')", name=op.f("ck_resolution_vote")),
        sa.ForeignKeyConstraint(["lead_id"], ["user.id"], name=op.f("fk_resolution_lead_id_user")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_resolution_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_resolution_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution")),
        sa.UniqueConstraint("record_id", "stage", name=op.f("uq_resolution_record_id")),
    )
    with op.batch_alter_table("resolution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolution_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resolution_review_id"), ["review_id"], unique=False)

    op.create_table(
        "studyreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("is_main_report", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_studyreport_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_studyreport_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studyreport")),
        sa.UniqueConstraint("record_id", name=op.f("uq_studyreport_record_id")),
    )
    with op.batch_alter_table("studyreport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studyreport_study_id"), ["study_id"], unique=False)

    op.create_table(
        "clustermember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["duplicatecluster.id"],
            name=op.f("fk_clustermember_cluster_id_duplicatecluster"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_clustermember_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clustermember")),
        sa.UniqueConstraint("cluster_id", "record_id", name=op.f("uq_clustermember_cluster_id")),
    )
    with op.batch_alter_table("clustermember", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clustermember_cluster_id"), ["cluster_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_clustermember_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clustermember", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clustermember_record_id"))
        batch_op.drop_index(batch_op.f("ix_clustermember_cluster_id"))

    op.drop_table("clustermember")
    with op.batch_alter_table("studyreport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studyreport_study_id"))

    op.drop_table("studyreport")
    with op.batch_alter_table("resolution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolution_review_id"))
        batch_op.drop_index(batch_op.f("ix_resolution_record_id"))

    op.drop_table("resolution")
    op.drop_table("fulltext")
    with op.batch_alter_table("duplicatecluster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicatecluster_review_id"))

    op.drop_table("duplicatecluster")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_decision_review_id"))
        batch_op.drop_index(batch_op.f("ix_decision_record_id"))

    op.drop_table("decision")
    with op.batch_alter_table("candidatepair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidatepair_status"))
        batch_op.drop_index(batch_op.f("ix_candidatepair_review_id"))

    op.drop_table("candidatepair")
    with op.batch_alter_table("riskofbias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_riskofbias_study_id"))

    op.drop_table("riskofbias")
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_index("ix_record_review_pmid")
        batch_op.drop_index(batch_op.f("ix_record_review_id"))
        batch_op.drop_index("ix_record_review_doi")
        batch_op.drop_index(batch_op.f("ix_record_import_batch_id"))

    op.drop_table("record")
    with op.batch_alter_table("outcomedata", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcomedata_study_id"))

    op.drop_table("outcomedata")
    with op.batch_alter_table("extractionvalue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extractionvalue_study_id"))

    op.drop_table("extractionvalue")
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_study_review_id"))

    op.drop_table("study")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_user_id"))
        batch_op.drop_index(batch_op.f("ix_membership_review_id"))

    op.drop_table("membership")
    with op.batch_alter_table("importbatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_importbatch_sha256"))
        batch_op.drop_index(batch_op.f("ix_importbatch_review_id"))

    op.drop_table("importbatch")
    with op.batch_alter_table("gradeassessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gradeassessment_review_id"))

    op.drop_table("gradeassessment")
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditevent_user_id"))
        batch_op.drop_index(batch_op.f("ix_auditevent_review_id"))
        batch_op.drop_index(batch_op.f("ix_auditevent_action"))

    op.drop_table("auditevent")
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_review_id"))

    op.drop_table("analysis")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_name"))

    op.drop_table("user")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_name"))

    op.drop_table("review")
    op.drop_table("loginthrottle")
