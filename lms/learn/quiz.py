"""The learner's knowledge checks: starting an attempt, its pages, saving and handing
in, a page sent after the session ended, and the result with its review."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, Signer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from lms import errors
from lms.clock import now
from lms.content.stored import stored_quiz_settings
from lms.db import db
from lms.grading import essays
from lms.input_checks import number_arg
from lms.learn import bp
from lms.learn.routes import (
    OF_LEARNER_AND_SLUG,
    learner,
    own_enrollment,
)
from lms.models import (
    Course,
    Enrollment,
    QuizAttempt,
    Role,
    User,
)
from lms.services import learning, quizzes
from lms.services.review import attempt_review, content_language
from lms.templating import page_language


def _quiz_state(slug: str, unit_id: str) -> tuple[Enrollment, dict[str, Any]]:
    """The learner's enrolment and the quiz unit (its progress is not needed here)."""
    enrollment = own_enrollment(slug)
    units = learning.rendered_units(enrollment.version, page_language())
    unit = next((u for u in units if u["id"] == unit_id), None)
    if unit is None or unit["type"] != "quiz":
        abort(404)
    return enrollment, unit


# The learner's attempt with its enrolment (with course and version), in one query;
# built once, as _OWN_ENROLLMENT: saving a page runs it holding SQLite's write lock.
_OWN_ATTEMPT = (
    select(QuizAttempt, Enrollment)
    .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
    .join(Course, Course.id == Enrollment.course_id)
    .where(
        OF_LEARNER_AND_SLUG,
        QuizAttempt.unit_id == bindparam("unit_id"),
        QuizAttempt.number == bindparam("number"),
    )
    .options(contains_eager(Enrollment.course), joinedload(Enrollment.version))
)


# Saving and handing in change the responses read here: PostgreSQL locks the
# attempt's row until commit (on SQLite the write transaction is the lock).
_OWN_ATTEMPT_FOR_UPDATE = _OWN_ATTEMPT.with_for_update(of=QuizAttempt)


def _own_attempt(
    slug: str, unit_id: str, number: int, *, for_update: bool = False
) -> tuple[Enrollment, dict[str, Any], QuizAttempt]:
    """The learner's enrolment, the quiz unit and attempt `number` at it (or 404)."""
    row = db.session.execute(
        _OWN_ATTEMPT_FOR_UPDATE if for_update else _OWN_ATTEMPT,
        {"slug": slug, "user_id": learner().id, "unit_id": unit_id, "number": number},
    ).first()
    if row is None:
        abort(404)
    attempt, enrollment = row
    units = learning.rendered_units(enrollment.version, page_language())
    unit = next((u for u in units if u["id"] == unit_id), None)
    if unit is None or unit["type"] != "quiz":
        abort(404)
    return enrollment, unit, attempt


@bp.post("/courses/<slug>/<unit_id>/attempts")
def start_attempt(slug: str, unit_id: str) -> ResponseReturnValue:
    enrollment, _unit = _quiz_state(slug, unit_id)
    try:
        attempt = quizzes.start_attempt(db.session, enrollment, unit_id, page_language(), now())
    except learning.LearningError as error:
        db.refuse(error.code)
        flash(
            _("Your trainer has not yet graded your last attempt; then you can start another.")
            if error.code == "awaiting-grading"
            else _("You have no attempts left for this knowledge check."),
            "error",
        )
        return redirect(url_for("learn.unit", slug=slug, unit_id=unit_id))
    return redirect(url_for("learn.attempt", slug=slug, unit_id=unit_id, number=attempt.number))


def _page(attempt: QuizAttempt) -> int:
    page = (
        request.args.get("page", type=number_arg) or request.form.get("page", type=number_arg) or 1
    )
    return min(max(page, 1), quizzes.page_count(attempt))


