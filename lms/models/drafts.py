"""A course's working draft: its files as trainers edit them in the browser, before they
publish them as a new version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.models.base import Base, utcnow


class CourseDraft(Base):
    """The working draft of one course (one per slug).

    `revision` rises with every saved change: a save names the revision it started
    from, and a save from an older one is refused (optimistic locking), so two trainers
    never silently overwrite each other. `company_id` set: a company's own course, which
    only that company's trainers edit and only its people see once published.
    """

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    files: Mapped[list[DraftFile]] = relationship(
        cascade="all, delete-orphan", order_by="DraftFile.path"
    )


class DraftFile(Base):
    """One file of a draft: `course.md`, a unit's Markdown, or an asset."""

    __tablename__ = "draft_files"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_drafts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


class CourseEditor(Base):
    """A trainer of the provider who may change a course, known by its slug (so also
    before its first version). Granted by an admin, or to whoever started the course."""

    __tablename__ = "course_editors"

    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
