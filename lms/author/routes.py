"""The trainer's area: courses with their versions, a check of the source folder, previews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import and_, func, select

from lms.author import bp
from lms.content.importer import live_versions
from lms.content.parser import parse_course
from lms.db import db
from lms.models import Course, CourseCompany, CourseVersion, UnitFeedback, User
from lms.packages.reporting import STANDARD_NAMES


@bp.get("/")
def index() -> ResponseReturnValue:
    companies = list(current_user.trainer_companies)
    if current_user.company is not None and current_user.company not in companies:
        companies.insert(0, current_user.company)
    company_id = current_user.company_id
    rows = live_versions(db.session, own_company_courses(company_id) if company_id else None)
    return render_template("author/index.html", companies=companies, rows=rows)


def own_company_courses(company_id: int) -> Any:
    """The condition for a company's own courses: not shared, open to that company."""
    return and_(
        Course.shared.is_(False),
        Course.id.in_(
            select(CourseCompany.course_id).where(CourseCompany.company_id == company_id)
        ),
    )


def may_see(course: Course) -> bool:
    """The provider's trainers see every course; a company's own trainers only their
    company's own courses (not the provider's, whose pages show every company's
    learners' comments and answers)."""
    company_id = current_user.company_id
    if company_id is None:
        return True
    return bool(
        db.session.scalar(
            select(Course.id).where(Course.id == course.id, own_company_courses(company_id))
        )
    )


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not may_see(course):
        abort(404)
    return course


def _version(course: Course, number: int) -> CourseVersion:
    version = db.session.scalar(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.number == number
        )
    )
    if version is None:
        abort(404)
    return version


@bp.get("/courses/<slug>")
def course(slug: str) -> ResponseReturnValue:
    course = _course(slug)
    versions = list(
        db.session.scalars(
            select(CourseVersion)
            .where(CourseVersion.course_id == course.id)
            .order_by(CourseVersion.number.desc())
        )
    )
    ratings = {
        unit_id: (count, average)
        for unit_id, count, average in db.session.execute(
            select(UnitFeedback.unit_id, func.count(), func.avg(UnitFeedback.rating))
            .where(UnitFeedback.course_id == course.id)
            .group_by(UnitFeedback.unit_id)
        )
    }
    comments = db.session.execute(
        select(
            UnitFeedback.unit_id, UnitFeedback.rating, UnitFeedback.comment, UnitFeedback.updated_at
        )
        .where(UnitFeedback.course_id == course.id, UnitFeedback.comment != "")
        .order_by(UnitFeedback.updated_at.desc())
        .limit(20)
    ).all()
    publisher_ids = {v.published_by_id for v in versions if v.published_by_id is not None}
    publishers = dict(
        db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(publisher_ids))
        ).all()
    ) if publisher_ids else {}  # fmt: skip
    return render_template(
        "author/course.html",
        course=course,
        versions=versions,
        ratings=ratings,
        comments=comments,
        publishers=publishers,
    )


@bp.get("/courses/<slug>/check")
def check(slug: str) -> ResponseReturnValue:
    """Check the course's source folder now, as `lms courses check` does."""
    course = _course(slug)
    folder = Path(current_app.config["COURSES_DIR"]) / course.slug
    result = parse_course(folder) if folder.is_dir() else None
    return render_template("author/check.html", course=course, result=result, folder=folder)


def _preview_language(version: CourseVersion) -> str:
    languages: list[str] = version.content["languages"]
    asked = request.args.get("lang", "")
    return asked if asked in languages else version.language


@bp.get("/courses/<slug>/v<int:number>/")
def preview(slug: str, number: int) -> ResponseReturnValue:
    version = _version(_course(slug), number)
    lang = _preview_language(version)
    return render_template(
        "author/preview.html",
        version=version,
        lang=lang,
        texts=version.content["texts"][lang],
        units=version.content["units"][lang],
    )


@bp.get("/courses/<slug>/v<int:number>/<unit_id>")
def preview_unit(slug: str, number: int, unit_id: str) -> ResponseReturnValue:
    version = _version(_course(slug), number)
    lang = _preview_language(version)
    units: list[dict[str, Any]] = version.content["units"][lang]
    index = next((i for i, unit in enumerate(units) if unit["id"] == unit_id), None)
    if index is None:
        abort(404)
    return render_template(
        "author/unit.html",
        version=version,
        lang=lang,
        unit=units[index],
        previous=units[index - 1] if index > 0 else None,
        next=units[index + 1] if index + 1 < len(units) else None,
        standard_names=STANDARD_NAMES,  # a package unit's standard (author/_package_facts.html)
    )
