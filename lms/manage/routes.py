"""The team overview and one person's page, limited to the manager's company and departments."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func

from lms.db import db
from lms.manage import bp
from lms.models import User
from lms.permissions import (
    departments_of,
    get_person_for_manager,
    managed_department_ids,
    people_visible_to_manager,
)


@bp.get("/")
def index() -> ResponseReturnValue:
    manager = current_user
    people = list(
        db.session.scalars(people_visible_to_manager(manager).order_by(User.display_name))
    )
    limited = managed_department_ids(manager)
    departments = departments_of(db.session, manager.company_id, only=limited)
    counts = dict(
        db.session.execute(
            people_visible_to_manager(manager)
            .with_only_columns(User.department_id, func.count())
            .group_by(User.department_id)
        ).all()
    )
    department_names = {d.id: d.name for d in departments}
    return render_template(
        "manage/index.html",
        people=people,
        departments=departments,
        counts=counts,
        department_names=department_names,
        limited=limited is not None,
    )


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> ResponseReturnValue:
    person = get_person_for_manager(db.session, current_user, user_id)
    return render_template("manage/person.html", person=person, department=person.department)
