"""Versioned import: a course folder becomes a new `CourseVersion` when its content changed.

A course with errors is not imported and its live version stays as it was.
Unchanged content (same hash over every file) makes no new version. Markdown is
rendered and sanitised here, once; pages only show the stored HTML.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lms.clock import today
from lms.content.blobs import keep_blobs
from lms.content.markdown_checks import ASSET_TYPES
from lms.content.parser import parse_course
from lms.content.problems import Problem
from lms.content.render import render_inline, render_markdown
from lms.content.spec import CourseSpec, Question, QuestionType, Unit
from lms.models import (
    AssetBlob,
    Course,
    CourseCompany,
    CourseVersion,
    VersionAsset,
    VersionFile,
)
from lms.packages.reading import read_package
from lms.packages.storage import store_package_files
from lms.services.assignments import requalify


class ImportStatus(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class ImportOutcome:
    slug: str
    status: ImportStatus
    problems: tuple[Problem, ...]
    version: CourseVersion | None = None


def content_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes, in a fixed order."""
    return files_hash(source_files(folder))


def source_files(folder: Path) -> dict[str, bytes]:
    """Every file of a course folder by its relative POSIX path (links are skipped)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    }


def files_hash(files: dict[str, bytes]) -> str:
    """`content_hash` of a folder holding `files`."""
    digest = hashlib.sha256()
    for relative in sorted(files):
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[relative]).digest())
    return digest.hexdigest()


def asset_url_for(slug: str, digest: str) -> Any:
    def url(path: str) -> str:
        return f"/content/{slug}/{digest[:16]}/{path}"

    return url


def import_course(session: Session, folder: Path, now: datetime) -> ImportOutcome:
    """Import one course folder; flushes, never commits.

    The content hash is checked first: an unchanged folder is not even parsed
    again, so re-importing a whole library is cheap.
    """
    folder = Path(folder)
    digest = content_hash(folder) if folder.is_dir() else ""
    course = session.scalar(select(Course).where(Course.slug == folder.name))
    latest = latest_version(session, course) if course is not None else None
    if latest is not None and latest.content_hash == digest:
        if (
            session.scalar(select(VersionFile.id).where(VersionFile.version_id == latest.id))
            is None
        ):
            # Imported before versions kept their sources: keep them now (same hash).
            store_sources(session, latest, source_files(folder))
        return ImportOutcome(folder.name, ImportStatus.UNCHANGED, (), latest)
    result = parse_course(folder)
    if result.spec is None:
        return ImportOutcome(folder.name, ImportStatus.FAILED, result.problems)
    spec = result.spec
    if course is None:
        course = Course(slug=spec.slug, created_at=now)
        session.add(course)
        session.flush()
    main = spec.texts[spec.language]
    version = CourseVersion(
        course_id=course.id,
        number=(latest.number if latest else 0) + 1,
        content_hash=digest,
        title=main.title,
        language=spec.language,
        requalification=spec.requalification,
        valid_for=str(spec.valid_for) if spec.valid_for else None,
        # Without quiz questions there is nothing to repeat (the check warns).
        refresh=(", ".join(str(period) for period in spec.refresh) or None)
        if any(unit.questions for unit in spec.main_units)
        else None,
        minutes=spec.minutes,
        unit_count=len(spec.main_units),
        warnings=len(result.problems),
        spec=spec_to_json(spec),
        rendered=render_course(spec, asset_url_for(spec.slug, digest)),
        imported_at=now,
    )
    session.add(version)
    session.flush()
    _store_assets(session, version, folder, spec)
    _store_packages(session, version, folder, spec)
    store_sources(session, version, source_files(folder))
    if version.requalification and latest is not None:
        requalify(session, version, now, today(now))
    return ImportOutcome(spec.slug, ImportStatus.CREATED, result.problems, version)


def _live() -> Select[Course, CourseVersion]:
    newest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return (
        select(Course, CourseVersion)
        .join(newest, newest.c.course_id == Course.id)
        .join(
            CourseVersion,
            (CourseVersion.course_id == Course.id) & (CourseVersion.number == newest.c.number),
        )
        .order_by(CourseVersion.title)
    )


# Built once: the start page and the catalogue ask for it on every visit.
_LIVE = _live()


def live_versions(session: Session, where: Any = None) -> list[tuple[Course, CourseVersion]]:
    """Every course (matching `where`) with its live (highest) version, by title; one query."""
    rows = session.execute(_LIVE if where is None else _LIVE.where(where)).all()
    return [(course, version) for course, version in rows]


def latest_version(session: Session, course: Course) -> CourseVersion | None:
    """The live version: the one with the highest number."""
    return session.scalar(
        select(CourseVersion)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number.desc())
        .limit(1)
    )


def _store_assets(session: Session, version: CourseVersion, folder: Path, spec: CourseSpec) -> None:
    for relative in spec.assets:
        data = (folder / relative).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if session.get(AssetBlob, sha) is None:
            session.add(AssetBlob(sha256=sha, size=len(data), data=data))
            session.flush()
        suffix = Path(relative).suffix.lower()
        session.add(
            VersionAsset(
                version_id=version.id, path=relative, content_type=ASSET_TYPES[suffix], sha256=sha
            )
        )
    session.flush()


def _store_packages(
    session: Session, version: CourseVersion, folder: Path, spec: CourseSpec
) -> None:
    """Keep the files of every package the version's units name (each ZIP once)."""
    named = {unit.package.file for units in spec.units.values() for unit in units if unit.package}
    for relative in sorted(named):
        _spec, files = read_package((folder / relative).read_bytes(), relative)
        store_package_files(session, version, relative, files)


