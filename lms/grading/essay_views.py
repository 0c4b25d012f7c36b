"""The trainer's page that grades the essays of one handed-in knowledge check, on the
grading blueprint (/author/grading/essays/<attempt>). The queue lists these attempts
with the hand-ins (views.queue)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.grading import essays
from lms.grading import service as grading
from lms.grading.views import _trainer, bp
from lms.models import QuizAttempt, User
from lms.services import learning
from lms.templating import page_language

ERRORS = {
    "graded-already": _l("This knowledge check is graded already."),
    "points-missing": _l("Please give points for every criterion."),
    "points-out-of-range": _l("Please give points from 0 to the criterion's maximum."),
}


def _reachable(attempt_id: int) -> tuple[QuizAttempt, User]:
    """An attempt with essays the trainer may grade (waiting or graded), and its learner;
    else 404."""
    trainer = _trainer()
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.status not in (essays.GRADING, "submitted"):
        abort(404)
    learner = db.session.get(User, attempt.user_id)
    if learner is None or not grading.may_grade(trainer, learner):
        abort(404)
    if not essays.essays(attempt):
        abort(404)
    return attempt, learner


@bp.route("/essays/<int:attempt_id>", methods=["GET", "POST"])
def grade_essays(attempt_id: int) -> ResponseReturnValue:
    """GET: every essay answer of the attempt with its rubric; POST: grade them all."""
    attempt, learner = _reachable(attempt_id)
    answers = essays.essays(attempt)
    error, error_question = None, ""
    if request.method == "POST":
        marks = essays.parse_marks([q for q, _t in answers], request.form.to_dict())
        try:
            essays.grade(db.session, current_actor(), attempt, marks, now())
        except essays.EssayError as failed:
            if failed.code == "graded-already":
                flash(str(ERRORS["graded-already"]), "info")
                return redirect(url_for(".queue"))
            error, error_question = str(ERRORS.get(failed.code, failed.code)), failed.question_id
        else:
            flash(
                _("Graded. %(name)s sees the points and your feedback at once.",
                  name=learner.display_name),
                "success",
            )  # fmt: skip
            return redirect(url_for(".queue"))
    language = page_language()
    units = learning.rendered_units(attempt.version, language)
    unit = next((u for u in units if u["id"] == attempt.unit_id), None)
    public = {q["id"]: q for q in unit["questions"]} if unit else {}
    return render_template(
        "grading/essays.html",
        attempt=attempt,
        learner=learner,
        unit=unit,
        items=[(q, text, public.get(q.id, {})) for q, text in answers],
        grades=essays.grades_of(db.session, attempt),
        entered=request.form if request.method == "POST" else {},
        error=error,
        error_question=error_question,
    ), (422 if error else 200)
