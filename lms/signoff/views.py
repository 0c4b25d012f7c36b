"""The sign-off pages of practical tasks, one blueprint registered under the manager's
area (/team/tasks) and the trainer's (/author/tasks).

Whose tasks a signer sees is the area's *place* (`places`): the manager's area
registers it in `lms/manage/tasks.py`, the trainer's in `lms/author/tasks.py`, so this
module never imports an area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import Select, select

from lms.areas import Places
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.models import Course, Enrollment, User
from lms.services import learning
from lms.signoff import service as signoff
from lms.signoff.service import SignoffError
from lms.templating import page_language

bp = Blueprint("signoff", __name__)


@dataclass(frozen=True)
class SignoffPlace:
    """What an area decides for its sign-off pages."""

    signer: User
    # The people whose open practical tasks the list shows (the page adds: active).
    learners: Select[User]
    # One person the signer may reach by id, or abort(404).
    person: Callable[[int], User]


places: Places[SignoffPlace] = Places()


@bp.get("")
def practical_tasks() -> ResponseReturnValue:
    """The practical tasks still waiting for a sign-off, by person."""
    place = places.current()
    learners = [
        person
        for person in db.session.scalars(place.learners.where(User.is_active.is_(True)))
        if person.id != place.signer.id
    ]
    people = {person.id: person for person in learners}
    tasks = signoff.open_practical_tasks(db.session, learners, page_language())
    tasks.sort(
        key=lambda t: (people[t.enrollment.user_id].display_name.casefold(), t.unit["title"])
    )
    return render_template("signoff/practical_tasks.html", tasks=tasks, people=people)


@bp.route("/<int:user_id>/<slug>/<unit_id>", methods=["GET", "POST"])
def practical_task(user_id: int, slug: str, unit_id: str) -> ResponseReturnValue:
    """GET: the checklist to tick; POST: save it, or sign the task off."""
    place = places.current()
    learner = place.person(user_id)
    if not signoff.may_sign_off(place.signer, learner):
        abort(404)
    enrollment = db.session.scalar(
        select(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == learner.id, Course.slug == slug)
    )
    if enrollment is None:
        abort(404)
    try:
        unit = signoff.practical_unit(enrollment, unit_id)
    except SignoffError:
        abort(404)
    language = page_language()
    shown = next(
        (u for u in learning.rendered_units(enrollment.version, language) if u["id"] == unit_id),
        unit,
    )
    row = signoff.current(db.session, enrollment, unit_id)
    error = None
    ticked = set(row.ticked) if row else set()
    comment = row.comment if row else ""
    if request.method == "POST":
        ticked = set(request.form.getlist("item"))
        comment = request.form.get("comment", "")
        sign = request.form.get("action") == "sign"
        try:
            signoff.save(
                db.session, current_actor(), enrollment, unit_id, ticked, comment, sign=sign,
                now=now(),
            )  # fmt: skip
        except SignoffError as failed:
            error = {
                "not-all-ticked": _(
                    "Tick every point of the checklist before you sign off. "
                    "You can save what is ticked so far and sign off later."
                ),
                "signed-off-already": _("This task is signed off already."),
            }.get(failed.code, failed.code)
        else:
            flash(
                _("The task is signed off. %(name)s sees it at once.", name=learner.display_name)
                if sign
                else _("The checklist is saved."),
                "success",
            )
            return redirect(
                url_for(".practical_task", user_id=learner.id, slug=slug, unit_id=unit_id)
            )
    texts = enrollment.version.content["texts"]
    course_title = (texts.get(language) or texts[enrollment.version.language])["title"]
    return render_template(
        "signoff/practical_task.html",
        learner=learner,
        unit=shown,
        course_title=course_title,
        row=signoff.current(db.session, enrollment, unit_id) if error is None else row,
        ticked=ticked,
        comment=comment,
        error=error,
    ), (422 if error else 200)
