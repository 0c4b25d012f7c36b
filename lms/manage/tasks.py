"""The manager's sign-offs of on-the-job tasks for the people they see."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.db import db
from lms.manage import bp
from lms.models import User
from lms.permissions import get_person_for_manager, people_visible_to_manager
from lms.signoff.views import task_list, task_page


def _manager() -> User:
    user: User = current_user._get_current_object()
    return user


def _task_url(person: User, slug: str, unit_id: str) -> str:
    return url_for("manage.task", user_id=person.id, slug=slug, unit_id=unit_id)


@bp.get("/tasks")
def tasks() -> ResponseReturnValue:
    manager = _manager()
    learners = [
        person
        for person in db.session.scalars(
            people_visible_to_manager(manager).where(User.is_active.is_(True))
        )
        if person.id != manager.id
    ]
    return task_list(learners, _task_url, _("On-the-job tasks"))


@bp.route("/people/<int:user_id>/tasks/<slug>/<unit_id>", methods=["GET", "POST"])
def task(user_id: int, slug: str, unit_id: str) -> ResponseReturnValue:
    manager = _manager()
    person = get_person_for_manager(db.session, manager, user_id)
    return task_page(
        manager, person, slug, unit_id, (url_for("manage.tasks"), _("On-the-job tasks"))
    )
