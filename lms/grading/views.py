"""The trainer's grading pages, registered under the trainer's area (/author/grading):
the queue of hand-ins waiting for a grade and the page that grades one.

A trainer reaches only hand-ins of the companies they serve (`service.waiting`, and
`_reachable` for one hand-in), never their own."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.validators import Length

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.forms import Form
from lms.grading import essays
from lms.grading import service as grading
from lms.grading.service import HandinError
from lms.input_checks import number_arg
from lms.models import Course, Enrollment, Handin, QuizAttempt, User
from lms.services import learning
from lms.templating import page_language

bp = Blueprint("grading", __name__)

ERRORS = {
    "graded-already": _l("This hand-in is graded already."),
    "feedback-missing": _l("Please say in the feedback what the employee should change."),
}


class GradeForm(Form):
    extra_fields = frozenset({"decision"})
    feedback = TextAreaField(
        _l("Feedback"),
        description=_l("The employee sees it with the grade: what is good, what to change."),
        validators=[Length(max=grading.MAX_FEEDBACK)],
    )


def file_response(handin: Handin) -> Response:
    """The file of a hand-in: an image shown, a PDF downloaded; never cached, never sniffed."""
    response = send_file(
        io.BytesIO(handin.file_data),
        mimetype=handin.file_type,
        download_name=handin.file_name,
        as_attachment=handin.file_type == "application/pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def _trainer() -> User:
    trainer = db.session.get(User, current_user.id)
    assert trainer is not None
    return trainer


def _reachable(handin_id: int) -> tuple[User, Handin]:
    """The trainer and a hand-in they may grade, or 404."""
    trainer = _trainer()
    handin = db.session.get(Handin, handin_id)
    if handin is None or not grading.may_grade(trainer, handin.user):
        abort(404)
    return trainer, handin


def _unit_title(handin: Handin, language: str) -> str:
    enrollment = db.session.get(Enrollment, handin.enrollment_id)
    if enrollment is None:
        return handin.unit_id
    units = learning.rendered_units(enrollment.version, language)
    return next((u["title"] for u in units if u["id"] == handin.unit_id), handin.unit_id)


@bp.get("")
def queue() -> ResponseReturnValue:
    """The hand-ins waiting for a grade, oldest first; a filter by module."""
    trainer = _trainer()
    course_id = request.args.get("course", type=number_arg)
    handins = list(
        db.session.scalars(
            grading.waiting(trainer, course_id).options(
                selectinload(Handin.user), selectinload(Handin.course)
            )
        )
    )
    # Knowledge checks whose essays wait: (attempt, learner, module, unit title).
    waiting_essays = [
        (attempt, learner, course, essays.unit_title(attempt, page_language()))
        for attempt, learner, course in db.session.execute(essays.waiting(trainer, course_id))
    ]
    courses = list(
        db.session.scalars(
            select(Course)
            .where(Course.id.in_(select(Handin.course_id).where(
                Handin.status == "waiting",
                Handin.company_id.in_(grading.served_company_ids(trainer.id)),
            )) | Course.id.in_(select(Enrollment.course_id).join(
                QuizAttempt, QuizAttempt.enrollment_id == Enrollment.id
            ).where(essays.waiting_condition(trainer.id))))
            .order_by(Course.slug)
        )
    )  # fmt: skip
    language = page_language()
    titles = {h.id: _unit_title(h, language) for h in handins}
    return render_template(
        "grading/queue.html", handins=handins, titles=titles, courses=courses, course_id=course_id,
        essays=waiting_essays,
    )  # fmt: skip


@bp.route("/<int:handin_id>", methods=["GET", "POST"])
def grade(handin_id: int) -> ResponseReturnValue:
    """GET: the hand-in with the instruction; POST: accept it or ask for a new one."""
    _trainer_user, handin = _reachable(handin_id)
    form = GradeForm()
    error = None
    if form.validate_on_submit():
        accepted = request.form.get("decision") == "accept"
        try:
            grading.grade(
                db.session, current_actor(), handin, accepted, form.feedback.data or "", now()
            )
        except HandinError as failed:
            error = str(ERRORS.get(failed.code, failed.code))
        else:
            name = handin.user.display_name
            flash(
                _("Accepted. %(name)s sees it at once.", name=name)
                if accepted
                else _("Sent back to %(name)s with your feedback.", name=name),
                "success",
            )
            return redirect(url_for(".queue"))
    elif request.method == "POST":
        error = form.feedback.errors[0] if form.feedback.errors else _("Please try again.")
    enrollment = db.session.get(Enrollment, handin.enrollment_id)
    assert enrollment is not None
    language = page_language()
    unit = next(
        (u for u in learning.rendered_units(enrollment.version, language)
         if u["id"] == handin.unit_id),
        None,
    )  # fmt: skip
    return render_template(
        "grading/handin.html", handin=handin, unit=unit, form=form, error=error,
        title=_unit_title(handin, language),
    ), (422 if error else 200)  # fmt: skip


@bp.get("/<int:handin_id>/file")
def handin_file(handin_id: int) -> ResponseReturnValue:
    _trainer_user, handin = _reachable(handin_id)
    return file_response(handin)


# The essays' grading page is on this blueprint too (imported last: it uses `bp`).
from lms.grading import essay_views  # noqa: E402, F401
