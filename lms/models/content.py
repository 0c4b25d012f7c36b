"""Courses and their immutable versions, as imported from Markdown folders."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cache import remembered
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
    # Large: loaded only when used; pages read `content`, which is kept in the cache.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    rendered: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Published from a draft in the browser: who, and what they said changed.
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")

    course: Mapped[Course] = relationship(back_populates="versions")
    assets: Mapped[list[VersionAsset]] = relationship(cascade="all, delete-orphan")

    @property
    def content(self) -> VersionContent:
        """`rendered`, read through the cache one part at a time (see `VersionContent`)."""
        found: VersionContent | None = self.__dict__.get("_content")
        if found is None:
            found = self.__dict__["_content"] = VersionContent(self)
        return found


class VersionContent(Mapping[str, Any]):
    """A version's rendered content, each part kept in the cache under the version's
    content hash: `texts`, `languages` and `review` whole, `units` per language.

    A version never changes after import, so its parts never go stale; reading them
    from the cache spares loading and parsing the whole `rendered` column (tens of KB
    of JSON) on every page. Parts read once are kept on the object for the request.
    """

    PARTS = ("languages", "texts", "units", "review")

    def __init__(self, version: CourseVersion) -> None:
        self._version = version
        self._parts: dict[str, Any] = {}

    def __getitem__(self, part: str) -> Any:
        if part not in self.PARTS:
            raise KeyError(part)
        if part not in self._parts:
            if part == "units":
                self._parts[part] = UnitsByLanguage(self._version)
            else:
                self._parts[part] = self._version_part(part)
        return self._parts[part]

    def __getattr__(self, part: str) -> Any:  # templates: version.content.texts
        try:
            return self[part]
        except KeyError:
            raise AttributeError(part) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.PARTS)

    def __len__(self) -> int:
        return len(self.PARTS)

    def _version_part(self, part: str) -> Any:
        version = self._version
        return remembered(
            ("version-content", version.id, version.content_hash, part),
            lambda: version.rendered[part],
        )


class UnitsByLanguage(Mapping[str, list[dict[str, Any]]]):
    """A version's rendered units per language, each language kept in the cache."""

    def __init__(self, version: CourseVersion) -> None:
        self._version = version
        self._languages: dict[str, list[dict[str, Any]] | None] = {}

    def _units(self, language: str) -> list[dict[str, Any]] | None:
        if language not in self._languages:
            version = self._version
            self._languages[language] = remembered(
                ("version-units", version.id, version.content_hash, language),
                lambda: version.rendered["units"].get(language),
            )
        return self._languages[language]

    def __getitem__(self, language: str) -> list[dict[str, Any]]:
        units = self._units(language)
        if units is None:
            raise KeyError(language)
        return units

    def __iter__(self) -> Iterator[str]:
        return iter(self._version.content["languages"])

    def __len__(self) -> int:
        return len(self._version.content["languages"])


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
