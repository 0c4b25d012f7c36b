"""Bought content as units: SCORM 1.2, SCORM 2004 and cmi5 packages, and what learners do in them.

A package is a ZIP in the course folder (`packages/<name>.zip`), named by a unit of
type `package`. Its files are kept per course version like the version's other
files (bytes once per SHA-256 in `asset_blobs`), so a version's package never
changes. A learner's try at one launchable part of it (a SCO, or a cmi5 AU) is a
`PackageAttempt`; each opening of the player is a `PackageLaunch`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.models.base import Base, utcnow


class PackageFile(Base):
    """One file of a package of a course version (`package` is the ZIP's path in the
    course folder, `path` the file's path inside the ZIP)."""

    __tablename__ = "package_files"
    __table_args__ = (UniqueConstraint("version_id", "package", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE"), index=True
    )
    package: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(ForeignKey("asset_blobs.sha256"))
    size: Mapped[int]


class PackageAttempt(Base):
    """A learner's attempt at one item (SCO or AU) of a package unit, pinned to a version.

    `completion` is "not_attempted", "incomplete", "completed" or "unknown";
    `success` "passed", "failed" or "unknown" – as the server worked them out from the
    reported data and the package's mastery score and completion threshold.
    `cmi` holds the runtime data last committed (the learner's own, e.g. suspend data
    and location, restored when the attempt resumes). Commits carry the launch and a
    sequence number; one from an older launch or with a lower number than the last
    is ignored, so a late beacon cannot undo a newer commit. An attempt ends
    (`ended_at`) when the package exits without suspending; the next launch starts a
    new attempt. `satisfied_at` is when the item met its requirement.
    """

    __tablename__ = "package_attempts"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "unit_id", "item_id", "number"),
        Index("ix_package_attempts_unit", "version_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    package: Mapped[str] = mapped_column(String(300))
    item_id: Mapped[str] = mapped_column(String(500))
    standard: Mapped[str] = mapped_column(String(10))  # scorm12, scorm2004, cmi5
    number: Mapped[int] = mapped_column(default=1)
    completion: Mapped[str] = mapped_column(String(20), default="not_attempted")
    success: Mapped[str] = mapped_column(String(10), default="unknown")
    score_scaled: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    score_raw: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    total_seconds: Mapped[int] = mapped_column(default=0)
    location: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    suspend_data: Mapped[str] = mapped_column(Text, default="", server_default="")
    cmi: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    launch_number: Mapped[int] = mapped_column(default=0)
    commit_sequence: Mapped[int] = mapped_column(default=0)
    # cmi5: the registration (a UUID) the AU's statements carry.
    registration: Mapped[str | None] = mapped_column(String(36), unique=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    satisfied_at: Mapped[datetime | None]


class PackageLaunch(Base):
    """One opening of the player for an attempt (a cmi5 "session").

    `token_digest` is the SHA-256 of the launch's secret: SCORM commits and package
    file requests carry it, a cmi5 AU trades it once at the fetch URL
    (`fetched_at`) for its statement credentials. The cmi5 session rules are kept
    here: initialized, terminated, abandoned (a newer launch came first).
    """

    __tablename__ = "package_launches"
    __table_args__ = (UniqueConstraint("attempt_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("package_attempts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(String(36))  # a UUID (cmi5's session id)
    launched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    fetched_at: Mapped[datetime | None]
    initialized_at: Mapped[datetime | None]
    terminated_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]

    # Loaded with the launch where a commit or a file request finds it by its token.
    attempt: Mapped[PackageAttempt] = relationship()


class PackageInteraction(Base):
    """One interaction (`cmi.interactions.n`) a package reported in an attempt: what the
    trainer's item statistics show for a package unit."""

    __tablename__ = "package_interactions"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        Index("ix_package_interactions_unit", "version_id", "unit_id", "interaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("package_attempts.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    interaction_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(30), default="", server_default="")
    result: Mapped[str] = mapped_column(String(30), default="", server_default="")
    response: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class XapiState(Base):
    """A state document an AU keeps through the statement endpoint's State API
    (cmi5: the AU's own bookmark and data; `LMS.LaunchData` is not stored, it is
    answered from the launch)."""

    __tablename__ = "xapi_states"
    __table_args__ = (UniqueConstraint("user_id", "registration", "activity_id", "state_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    registration: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str] = mapped_column(String(500))
    state_id: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
