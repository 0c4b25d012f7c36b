"""Courses and their immutable versions, as imported from Markdown folders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Base, utcnow


class Course(Base):
    """A course, known by the slug of its folder. Its content lives in versions."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    # In the provider's shared catalogue (every company), or only for the companies
    # listed in `course_companies`.
    shared: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number"
    )


class CourseCompany(Base):
    """A course that is not shared, opened to one company."""

    __tablename__ = "course_companies"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CourseVersion(Base):
    """One imported state of a course. Never changed after import.

    `spec` holds the whole parsed course, answer keys included, for the server
    only; `rendered` holds the sanitised HTML and the question texts without
    answers, per language, for pages.
    """

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5))
    requalification: Mapped[bool] = mapped_column(default=False)
    valid_for: Mapped[str | None] = mapped_column(String(30))
    # When a short repetition is due after completing, e.g. "7 days, 30 days" (refresh:).
    refresh: Mapped[str | None] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=0)
    unit_count: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    # Large: loaded only when used; pages read `content`, which is cached per process.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    rendered: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Published from a draft in the browser: who, and what they said changed.
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")

    course: Mapped[Course] = relationship(back_populates="versions")
    assets: Mapped[list[VersionAsset]] = relationship(cascade="all, delete-orphan")

    @property
    def content_cached(self) -> bool:
        """Whether `content` is at hand without loading `rendered`."""
        return (self.id, self.content_hash) in _CONTENT_CACHE

    @property
    def content(self) -> dict[str, Any]:
        """`rendered`, parsed once per process: a version never changes after import."""
        key = (self.id, self.content_hash)
        cached = _CONTENT_CACHE.get(key)
        if cached is None:
            cached = self.rendered
            if len(_CONTENT_CACHE) >= _CONTENT_CACHE_SIZE:
                _CONTENT_CACHE.pop(next(iter(_CONTENT_CACHE)))
            _CONTENT_CACHE[key] = cached
        return cached


# (version id, content hash) -> rendered content; the hash keeps ids reused by a
# rolled-back transaction (tests) from returning another version's content.
_CONTENT_CACHE: dict[tuple[int, str], dict[str, Any]] = {}
_CONTENT_CACHE_SIZE = 256


class AssetBlob(Base):
    """The bytes of an asset file, stored once however many versions use it."""

    __tablename__ = "asset_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class VersionAsset(Base):
    __tablename__ = "version_assets"
    __table_args__ = (Index("ix_version_assets_version_path", "version_id", "path", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(ForeignKey("asset_blobs.sha256"))


class VersionFile(Base):
    """A source file of a version (Markdown and assets alike), as it was imported: what a
    version's download, its diff with another version and a rollback are made of. The
    bytes are an `AssetBlob`, stored once however many versions hold the same file."""

    __tablename__ = "version_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(ForeignKey("asset_blobs.sha256"))
