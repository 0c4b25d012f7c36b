"""All models, imported here so that Alembic and the app see the whole schema."""

from lms.models.accounts import (
    AccountToken,
    LoginEvent,
    ManagerDepartment,
    Role,
    SignInFailure,
    TokenPurpose,
    TrainerCompany,
    User,
    UserRole,
)
from lms.models.assignments import Assignment, AssignmentRule, ReminderSent, ReportAccess
from lms.models.audit import AuditEntry
from lms.models.base import Base, utcnow
from lms.models.content import (
    AssetBlob,
    Course,
    CourseCompany,
    CourseVersion,
    VersionAsset,
    VersionFile,
)
from lms.models.drafts import CourseDraft, CourseEditor, DraftFile
from lms.models.external import ExternalRecord, RecordStatus
from lms.models.in_person import (
    Attendance,
    Booking,
    BookingStatus,
    CalendarFeed,
    InPersonSession,
    PracticalSignoff,
)
from lms.models.outbox import OutboxMessage
from lms.models.paths import LearningPath, PathEnrollment
from lms.models.progress import (
    AttemptAnswer,
    Completion,
    Enrollment,
    QuizAttempt,
    Refresher,
    RefresherAnswer,
    UnitFeedback,
    UnitProgress,
)
from lms.models.statistics import ItemStat
from lms.models.tenancy import Company, Department
from lms.models.xapi import LearningRecord

__all__ = [
    "AccountToken",
    "AssetBlob",
    "Assignment",
    "AssignmentRule",
    "AttemptAnswer",
    "Attendance",
    "AuditEntry",
    "Base",
    "Booking",
    "BookingStatus",
    "CalendarFeed",
    "Company",
    "Completion",
    "Course",
    "CourseCompany",
    "CourseDraft",
    "CourseEditor",
    "CourseVersion",
    "Department",
    "DraftFile",
    "Enrollment",
    "ExternalRecord",
    "InPersonSession",
    "ItemStat",
    "LearningPath",
    "LearningRecord",
    "LoginEvent",
    "ManagerDepartment",
    "OutboxMessage",
    "PathEnrollment",
    "PracticalSignoff",
    "QuizAttempt",
    "RecordStatus",
    "Refresher",
    "RefresherAnswer",
    "ReminderSent",
    "ReportAccess",
    "Role",
    "SignInFailure",
    "TokenPurpose",
    "TrainerCompany",
    "UnitFeedback",
    "UnitProgress",
    "User",
    "UserRole",
    "VersionAsset",
    "VersionFile",
    "utcnow",
]
