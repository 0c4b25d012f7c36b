"""The sign-off pages shared by managers (/team/tasks) and trainers (/author/tasks).

Each area decides whom the signer sees; these functions draw the list and the
checklist page and save what the signer entered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.models import Course, Enrollment, User
from lms.services import learning
from lms.signoff import service as signoff
from lms.signoff.service import SignoffError
from lms.templating import page_language


def task_list(
    learners: Sequence[User], task_url: Callable[[User, str, str], str], heading: str
) -> ResponseReturnValue:
    people = {person.id: person for person in learners}
    tasks = signoff.open_tasks(db.session, learners, page_language())
    tasks.sort(
        key=lambda t: (people[t.enrollment.user_id].display_name.casefold(), t.unit["title"])
    )
    return render_template(
        "signoff/tasks.html",
        tasks=tasks,
        people=people,
        task_url=task_url,
        heading=heading,
    )


def task_page(
    signer: User, learner: User, slug: str, unit_id: str, back: tuple[str, str]
) -> ResponseReturnValue:
    """GET: the checklist to tick; POST: save it, or sign the task off."""
    if not signoff.may_sign_off(signer, learner):
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
            return redirect(request.path)
    texts = enrollment.version.content["texts"]
    course_title = (texts.get(language) or texts[enrollment.version.language])["title"]
    return render_template(
        "signoff/task.html",
        learner=learner,
        unit=shown,
        course_title=course_title,
        row=signoff.current(db.session, enrollment, unit_id) if error is None else row,
        ticked=ticked,
        comment=comment,
        error=error,
        back=back,
    ), (422 if error else 200)
