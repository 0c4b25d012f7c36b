"""The catalogue: which modules each company sees, and so which learning paths."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from lms.admin import bp
from lms.audit.trail import current_actor
from lms.clock import now
from lms.content.importer import live_versions
from lms.db import db
from lms.input_checks import number_arg
from lms.models import Company, Course, CourseCompany, CourseEditor, Role, User, UserRole
from lms.services import drafts, paths
from lms.services.catalogue import open_course


@bp.get("/catalogue")
def catalogue() -> ResponseReturnValue:
    companies = db.session.scalars(select(Company).order_by(Company.name)).all()
    opened: dict[int, set[int]] = {}
    for row in db.session.scalars(select(CourseCompany)):
        opened.setdefault(row.course_id, set()).add(row.company_id)
    offered = {c.id: [p.title for p in paths.paths_for(db.session, c.id)] for c in companies}
    editors: dict[str, set[int]] = {}
    for editor in db.session.scalars(select(CourseEditor)):
        editors.setdefault(editor.slug, set()).add(editor.user_id)
    return render_template(
        "admin/catalogue.html",
        rows=live_versions(db.session),
        companies=companies,
        opened=opened,
        offered=offered,
        trainers=_provider_trainers(),
        editors=editors,
    )


def _provider_trainers() -> list[User]:
    """The provider's active trainers (a company's own trainers edit its own courses)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.TRAINER.value,
                User.company_id.is_(None),
                User.is_active.is_(True),
            )
            .order_by(User.display_name)
        )
    )


@bp.post("/catalogue/<int:course_id>/editors")
def course_editors(course_id: int) -> ResponseReturnValue:
    """Who of the provider's trainers may change the course."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    trainers = {t.id: t for t in _provider_trainers()}
    wanted = [trainers[int(v)] for v in request.form.getlist("editor")
              if v.isdigit() and int(v) in trainers]  # fmt: skip
    drafts.set_editors(db.session, current_actor(), course, wanted, now())
    flash(_("Who may change %(slug)s is saved.", slug=course.slug), "success")
    return redirect(url_for("admin.catalogue") + f"#course-{course.id}")


@bp.post("/catalogue/<int:course_id>")
def open_to(course_id: int) -> ResponseReturnValue:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    shared = request.form.get("audience") == "all"
    wanted = set(request.form.getlist("company", type=number_arg))
    companies = db.session.scalars(select(Company).where(Company.id.in_(wanted))).all()
    open_course(db.session, current_actor(), course, shared=shared, companies=companies, now=now())
    flash(_("The catalogue of %(slug)s is saved.", slug=course.slug), "success")
    return redirect(url_for("admin.catalogue") + f"#course-{course.id}")