@bp.route("/courses/<slug>/<unit_id>/attempts/<int:number>", methods=["GET", "POST"])
def attempt(slug: str, unit_id: str, number: int) -> ResponseReturnValue:
    """A page of an open attempt; its POST saves the page and moves on ("next",
    "previous", "summary"). Handing in ("submit") comes from the summary, which sends
    no page: see `_hand_in`."""
    posted = request.method == "POST"
    action = request.form.get("action", "next") if posted else None
    if action == "submit":
        return _hand_in(slug, unit_id, number)
    enrollment, unit, attempt = _own_attempt(slug, unit_id, number, for_update=posted)
    if attempt.status != "open":
        return redirect(_result_url(slug, unit_id, number))
    page = _page(attempt)
    if posted:
        form = request.form.to_dict(flat=False)
        settles_kept = request.form.get("kept_shown") == "1"
        try:
            quizzes.save_page(db.session, attempt, page, form, _seen(), settles_kept=settles_kept)
        except quizzes.AttemptChanged:
            entered = quizzes.page_entered(attempt, page, form)
            return _attempt_page(enrollment, unit, attempt, page, entered, "changed"), 409
        if action == "summary" or (action == "next" and page >= quizzes.page_count(attempt)):
            return redirect(_summary_url(slug, unit_id, number))
        page = page - 1 if action == "previous" else page + 1
        return redirect(
            url_for("learn.attempt", slug=slug, unit_id=unit_id, number=number, page=page)
        )
    kept = quizzes.kept_page(attempt, page)
    if kept is not None:
        # Sent after the session had ended and not saved at the login: another
        # window saved since, or the login was not the usual one.
        notice = "resend" if kept["sequence"] == attempt.sequence else "kept-changed"
        return _attempt_page(enrollment, unit, attempt, page, kept["fields"], notice, kept=True)
    return _attempt_page(enrollment, unit, attempt, page)


def _hand_in(slug: str, unit_id: str, number: int) -> ResponseReturnValue:
    """Hand in an attempt: read and grade it in a reading transaction, then write.

    The summary's "Hand in now" sends no page: the saved answers are graded, as the
    summary listed them. A POST that names a page (pages shown before the summary
    existed, scripts) hands in with that page's answers, stored with the grade in one
    statement. The write transaction (on SQLite the write lock, which every hand-in
    queues for, is then held for the writing only) checks that nothing it graded has
    changed meanwhile (`quizzes.submit`); a changed attempt is answered 409 with the
    summary (or the page) as saved now.
    """
    form = request.form.to_dict(flat=False)
    with db.reading():
        enrollment, unit, attempt = _own_attempt(slug, unit_id, number)
        if attempt.status != "open":
            return redirect(_result_url(slug, unit_id, number))
        page = _page(attempt) if "page" in request.form else None
        seen = _seen()
        if seen is not None and seen != attempt.sequence:
            return _changed(enrollment, unit, attempt, page, form), 409
        grading = quizzes.grade(attempt, page, form)
        if grading.lengths:  # essays too short or too long: nothing is handed in
            if page is None:
                return _summary_page(enrollment, unit, attempt, "words", grading.lengths), 422
            entered = quizzes.page_entered(attempt, page, form)
            return _attempt_page(
                enrollment, unit, attempt, page, entered, "words", lengths=grading.lengths
            ), 422
    try:
        quizzes.submit(db.session, attempt, now(), grading)
    except quizzes.AttemptChanged:
        return _changed(enrollment, unit, attempt, page, form), 409
    return redirect(_result_url(slug, unit_id, number))


def _changed(
    enrollment: Enrollment,
    unit: dict[str, Any],
    attempt: QuizAttempt,
    page: int | None,
    form: dict[str, list[str]],
) -> str:
    """The summary (`page` None) or the page as saved now, after another window saved
    since it was shown: nothing was handed in."""
    if page is None:
        return _summary_page(enrollment, unit, attempt, "changed")
    entered = quizzes.page_entered(attempt, page, form)
    return _attempt_page(enrollment, unit, attempt, page, entered, "changed")


@bp.get("/courses/<slug>/<unit_id>/attempts/<int:number>/summary")
def attempt_summary(slug: str, unit_id: str, number: int) -> ResponseReturnValue:
    """Every question of an open attempt, answered or not, each linked to its page, and
    the one button that hands the attempt in."""
    enrollment, unit, attempt = _own_attempt(slug, unit_id, number)
    if attempt.status != "open":
        return redirect(_result_url(slug, unit_id, number))
    return _summary_page(enrollment, unit, attempt)


def _summary_page(
    enrollment: Enrollment,
    unit: dict[str, Any],
    attempt: QuizAttempt,
    notice: str | None = None,
    lengths: tuple[quizzes.EssayLength, ...] = (),
) -> str:
    rows = quizzes.overview(attempt)
    left = quizzes.attempts_left(db.session, enrollment, attempt.unit_id)
    return render_template(
        "learn/attempt_summary.html",
        course=enrollment.course,
        unit=unit,
        attempt=attempt,
        attempt_key=_attempt_key(attempt.id, learner().session_version),
        questions=rows,
        unanswered=sum(row.state is quizzes.AnswerState.UNANSWERED for row in rows),
        partly=sum(row.state is quizzes.AnswerState.PARTLY for row in rows),
        pages=quizzes.page_count(attempt),
        unsaved_pages=quizzes.unsaved_pages(attempt),
        # Attempts left once this one is handed in (None: as many as the learner likes).
        left_after=None if left is None else max(left - 1, 0),
        language=content_language(attempt.version, attempt.language, attempt.unit_id),
        notice=notice,
        lengths=lengths,
    )


