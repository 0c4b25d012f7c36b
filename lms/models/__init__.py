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
from lms.models.essays import EssayGrade
from lms.models.evaluation import EvaluationParticipation, EvaluationResponse
from lms.models.external import ExternalRecord, RecordStatus
from lms.models.handins import Handin, HandinStatus
from lms.models.in_person import (
    Attendance,
    Booking,
    BookingStatus,
    CalendarFeed,
    InPersonSession,
    PracticalSignoff,
)
from lms.models.integration import (
    ApiToken,
    RecoveryCode,
    SsoDomain,
    SsoGroupMapping,
    SsoIdentity,
    SsoSettings,
    TokenKind,
    TokenScope,
    WebhookEndpoint,
)
from lms.models.lti import (
    LtiGradeLink,
    LtiHandoff,
    LtiIdentity,
    LtiLaunchState,
    LtiPlatform,
    LtiToolKey,
)
from lms.models.notices import Notice
from lms.models.outbox import OutboxMessage
from lms.models.packages import (
    PackageAttempt,
    PackageFile,
    PackageInteraction,
    PackageLaunch,
    XapiState,
)
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
from lms.models.shop_floor import CardKind, LoginCard, LoginCardUse, SharedDevice
from lms.models.statistics import ItemStat
from lms.models.tenancy import Company, CompanyLogo, Department
from lms.models.xapi import LearningRecord

__all__ = [
    "AccountToken",
    "ApiToken",
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
    "CardKind",
    "Company",
    "CompanyLogo",
    "Completion",
    "Course",
    "CourseCompany",
    "CourseDraft",
    "CourseEditor",
    "CourseVersion",
    "Department",
    "DraftFile",
    "Enrollment",
    "EssayGrade",
    "EvaluationParticipation",
    "EvaluationResponse",
    "ExternalRecord",
    "Handin",
    "HandinStatus",
    "InPersonSession",
    "ItemStat",
    "LearningPath",
    "LearningRecord",
    "LoginCard",
    "LoginCardUse",
    "LoginEvent",
    "LtiGradeLink",
    "LtiHandoff",
    "LtiIdentity",
    "LtiLaunchState",
    "LtiPlatform",
    "LtiToolKey",
    "ManagerDepartment",
    "Notice",
    "OutboxMessage",
    "PackageAttempt",
    "PackageFile",
    "PackageInteraction",
    "PackageLaunch",
    "PathEnrollment",
    "PracticalSignoff",
    "QuizAttempt",
    "RecordStatus",
    "RecoveryCode",
    "Refresher",
    "RefresherAnswer",
    "ReminderSent",
    "ReportAccess",
    "Role",
    "SharedDevice",
    "SignInFailure",
    "SsoDomain",
    "SsoGroupMapping",
    "SsoIdentity",
    "SsoSettings",
    "TokenKind",
    "TokenPurpose",
    "TokenScope",
    "TrainerCompany",
    "UnitFeedback",
    "UnitProgress",
    "User",
    "UserRole",
    "VersionAsset",
    "VersionFile",
    "WebhookEndpoint",
    "XapiState",
    "utcnow",
]
