"""Every bounded text column is decided: either the app writes only values it controls, or the
value is checked before the insert with a message naming the field and the limit (issue 11:
an Ovid export's 105-character issue crashed PostgreSQL's VARCHAR(100), which SQLite never
enforces, and the SQLite backup then failed to restore into PostgreSQL).

A new ``max_length`` makes ``test_every_bounded_text_column_is_decided`` fail until someone adds
it below, saying which of the two it is."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlmodel import AutoString, SQLModel

import review_app.models  # noqa: F401  (registers every table)
from review_app import protocol
from review_app.domain.appraisal.tools import TOOLS
from review_app.importers import FORMATS
from review_app.models.appraisal import APPRAISAL_STATUSES
from review_app.models.base import ROLES, STAGES, VOTES
from review_app.models.extraction import (
    ARM_ROLES,
    EFFECT_MEASURES,
    EXTRACTION_STATUSES,
    MAX_ARM_LABEL,
    STUDY_DESIGNS,
)
from review_app.models.records import SOURCE_KINDS
from review_app.models.synthesis import CERTAINTIES, GRADE_STATUSES
from review_app.services import studies, users

APP = "app-controlled"  # a constant, a hash, a status or a name from a fixed list
CHECKED = "checked"  # refused before the insert, with the field and the limit named
PROTOCOL_ID = "protocol id"  # an id from the protocol, checked at load: at most 64 characters
NO_WRITER = "no writer yet"  # only tests write it today: whoever adds one must check it

BOUNDED: dict[str, tuple[int, str, str]] = {
    # column: (length, kind, where)
    "auditevent.action": (60, APP, "services/audit.py callers pass constants"),
    "auditevent.entity": (40, APP, "table names"),
    "candidatepair.status": (20, APP, "pending | decided states of services/deduplication.py"),
    "decision.stage": (20, CHECKED, "STAGES, checked by services/screening.py"),
    "decision.vote": (10, CHECKED, "VOTES, checked by services/screening.py"),
    "decision.reason": (100, PROTOCOL_ID, "exclusion reason ids, checked against the protocol"),
    "duplicatecluster.decided_by": (10, APP, "auto | manual"),
    "duplicatecluster.status": (10, APP, "active | undone"),
    "fulltext.status": (20, APP, "retrieved | not_retrieved | ..."),
    "fulltext.sha256": (64, APP, "hex digest"),
    "importbatch.sha256": (64, APP, "hex digest"),
    "importbatch.source_kind": (20, CHECKED, "SOURCE_KINDS, services/imports._check_source"),
    "importbatch.format": (20, CHECKED, "FORMATS, services/imports._check_format"),
    "importbatch.status": (10, APP, "active | undone"),
    "loginsession.token_sha256": (64, APP, "hex digest of the session token"),
    "loginthrottle.name": (100, CHECKED, "users: names over MAX_NAME_LENGTH fail before a query"),
    "membership.role": (20, CHECKED, "ROLES, checked by services/reviews.add_member"),
    "recordrank.model": (40, APP, "the ranking model's name"),
    "resolution.stage": (20, CHECKED, "STAGES, checked by services/conflicts.py"),
    "resolution.vote": (10, CHECKED, "VOTES, checked by services/conflicts.py"),
    "resolution.reason": (100, PROTOCOL_ID, "exclusion reason ids, checked against the protocol"),
    "review.name": (200, CHECKED, "services/reviews._check_review_name: 1-200 characters"),
    "screeningslot.stage": (20, APP, "STAGES"),
    "stagerelease.stage": (20, APP, "STAGES"),
    "study.label": (200, CHECKED, "services/studies.MAX_LABEL"),
    "study.design": (100, CHECKED, "services/studies.MAX_DESIGN"),
    "user.name": (100, CHECKED, "services/users.NAME_PATTERN / MAX_NAME_LENGTH"),
    "gradeassessment.outcome_id": (100, PROTOCOL_ID, "protocol outcome id"),
    "gradeassessment.certainty": (20, APP, "CERTAINTIES, set by services/grade.py, a check"),
    "gradeassessment.status": (20, APP, "GRADE_STATUSES, set by services/grade.py, a check"),
    "extraction.status": (20, APP, "ExtractionStatus, set by services/extraction.py"),
    "extraction.design_kind": (20, CHECKED, "StudyDesign, services/extraction.py checks it"),
    "extractionvalue.field_id": (100, PROTOCOL_ID, "protocol extraction field id"),
    "extractionarm.label": (200, CHECKED, "models/extraction.MAX_ARM_LABEL, services/extraction"),
    "extractionarm.role": (20, CHECKED, "ArmRole, services/extraction.py checks it"),
    "extractionresult.result_key": (64, APP, "hex digest of Result.key"),
    "extractionresult.outcome_id": (100, PROTOCOL_ID, "protocol outcome id"),
    "extractionresult.format": (40, CHECKED, "a key of domain/extraction/formats.FORMATS"),
    "extractionresult.measure": (10, CHECKED, "EffectMeasure, services/extraction.py checks it"),
    "appraisal.outcome_id": (100, PROTOCOL_ID, "protocol outcome id, or ALL_OUTCOMES ('*')"),
    "appraisal.tool": (40, CHECKED, "a key of domain/appraisal/tools.TOOLS, services/appraisal"),
    "appraisal.variant": (40, CHECKED, "the tool's variant ids, assessment.problems"),
    "appraisal.overall": (80, CHECKED, "a level of the tool's scale, assessment.problems"),
    "appraisal.status": (20, APP, "APPRAISAL_STATUSES, set by services/appraisal.py"),
    "appraisaldomain.domain": (20, CHECKED, "the tool's domain ids, assessment.problems"),
    "appraisaldomain.judgement": (80, CHECKED, "a level of the tool's scale, assessment.problems"),
    "savedanalysis.name": (200, CHECKED, "services/analyses.py _checked_name (MAX_NAME)"),
    "savedanalysis.outcome_id": (100, PROTOCOL_ID, "a protocol outcome, services/analyses.py"),
    "savedanalysis.subgroup": (100, PROTOCOL_ID, "a protocol extraction field id"),
    "savedanalysis.measure": (10, APP, "EffectMeasure, a check constraint"),
    "savedanalysis.method": (10, APP, "PoolingMethod, a check constraint"),
    "savedanalysis.test": (10, APP, "meta Test, a check constraint"),
    "savedanalysis.prediction": (10, APP, "PredictionRule, a check constraint"),
    "savedanalysis.data_digest": (64, APP, "a SHA-256 hex digest"),
    "recordcomment.stage": (20, CHECKED, "STAGES, checked by services/discussion.py"),
}
# Text from import files and people that must stay unbounded (migration 0005).
UNBOUNDED = (
    "record.title",
    "record.source_record_id",
    "record.volume",
    "record.issue",
    "record.pages",
    "record.doi",
    "record.pmid",
    "record.issn",
    "record.isbn",
    "record.language",
    "record.publication_type",
    "record.journal",
    "record.url",
    "importbatch.file_name",
    "importbatch.source_name",
    "fulltext.file_name",
)


def bounded_columns() -> dict[str, int]:
    return {
        f"{table.name}.{column.name}": column.type.length
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (String, AutoString)) and column.type.length is not None
    }


def test_every_bounded_text_column_is_decided() -> None:
    found = bounded_columns()
    undecided = sorted(set(found) - set(BOUNDED))
    assert not undecided, (
        f"bounded text columns nobody has decided about: {undecided}; check the value before "
        "the insert (a message naming the field and the limit) or make it unbounded, then list "
        "it in BOUNDED with where it is checked"
    )
    stale = sorted(set(BOUNDED) - set(found))
    assert not stale, f"no longer bounded (or gone): {stale}; take them out of BOUNDED"
    changed = {name: (BOUNDED[name][0], length) for name, length in found.items()}
    assert {name: pair for name, pair in changed.items() if pair[0] != pair[1]} == {}


def test_text_from_import_files_is_unbounded() -> None:
    tables = SQLModel.metadata.tables
    for name in UNBOUNDED:
        table, column = name.split(".")
        kind = tables[table].c[column].type
        assert isinstance(kind, (Text, String, AutoString)) and kind.length is None, name


def test_the_checks_allow_no_more_than_their_columns_hold() -> None:
    found = bounded_columns()
    assert users.MAX_NAME_LENGTH == found["user.name"] == found["loginthrottle.name"]
    assert found["study.label"] == studies.MAX_LABEL
    assert found["study.design"] == studies.MAX_DESIGN
    assert found["extractionarm.label"] == MAX_ARM_LABEL
    id_length = int(protocol.ID_PATTERN.pattern.rsplit(",", 1)[1].rstrip("}")) + 1
    assert id_length == 64
    for name, (length, kind, _) in BOUNDED.items():
        if kind == PROTOCOL_ID:
            assert id_length <= length, name
    for values, columns in (
        (STAGES, ("decision.stage", "resolution.stage", "screeningslot.stage",
                  "stagerelease.stage")),
        (VOTES, ("decision.vote", "resolution.vote")),
        (ROLES, ("membership.role",)),
        (SOURCE_KINDS, ("importbatch.source_kind",)),
        (FORMATS, ("importbatch.format",)),
        (EXTRACTION_STATUSES, ("extraction.status",)),
        (STUDY_DESIGNS, ("extraction.design_kind",)),
        (ARM_ROLES, ("extractionarm.role",)),
        (EFFECT_MEASURES, ("extractionresult.measure",)),
        (APPRAISAL_STATUSES, ("appraisal.status",)),
        (GRADE_STATUSES, ("gradeassessment.status",)),
        (CERTAINTIES, ("gradeassessment.certainty",)),
        (tuple(TOOLS), ("appraisal.tool",)),
        (tuple(v.id for t in TOOLS.values() for v in t.variants) or ("",), ("appraisal.variant",)),
        (tuple(level for t in TOOLS.values() for level in t.scale.ids),
         ("appraisal.overall", "appraisaldomain.judgement")),
        (tuple(d.id for t in TOOLS.values() for v in (None, *(v.id for v in t.variants))
               for d in t.domains_for(v)), ("appraisaldomain.domain",)),
    ):  # fmt: skip
        for column in columns:
            assert max(map(len, values)) <= found[column], column