def _result_url(slug: str, unit_id: str, number: int) -> str:
    return url_for("learn.attempt_result", slug=slug, unit_id=unit_id, number=number)


def _summary_url(slug: str, unit_id: str, number: int) -> str:
    return url_for("learn.attempt_summary", slug=slug, unit_id=unit_id, number=number)


def _seen() -> int | None:
    """The sequence number the posted quiz page was shown with; None if it has none
    (a page shown before the attempts had one), -1 if it is no number (never current)."""
    value = request.form.get("sequence")
    if value is None:
        return None
    return int(value) if value.isdigit() and len(value) < 10 else -1


def _attempt_page(
    enrollment: Enrollment,
    unit: dict[str, Any],
    attempt: QuizAttempt,
    page: int,
    entered: dict[str, Any] | None = None,
    notice: str | None = None,
    *,
    kept: bool = False,
    lengths: tuple[quizzes.EssayLength, ...] = (),
) -> str:
    """A page of an open attempt. With `entered` (what a page sent, by question id)
    and a `notice` saying why it was not saved: "changed" and "kept-changed" (another
    window saved after the page was shown: the saved answers are filled in, and what
    differs of `entered` is listed), "resend" (the session had ended: `entered` is
    filled in, to be sent again). `kept`: `entered` is what was kept of the page
    after the session had ended; saving the page settles it."""
    public = quizzes.public_questions(attempt)
    entries = quizzes.page_entries(attempt, page)
    first = (page - 1) * quizzes.PAGE_SIZE
    shown, unsaved = dict(attempt.responses), {}
    if entered is not None and notice in ("changed", "kept-changed"):
        unsaved = {
            qid: fields
            for qid, fields in entered.items()
            if _answered(fields) != _answered(shown.get(qid, {}))
        }
    elif entered is not None:
        shown.update(entered)
    return render_template(
        "learn/attempt.html",
        course=enrollment.course,
        unit=unit,
        attempt=attempt,
        attempt_key=_attempt_key(attempt.id, learner().session_version),
        page=page,
        pages=quizzes.page_count(attempt),
        items=[(first + i + 1, public[e["id"]], e) for i, e in enumerate(entries)],
        shown=shown,
        unsaved=unsaved,
        notice=notice,
        kept_shown=kept,
        language=content_language(attempt.version, attempt.language, attempt.unit_id),
        lengths=lengths,
    )


