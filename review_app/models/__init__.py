"""SQLModel tables. Alembic (``review_app/migrations``) owns the schema; never ``create_all``.

Times are aware UTC (``utcnow()``); SQLModel's UTCDateTime reads them back as UTC on both databases.
"""

from review_app.models.analysis import SavedAnalysis
from review_app.models.appraisal import Appraisal, AppraisalDomain, AppraisalSlot
from review_app.models.base import utcnow
from review_app.models.discussion import DiscussionFlag, RecordComment
from review_app.models.extraction import (
    Extraction,
    ExtractionArm,
    ExtractionResult,
    ExtractionValue,
)
from review_app.models.people import (
    AuditEvent,
    LoginSession,
    LoginThrottle,
    Membership,
    Review,
    User,
)
from review_app.models.records import (
    CandidatePair,
    ClusterMember,
    DuplicateCluster,
    ImportBatch,
    Record,
)
from review_app.models.screening import (
    Decision,
    FullText,
    RecordRank,
    Resolution,
    ScreeningSlot,
    StageRelease,
)
from review_app.models.synthesis import GradeAssessment, SofPublication, Study, StudyReport

__all__ = [
    "Appraisal",
    "AppraisalDomain",
    "AppraisalSlot",
    "AuditEvent",
    "CandidatePair",
    "ClusterMember",
    "Decision",
    "DiscussionFlag",
    "DuplicateCluster",
    "Extraction",
    "ExtractionArm",
    "ExtractionResult",
    "ExtractionValue",
    "FullText",
    "GradeAssessment",
    "ImportBatch",
    "LoginSession",
    "LoginThrottle",
    "Membership",
    "Record",
    "RecordComment",
    "RecordRank",
    "Resolution",
    "Review",
    "SavedAnalysis",
    "ScreeningSlot",
    "SofPublication",
    "StageRelease",
    "Study",
    "StudyReport",
    "User",
    "utcnow",
]
