"""The list of companies with their counts, and one company's departments and people."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from lms.admin import bp
from lms.admin.companies import company_or_404, company_page
from lms.admin.forms import ReportingForm
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.input_checks import number_arg
from lms.manage.assigning import assign_form, assigned_message, carry_out
from lms.models import Company, Department, ReportAccess, User
from lms.permissions import get_for_company
from lms.services import companies


@bp.get("/")
def index() -> ResponseReturnValue:
    people = func.count(User.id)
    active = func.count(case((User.is_active.is_(True), User.id)))
    never = func.count(case((User.last_login_at.is_(None), User.id)))
    rows = db.session.execute(
        select(Company, people, active, never)
        .outerjoin(User, User.company_id == Company.id)
        .group_by(Company.id)
        .order_by(Company.name)
    ).all()
    provider_staff = db.session.scalar(
        select(func.count()).select_from(User).where(User.company_id.is_(None))
    )
    return render_template("admin/index.html", rows=rows, provider_staff=provider_staff)


@bp.get("/companies/<int:company_id>")
def company(company_id: int) -> ResponseReturnValue:
    return company_page(company_or_404(company_id))


@bp.route("/companies/<int:company_id>/assign", methods=["GET", "POST"])
def assign(company_id: int) -> ResponseReturnValue:
    """An admin assigns a module within one company (any department, any person)."""
    company = company_or_404(company_id)
    departments = list(
        db.session.scalars(
            select(Department).where(Department.company_id == company.id).order_by(Department.name)
        )
    )
    people = db.session.scalars(
        select(User)
        .where(User.company_id == company.id, User.is_active.is_(True))
        .order_by(User.display_name)
    ).all()
    form = assign_form(company, departments, people, whole_company=True)
    # A step of the people list (search, everyone shown, none) shows the form again.
    if form.stepped or not form.validate_on_submit():
        page = render_template(
            "manage/assign.html",
            form=form,
            action=url_for("admin.assign", company_id=company.id),
            back=(url_for("admin.company", company_id=company.id), company.name),
        )
        return page, (422 if request.method == "POST" and not form.stepped else 200)
    course, result = carry_out(
        form,
        company,
        lambda person_id: get_for_company(db.session, User, person_id, company.id),
    )
    if course is None:
        abort(404)
    flash(assigned_message(result), "success")
    return redirect(url_for("admin.company", company_id=company.id))


@bp.post("/companies/<int:company_id>/reporting")
def reporting(company_id: int) -> ResponseReturnValue:
    """The company's privacy level, recertification lead time and booking approval."""
    company = company_or_404(company_id)
    form = ReportingForm()
    if not form.validate_on_submit():
        return company_page(company, reporting=form), 422
    companies.update_reporting(
        db.session,
        current_actor(),
        company,
        privacy_level=form.privacy_level.data or "status",
        recertification_lead_days=form.recertification_lead_days.data or 0,
        booking_approval=bool(form.booking_approval.data),
        now=now(),
    )
    flash(_("The settings of %(company)s are saved.", company=company.name), "success")
    # To the message at the top (the form was sent from #privacy further down).
    return redirect(url_for("admin.company", company_id=company.id) + "#main")


@bp.get("/companies/<int:company_id>/access-log")
def access_log(company_id: int) -> ResponseReturnValue:
    """Who viewed whose learning data or exported it (newest first, 100 a page)."""
    company = company_or_404(company_id)
    page = max(1, request.args.get("page", 1, type=number_arg))
    entries = db.session.scalars(
        select(ReportAccess)
        .where(ReportAccess.company_id == company.id)
        .options(selectinload(ReportAccess.subject))
        .order_by(ReportAccess.at.desc(), ReportAccess.id.desc())
        .limit(101)
        .offset((page - 1) * 100)
    ).all()
    return render_template(
        "admin/access_log.html",
        company=company,
        entries=entries[:100],
        page=page,
        more=len(entries) > 100,
    )