def _answered(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a question that hold an answer (an empty selection holds none)."""
    return {name: value for name, value in fields.items() if value}


# --- Quiz pages sent after the session ended ---------------------------------------
#
# A quiz page carries a key: the attempt's id and its learner's session version,
# signed with the secret key. When the session has ended (12 hours without a request,
# or logged out in this browser), the page's CSRF token no longer matches and
# Flask-WTF refuses the POST before any view runs. For the quiz page, what it sent is
# then kept with the attempt it names (if its key is right and the attempt open) and
# saved when the learner logs in again (`quizzes.save_kept_pages`). The key proves
# the page was shown to the attempt's learner, and it expires with their sessions
# (logging out everywhere, a new password); nothing is saved without their login.


def _attempt_signer() -> Signer:
    return Signer(str(current_app.secret_key), salt="lms.quiz-attempt-page")


def _attempt_key(attempt_id: int, session_version: int) -> str:
    return _attempt_signer().sign(f"{attempt_id}:{session_version}").decode()


# The attempt a page's key names, at the page's address, with its learner's session
# version; locked until the keeping is committed.
_ATTEMPT_OF_PAGE = (
    select(QuizAttempt, User.session_version)
    .join(User, User.id == QuizAttempt.user_id)
    .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
    .join(Course, Course.id == Enrollment.course_id)
    .where(
        QuizAttempt.id == bindparam("attempt_id"),
        Course.slug == bindparam("slug"),
        QuizAttempt.unit_id == bindparam("unit_id"),
        QuizAttempt.number == bindparam("number"),
    )
    .with_for_update(of=QuizAttempt)
)


@bp.errorhandler(CSRFError)
def page_sent_after_session_end(error: CSRFError) -> ResponseReturnValue:
    """The CSRF check of a learner page failed: a quiz page whose session has ended
    keeps what it sent; everything else is the usual "form expired" page."""
    if request.endpoint == "learn.attempt" and request.method == "POST":
        answer = _keep_sent_page()
        if answer is not None:
            return answer
    return errors.handle_csrf_error(error)


def _keep_sent_page() -> ResponseReturnValue | None:
    """Keep what a quiz page sent after its session had ended; None if the page's
    key is not right for the attempt at this address, or the attempt is not open."""
    try:
        signed = _attempt_signer().unsign(request.form.get("attempt_key", "")).decode()
    except BadSignature:
        return None
    attempt_id, _sep, version = signed.partition(":")
    if not attempt_id.isdigit():
        return None
    args = request.view_args or {}
    form = request.form.to_dict(flat=False)
    seen = _seen()
    with db.reading():
        # Who is logged in here (the login and role checks did not run: the CSRF
        # check comes first).
        here = current_user.id if current_user.is_authenticated else None
    # The page is kept in a transaction of its own, holding the attempt's row: it
    # stays kept whatever this request answers (the "form expired" page when someone
    # else is logged in here).
    with db.writing() as session:
        row = session.execute(
            _ATTEMPT_OF_PAGE,
            {
                "attempt_id": int(attempt_id),
                "slug": args.get("slug"),
                "unit_id": args.get("unit_id"),
                "number": args.get("number"),
            },
        ).first()
        if row is None or str(row.session_version) != version:
            return None
        attempt: QuizAttempt = row[0]
        learner_here = here == attempt.user_id
        if "page" not in request.form:
            # The summary's hand-in: it sends no answers, so nothing is kept, and
            # nothing is handed in without a valid session.
            return _hand_in_after_session_end(args, attempt, learner_here, here)
        page = _page(attempt)
        shown_at = attempt.sequence if seen is None else seen
        if not learner_here and not quizzes.keep_page(session, attempt, page, form, shown_at):
            return None
    if learner_here:
        # Logged in again by the "stay logged in" cookie, with a new session: the
        # page is shown again as sent, to be sent once more with a valid token.
        if current_user.must_change_password or not current_user.has_role(Role.LEARNER):
            return None
        enrollment, unit, attempt = _own_attempt(args["slug"], args["unit_id"], args["number"])
        entered = quizzes.page_entered(attempt, page, form)
        notice = "resend" if seen is None or seen == attempt.sequence else "changed"
        return _attempt_page(enrollment, unit, attempt, page, entered, notice)
    if here is not None:
        return None  # someone else is logged in here: kept for the learner's next login
    flash(
        _("Your session had ended. The answers on this page are kept: log in again to save them."),
        "warning",
    )
    next_url = url_for("learn.attempt", page=page, **args)
    return redirect(url_for("auth.login", next=next_url))


def _hand_in_after_session_end(
    args: dict[str, Any], attempt: QuizAttempt, learner_here: bool, here: int | None
) -> ResponseReturnValue | None:
    """The summary's "Hand in now" sent after the learner's session had ended: nothing
    is handed in. Back to the summary (or the result, if another window handed in) when
    logged in again by the "stay logged in" cookie, else to the login, which leads
    there; None (the "form expired" page) if someone else is logged in here."""
    number = args["number"]
    if attempt.status == "open":
        target = _summary_url(args["slug"], args["unit_id"], number)
    else:
        target = _result_url(args["slug"], args["unit_id"], number)
    if learner_here:
        if current_user.must_change_password or not current_user.has_role(Role.LEARNER):
            return None
        if attempt.status == "open":
            flash(
                _(
                    "Your session had ended, so nothing was handed in. "
                    "Check the summary and hand in now."
                ),
                "warning",
            )
        return redirect(target)
    if here is not None:
        return None
    flash(
        _(
            "Your session had ended, so nothing was handed in. Your answers are saved: "
            "log in again and hand in from the summary."
        )
        if attempt.status == "open"
        else _("Your session had ended. Log in again to see your result."),
        "warning",
    )
    return redirect(url_for("auth.login", next=target))


@bp.get("/courses/<slug>/<unit_id>/attempts/<int:number>/result")
def attempt_result(slug: str, unit_id: str, number: int) -> ResponseReturnValue:
    enrollment, unit, attempt = _own_attempt(slug, unit_id, number)
    if attempt.status == "open":
        return redirect(url_for("learn.attempt", slug=slug, unit_id=unit_id, number=number))
    settings = stored_quiz_settings(attempt.version, unit_id)
    assert settings is not None
    show, answers = attempt_review(attempt)
    language = page_language()
    with_essays = any(question.get("type") == "essay" for _a, question, _r in answers)
    return render_template(
        "learn/result.html",
        essay_grades=essays.grades_of(db.session, attempt) if with_essays else {},
        course=enrollment.course,
        unit=unit,
        attempt=attempt,
        show_answers=show,
        answers=answers,
        language=content_language(attempt.version, attempt.language, unit_id),
        left=quizzes.attempts_left(db.session, enrollment, unit_id),
        policy=settings.show_answers.value,
        next=quizzes.after_passing(db.session, enrollment, learner(), language)
        if attempt.passed
        else None,
    )


# --- Certificates ---------------------------------------------------------------------