def store_sources(session: Session, version: CourseVersion, files: dict[str, bytes]) -> None:
    """Keep the version's source files (each distinct content once, as an `AssetBlob`)."""
    shas = keep_blobs(session, files)
    session.add_all(
        VersionFile(version_id=version.id, path=path, sha256=sha) for path, sha in shas.items()
    )
    session.flush()


def version_sources(session: Session, version: CourseVersion) -> dict[str, bytes]:
    """The source files of a version (empty for versions imported before they were kept)."""
    rows = session.execute(
        select(VersionFile.path, AssetBlob.data)
        .join(AssetBlob, AssetBlob.sha256 == VersionFile.sha256)
        .where(VersionFile.version_id == version.id)
        .order_by(VersionFile.path)
    )
    return {path: data for path, data in rows}


# --- Serialisation ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def spec_to_json(spec: CourseSpec) -> dict[str, Any]:
    """The whole spec, answer keys included, as JSON-ready data (server side only)."""
    data: dict[str, Any] = _plain(spec)
    return data


def render_course(spec: CourseSpec, asset_url: Any) -> dict[str, Any]:
    """HTML and question texts per language, every unit present in every language.

    `units` holds what a learner may see before answering (no correct flags, and
    ordering steps and matching options in a neutral, sorted order); `review`
    holds feedback and explanations, shown only after submission.
    """
    languages = sorted(spec.units)
    rendered: dict[str, Any] = {"languages": languages, "texts": {}, "units": {}, "review": {}}
    for lang in languages:
        texts = spec.texts.get(lang, spec.texts[spec.language])
        rendered["texts"][lang] = {
            "title": texts.title,
            "summary": texts.summary,
            "audience": texts.audience,
            "description_html": render_markdown(texts.description, asset_url),
            "tags": list(texts.tags),
        }
        units = [spec.unit_in(unit.id, lang) for unit in spec.main_units]
        rendered["units"][lang] = [_render_unit(unit, asset_url) for unit in units]
        rendered["review"][lang] = {
            question.id: _render_review(question, asset_url)
            for unit in units
            for question in unit.questions
        }
    return rendered


def _render_unit(unit: Unit, asset_url: Any) -> dict[str, Any]:
    return {
        "id": unit.id,
        "position": unit.position,
        "type": unit.type.value,
        "title": unit.title,
        "minutes": unit.minutes,
        "language": unit.language,
        "html": render_markdown(unit.body, asset_url),
        "quiz": _plain(unit.quiz) if unit.quiz else None,
        "questions": [_render_question(q, asset_url) for q in unit.questions],
        "goals": [render_inline(g, asset_url) for g in unit.goals],
        "bring": [render_inline(b, asset_url) for b in unit.bring],
        "checklist": [
            {"id": item.id, "html": render_inline(item.text, asset_url)} for item in unit.checklist
        ],
        # Only hand-in units carry it: other units' content stays as it was.
        **({"accepts": list(unit.accepts)} if unit.accepts else {}),
        **({"package": _plain(unit.package)} if unit.package else {}),
    }


