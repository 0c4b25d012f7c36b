"""The trainer's sign-offs of on-the-job tasks, for the companies the trainer serves."""

from __future__ import annotations

from flask import abort, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from lms.author import bp
from lms.author.sessions import current_trainer
from lms.db import db
from lms.models import User
from lms.signoff.views import task_list, task_page


def _task_url(person: User, slug: str, unit_id: str) -> str:
    return url_for("author.task", user_id=person.id, slug=slug, unit_id=unit_id)


@bp.get("/tasks")
def tasks() -> ResponseReturnValue:
    company_ids = [company.id for company in current_trainer().trainer_companies]
    learners = list(
        db.session.scalars(
            select(User).where(User.company_id.in_(company_ids), User.is_active.is_(True))
        )
    )
    return task_list(learners, _task_url, _("On-the-job tasks"))


@bp.route("/tasks/<int:user_id>/<slug>/<unit_id>", methods=["GET", "POST"])
def task(user_id: int, slug: str, unit_id: str) -> ResponseReturnValue:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return task_page(
        current_trainer(), person, slug, unit_id, (url_for("author.tasks"), _("On-the-job tasks"))
    )
