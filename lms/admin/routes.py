"""The list of companies with their counts, and one company's departments and people."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from lms.admin import bp
from lms.db import db
from lms.models import Company, Department, User


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
    company = db.session.get(Company, company_id)
    if company is None:
        abort(404)
    people = list(
        db.session.scalars(
            select(User)
            .where(User.company_id == company.id)
            .options(selectinload(User.department), selectinload(User.role_rows))
            .order_by(User.display_name)
        )
    )
    departments = list(
        db.session.scalars(
            select(Department).where(Department.company_id == company.id).order_by(Department.name)
        )
    )
    return render_template(
        "admin/company.html", company=company, people=people, departments=departments
    )