def _render_question(question: Question, asset_url: Any) -> dict[str, Any]:
    public: dict[str, Any] = {
        "id": question.id,
        "type": question.type.value,
        "points": str(question.points),
        "prompt_html": render_markdown(question.prompt, asset_url),
    }
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        public["choices"] = [render_inline(c.text, asset_url) for c in question.choices]
    elif question.type is QuestionType.NUMBER:
        public["unit"] = question.unit
    elif question.type is QuestionType.CLOZE:
        public["gaps"] = [
            {"kind": "choice", "options": [render_inline(c.text) for c in gap.choices]}
            if gap.is_choice
            else {"kind": "text"}
            for gap in question.gaps
        ]
    elif question.type is QuestionType.MATCHING:
        public["left"] = [render_inline(p.left, asset_url) for p in question.pairs]
        public["right"] = sorted([p.right for p in question.pairs] + list(question.distractors))
    elif question.type is QuestionType.ORDERING:
        public["items"] = sorted(question.items)
    elif question.type is QuestionType.ESSAY:
        public["rubric"] = [{"text": c.text, "points": str(c.points)} for c in question.rubric]
        public["min_words"], public["max_words"] = question.min_words, question.max_words
    return public


def _render_review(question: Question, asset_url: Any) -> dict[str, Any]:
    return {
        "explanation_html": render_markdown(question.explanation, asset_url),
        "choice_feedback_html": [render_inline(c.feedback, asset_url) for c in question.choices],
        "feedback_true_html": render_inline(question.feedback_true, asset_url),
        "feedback_false_html": render_inline(question.feedback_false, asset_url),
        "solution_html": render_inline(_solution(question), asset_url),
        "solution_bool": question.answer_bool,
    }


def _solution(question: Question) -> str:
    """The correct answer in words (Markdown), for the review after submission."""
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return "; ".join(c.text for c in question.choices if c.correct)
    if kind is QuestionType.TRUE_FALSE:
        return "✓" if question.answer_bool else "✕"
    if kind is QuestionType.NUMBER:
        tolerance = f" ± {question.tolerance}" if question.tolerance else ""
        return f"{question.number}{tolerance} {question.unit}".strip()
    if kind is QuestionType.TEXT and question.text_rule is not None:
        return " / ".join(question.text_rule.answers)
    if kind is QuestionType.CLOZE:
        answers = [
            next(c.text for c in gap.choices if c.correct)
            if gap.is_choice
            else (gap.text.answers[0] if gap.text and gap.text.answers else "")
            for gap in question.gaps
        ]
        return "; ".join(f"{i + 1}: {a}" for i, a in enumerate(answers))
    if kind is QuestionType.MATCHING:
        return "; ".join(f"{p.left} → {p.right}" for p in question.pairs)
    if kind is QuestionType.ORDERING:
        return " → ".join(question.items)
    return ""


def visible_to(company_id: int | None) -> Any:
    """The condition for courses a company's people may see: shared, or opened to it."""
    opened = select(CourseCompany.course_id).where(CourseCompany.company_id == company_id)
    return or_(Course.shared.is_(True), Course.id.in_(opened))


def catalogue(session: Session, company_id: int | None) -> list[tuple[Course, CourseVersion]]:
    """The live courses open to a company (all of them for staff without a company)."""
    if company_id is None:
        return live_versions(session)
    return live_versions(session, visible_to(company_id))


def is_visible(session: Session, course: Course, company_id: int | None) -> bool:
    if company_id is None or course.shared:
        return True
    return bool(
        session.scalar(
            select(CourseCompany.course_id).where(
                CourseCompany.course_id == course.id, CourseCompany.company_id == company_id
            )
        )
    )
