"""The learner's pages: my modules and the catalogue, a course as a path, its units (the
knowledge checks are `quiz.py`), the personal data export and the certificates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lms import certificates
from lms.clock import now, today
from lms.company_look import service as company_look
from lms.content.importer import catalogue as catalogue_of
from lms.content.importer import is_visible, live_versions
from lms.db import db
from lms.evaluation import service as evaluation
from lms.grading import service as grading
from lms.learn import bp, refreshers
from lms.learn import catalogue as catalogue_search
from lms.learn.forms import FeedbackForm
from lms.learn.sessions import unit_context
from lms.models import (
    Assignment,
    Completion,
    Course,
    CourseVersion,
    Enrollment,
    QuizAttempt,
    UnitFeedback,
    User,
)
from lms.notices import service as notices
from lms.packages.reporting import (
    STATE_WORDS,
    package_words,
    results_of_completions,
    results_of_person,
)
from lms.packages.views import package_unit_context
from lms.reports import compliance, json_download
from lms.reports.evidence import evidence
from lms.services import learning, paths, quizzes
from lms.services.personal_data import export_personal_data
from lms.signoff import service as signoff
from lms.templating import date_filter, page_language


def learner() -> User:
    """The logged-in learner (loaded once per request by the login manager)."""
    user: User = current_user._get_current_object()
    return user


@dataclass(frozen=True)
class AssignedCourse:
    """A course the learner must take, as the start page shows it."""

    cell: compliance.Cell
    slug: str
    texts: learning.CourseTexts  # of the live version, in the page's language if it has it
    progress: learning.CourseProgress | None
    waits_for: tuple[paths.Prerequisite, ...]  # a learning path locks it until these are done

    @property
    def title(self) -> str:
        return self.texts.title

    @property
    def needs_new_round(self) -> bool:
        """Completed once, but due again (recertification or requalification)."""
        enrollment = self.progress.enrollment if self.progress else None
        return enrollment is not None and enrollment.completed_at is not None


# Assigned courses, most urgent first.
_URGENCY = {
    compliance.CellState.OVERDUE: 0,
    compliance.CellState.EXPIRED: 0,
    compliance.CellState.EXPIRING: 1,
    compliance.CellState.IN_PROGRESS: 2,
    compliance.CellState.NOT_STARTED: 2,
}


def _cells(user: User) -> list[compliance.Cell]:
    """The learner's open assignments with their states (one query)."""
    company = user.company
    if company is None:
        return []
    moment = now()
    scope = compliance.Scope(company.id, moment, today(moment), company.recertification_lead_days)
    return compliance.person_cells(db.session, scope, user.id)


def _assigned(
    user: User,
    progress_by_course: dict[int, learning.CourseProgress],
    lang: str,
    locks: dict[int, tuple[paths.Prerequisite, ...]],
) -> list[AssignedCourse]:
    """The learner's open assignments that still need doing, overdue first (two queries)."""
    cells = [c for c in _cells(user) if c.state is not compliance.CellState.COMPLETED]
    if not cells:
        return []
    live = {
        course.id: (course, version)
        for course, version in live_versions(
            db.session, Course.id.in_({c.course_id for c in cells})
        )
    }
    items = [
        AssignedCourse(
            cell,
            course.slug,
            learning.course_texts(version, lang),
            progress_by_course.get(cell.course_id),
            locks.get(cell.course_id, ()),
        )
        for cell in cells
        if cell.course_id in live  # a course has a version from its first import on
        for course, version in [live[cell.course_id]]
    ]
    return sorted(
        items,
        key=lambda a: (_URGENCY[a.cell.state], a.cell.renewal_due or a.cell.due_on, a.title),
    )


@bp.get("/")
def index() -> ResponseReturnValue:
    user = learner()
    lang = page_language()
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .options(selectinload(Enrollment.version), selectinload(Enrollment.course))
        .order_by(Enrollment.enrolled_at)
    ).all()
    progresses = learning.progresses(db.session, enrollments, lang)
    followed = paths.learner_paths(db.session, user, lang)
    assigned = _assigned(
        user, {p.enrollment.course_id: p for p in progresses}, lang, followed.locks
    )
    assigned_ids = {a.cell.course_id for a in assigned}
    enrolled = {e.course_id for e in enrollments}
    completions = db.session.execute(
        select(Completion, CourseVersion.refresh)
        .join(CourseVersion, CourseVersion.id == Completion.version_id)
        .where(Completion.user_id == user.id)
        .order_by(Completion.completed_at, Completion.id)
    ).all()
    latest_completion = {c.enrollment_id: c for c, _refresh in completions}
    company = user.company
    open_courses = (
        catalogue_of(db.session, company.id) if company and company.self_enrolment else []
    )
    catalogue = [(c, v) for c, v in open_courses if c.id not in enrolled | assigned_ids]
    shown = [p.version for p in progresses] + [v for _c, v in catalogue]
    texts = {version.id: learning.course_texts(version, lang) for version in shown}
    query = catalogue_search.CatalogueQuery.from_args(request.args)
    found = catalogue_search.search(catalogue, texts, query)
    news = notices.for_start_page(db.session, user, now(), lang)
    return render_template(
        "learn/index.html",
        user=user,
        news=news,
        title_langs=news.title_langs if news else {},
        notice_day=notices.day_of,
        notice_moment=notices.moment_of,
        assigned=assigned,
        in_progress=[
            p
            for p in progresses
            if p.enrollment.completed_at is None and p.enrollment.course_id not in assigned_ids
        ],
        completed=[p for p in progresses if p.enrollment.completed_at is not None],
        catalogue=found.courses,
        catalogue_total=found.total,
        topics=found.topics,
        query=query,
        texts=texts,
        paths=followed.states,
        locks=followed.locks,
        self_enrolment=bool(company and company.self_enrolment),
        lang=lang,
        certificates=latest_completion,
        refreshers=refreshers.offered(user, lang, completions),
    )


def _may_start(user: User, course: Course) -> bool:
    """Whether the learner may open and start a course they are not enrolled in: it is
    assigned to them, or open to their company and the company lets people enrol."""
    if db.session.scalar(
        select(Assignment.id).where(
            Assignment.user_id == user.id,
            Assignment.course_id == course.id,
            Assignment.ended_at.is_(None),
        )
    ):
        return True
    return _open_to(user, course)


def _open_to(user: User, course: Course) -> bool:
    """Whether the learner's company lets people enrol and sees the course."""
    company = user.company
    if company is None or not company.self_enrolment:
        return False
    return is_visible(db.session, course, company.id)


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


@bp.get("/my-data")
def my_data() -> ResponseReturnValue:
    """My progress: every attempt, and the download of all my data."""
    user = learner()
    attempts = db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.status == "submitted")
        .options(selectinload(QuizAttempt.version))
        .order_by(QuizAttempt.submitted_at.desc())
    ).all()
    packages = (
        results_of_person(db.session, user.id, user.company_id, page_language())
        if user.company_id is not None
        else []
    )
    return render_template("learn/my_data.html", user=user, attempts=attempts, packages=packages)


@bp.get("/my-data.json")
def my_data_download() -> ResponseReturnValue:
    return json_download(export_personal_data(db.session, learner()), "lernwerk-meine-daten.json")


@bp.get("/courses/<slug>")
def course(slug: str) -> ResponseReturnValue:
    course = _course(slug)
    user = learner()
    lang = page_language()
    enrollment = learning.get_enrollment(db.session, user, course)
    assigned = [c for c in _cells(user) if c.course_id == course.id]
    # The assignment's state while it needs doing, as the start page shows it.
    cell = next((c for c in assigned if c.state is not compliance.CellState.COMPLETED), None)
    if enrollment is None:
        live = learning.latest_version(db.session, course)
        if live is None or not (assigned or _open_to(user, course)):
            abort(404)
        return render_template(
            "learn/course_intro.html",
            course=course,
            version=live,
            texts=learning.course_texts(live, lang),
            cell=cell,
            waits_for=paths.waits_for(db.session, user, course, lang),
        )
    progress = learning.course_progress(db.session, enrollment, lang)
    newer = learning.newer_version(db.session, enrollment)
    return render_template(
        "learn/course.html",
        course=course,
        progress=progress,
        texts=learning.course_texts(enrollment.version, lang),
        cell=cell,
        # Completed once, but due again (recertification): "Take it again", as on the start page.
        needs_new_round=cell is not None and enrollment.completed_at is not None,
        newer=newer,
        requalification=newer is not None
        and learning.requalification_between(db.session, enrollment, newer),
        # Completed in this round: a calm invitation to evaluate it, until answered.
        evaluate=enrollment.completed_at is not None
        and not evaluation.answered_module_round(db.session, enrollment),
        # Knowledge checks whose free-text answers wait for a trainer.
        grading=quizzes.units_waiting_for_grading(db.session, enrollment),
    )


@bp.post("/courses/<slug>/enroll")
def enroll(slug: str) -> ResponseReturnValue:
    course = _course(slug)
    if not _may_start(learner(), course):
        abort(404)
    if paths.waits_for(db.session, learner(), course, page_language()):
        # Locked by a learning path (a page shown before it was): the module's page
        # says what comes first and offers no start.
        return redirect(url_for("learn.course", slug=slug))
    try:
        enrollment = learning.enroll(db.session, learner(), course, now())
    except learning.LearningError:
        abort(404)
    return _to_next_unit(enrollment, slug)


def _to_next_unit(enrollment: Enrollment, slug: str) -> ResponseReturnValue:
    """Redirect to the unit the learner can do next, or to the course when none is left."""
    progress = learning.course_progress(db.session, enrollment, page_language())
    unit = progress.next_unit
    if unit is None:
        return redirect(url_for("learn.course", slug=slug))
    return redirect(url_for("learn.unit", slug=slug, unit_id=unit["id"]))


@bp.post("/courses/<slug>/renew")
def renew(slug: str) -> ResponseReturnValue:
    """Start a completed course again, for a recertification or requalification."""
    enrollment = own_enrollment(slug)
    if learning.start_new_round(db.session, enrollment, now()):
        flash(
            _("You are taking this module again. Your earlier certificate stays on record."),
            "success",
        )
    return _to_next_unit(enrollment, slug)


@bp.post("/courses/<slug>/move")
def move(slug: str) -> ResponseReturnValue:
    enrollment = own_enrollment(slug)
    if learning.move_to_live_version(db.session, enrollment, now()):
        flash(_("You now work with the newest version of this module."), "success")
    return redirect(url_for("learn.course", slug=slug))


# The learner's enrolment in the course `slug`, and their feedback on the unit
# `unit_id` (for an outer join): the conditions the statements below share.
OF_LEARNER_AND_SLUG = and_(
    Course.slug == bindparam("slug"), Enrollment.user_id == bindparam("user_id")
)
_FEEDBACK_ON_UNIT = and_(
    UnitFeedback.user_id == Enrollment.user_id,
    UnitFeedback.course_id == Enrollment.course_id,
    UnitFeedback.unit_id == bindparam("unit_id"),
)

# Built once (statement and cache key): every unit page and quiz action runs it.
_OWN_ENROLLMENT = (
    select(Enrollment)
    .join(Course, Course.id == Enrollment.course_id)
    .where(OF_LEARNER_AND_SLUG)
    .options(contains_eager(Enrollment.course), joinedload(Enrollment.version))
)


def own_enrollment(slug: str) -> Enrollment:
    """The learner's enrolment in the course `slug` with course and version, in one query."""
    enrollment = db.session.scalar(_OWN_ENROLLMENT, {"slug": slug, "user_id": learner().id})
    if enrollment is None:
        abort(404)
    return enrollment


def _enrolled_unit(slug: str, unit_id: str) -> tuple[Enrollment, learning.CourseProgress, int]:
    enrollment = own_enrollment(slug)
    return (enrollment, *_unit_in(enrollment, unit_id))


def _unit_in(enrollment: Enrollment, unit_id: str) -> tuple[learning.CourseProgress, int]:
    """The progress of the learner's version and the position of `unit_id` in it (or 404)."""
    progress = learning.course_progress(db.session, enrollment, page_language())
    index = next((i for i, s in enumerate(progress.units) if s.unit["id"] == unit_id), None)
    if index is None:
        abort(404)
    return progress, index


# The unit page's enrolment (with course and version) and the learner's feedback on
# the unit, in one query; built once, as _OWN_ENROLLMENT.
_OWN_ENROLLMENT_AND_FEEDBACK = (
    select(Enrollment, UnitFeedback)
    .join(Course, Course.id == Enrollment.course_id)
    .outerjoin(UnitFeedback, _FEEDBACK_ON_UNIT)
    .where(OF_LEARNER_AND_SLUG)
    .options(contains_eager(Enrollment.course), joinedload(Enrollment.version))
)


@bp.get("/courses/<slug>/<unit_id>")
def unit(slug: str, unit_id: str) -> ResponseReturnValue:
    row = db.session.execute(
        _OWN_ENROLLMENT_AND_FEEDBACK, {"slug": slug, "user_id": learner().id, "unit_id": unit_id}
    ).first()
    if row is None:
        abort(404)
    enrollment, given = row
    # Only shown here (the template writes the session's CSRF token itself); the
    # POST checks the token. A CSRF field of its own costs a signature per page.
    form = FeedbackForm(
        formdata=None,
        rating=str(given.rating) if given else None,
        comment=given.comment if given else "",
        meta={"csrf": False},
    )
    return _render_unit(enrollment, unit_id, form)


def _render_unit(enrollment: Enrollment, unit_id: str, form: FeedbackForm) -> ResponseReturnValue:
    progress, index = _unit_in(enrollment, unit_id)
    states = progress.units
    quiz: dict[str, Any] = {}
    if states[index].unit["type"] == "quiz":
        attempts = quizzes.round_attempts(db.session, enrollment, unit_id)
        quiz = {
            "attempts": attempts,
            "open": next((a for a in attempts if a.status == "open"), None),
            "left": quizzes.attempts_left(db.session, enrollment, unit_id, attempts),
        }
    in_person = practical = None
    if states[index].unit["type"] == "in-person":
        in_person = unit_context(enrollment, unit_id)
    elif states[index].unit["type"] == "practical":
        practical = signoff.current(db.session, enrollment, unit_id)
    handin = None
    if states[index].unit["type"] == "handin":
        handin = grading.current(db.session, enrollment, unit_id)
    package = None
    if states[index].unit["type"] == "package":
        package = package_unit_context(enrollment, states[index].unit)
    return _unit_page(
        enrollment, progress, index, form, quiz, in_person, practical, handin, package
    )


def _unit_page(
    enrollment: Enrollment,
    progress: learning.CourseProgress,
    index: int,
    form: FeedbackForm,
    quiz: dict[str, Any],
    in_person: Any,
    practical: Any,
    handin: Any = None,
    package: Any = None,
) -> str:
    states = progress.units
    return render_template(
        "learn/unit.html",
        quiz=quiz,
        in_person=in_person,
        practical=practical,
        handin=handin,
        package=package,
        feedback_form=form,
        course=enrollment.course,
        progress=progress,
        state=states[index],
        number=index + 1,
        previous=states[index - 1].unit if index > 0 else None,
        next=states[index + 1].unit if index + 1 < len(states) else None,
    )


@bp.post("/courses/<slug>/<unit_id>/feedback")
def feedback(slug: str, unit_id: str) -> ResponseReturnValue:
    enrollment, _progress, _index = _enrolled_unit(slug, unit_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _render_unit(enrollment, unit_id, form)
    learning.give_feedback(
        db.session, enrollment, unit_id, int(form.rating.data or 0), form.comment.data or "", now()
    )
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("learn.unit", slug=slug, unit_id=unit_id) + "#feedback")


@bp.post("/courses/<slug>/<unit_id>/done")
def unit_done(slug: str, unit_id: str) -> ResponseReturnValue:
    enrollment, progress, index = _enrolled_unit(slug, unit_id)
    try:
        progress = learning.mark_lesson_done(db.session, enrollment, unit_id, now())
    except learning.LearningError:
        abort(404)
    if progress.complete:
        flash(_("Well done! You have completed this module."), "success")
        return redirect(url_for("learn.course", slug=slug))
    following = progress.units[index + 1].unit if index + 1 < len(progress.units) else None
    target = following or progress.next_unit
    if target is None:
        return redirect(url_for("learn.course", slug=slug))
    return redirect(url_for("learn.unit", slug=slug, unit_id=target["id"]))


def evidence_lines(completion: Completion, lang: str) -> list[str]:
    """The in-person sessions attended, the tasks signed off and the packages played, as
    printed on a certificate."""
    units = {u["id"]: u for u in learning.rendered_units(completion.version, lang)}
    found = evidence(
        db.session, completion.course_id, [completion.user_id], completion.completed_at
    )
    proof = found[completion.user_id]
    lines = []
    for unit_id, attended in proof.attended.items():
        if unit_id not in units:
            continue
        title, day = units[unit_id]["title"], date_filter(attended.in_person.starts_at)
        trainers, total = ", ".join(attended.trainers), attended.in_person.minutes
        if not attended.partial:
            lines.append(
                _("%(unit)s: attended on %(date)s with %(trainers)s", unit=title, date=day,
                  trainers=trainers)
                if trainers
                else _("%(unit)s: attended on %(date)s", unit=title, date=day)
            )  # fmt: skip
        elif attended.minutes is not None:
            lines.append(
                _("%(unit)s: partly present on %(date)s (%(minutes)d of %(total)d min.) with "
                  "%(trainers)s", unit=title, date=day, minutes=attended.minutes, total=total,
                  trainers=trainers)
                if trainers
                else _("%(unit)s: partly present on %(date)s (%(minutes)d of %(total)d min.)",
                       unit=title, date=day, minutes=attended.minutes, total=total)
            )  # fmt: skip
        else:
            lines.append(
                _("%(unit)s: partly present on %(date)s with %(trainers)s", unit=title, date=day,
                  trainers=trainers)
                if trainers
                else _("%(unit)s: partly present on %(date)s", unit=title, date=day)
            )  # fmt: skip
    for unit_id, signed in proof.signed_off.items():
        if unit_id in units:
            lines.append(
                _("%(unit)s: signed off by %(name)s on %(date)s", unit=units[unit_id]["title"],
                  name=signed.by, date=date_filter(signed.at))
            )  # fmt: skip
    # Bought packages: which one (identifier, version) was played, and with what state.
    played = results_of_completions(db.session, [completion], lang, with_results=False)
    for result in played.get(completion.id, []):
        lines.append(
            _("%(package)s – %(state)s", package=package_words(result.package),
              state=STATE_WORDS[result.state])
        )  # fmt: skip
    return lines


def certificate_text(completion: Completion, user: User, lang: str) -> certificates.CertificateText:
    """The texts of a certificate in `lang` (the caller sets the locale)."""
    texts = completion.version.content["texts"]
    title = (texts.get(lang) or texts[completion.version.language])["title"]
    verify_url = url_for("main.verify", code=completion.code, _external=True)
    details = [
        _("Version %(n)d · completed on %(date)s", n=completion.version.number,
          date=date_filter(completion.completed_at)),
        _("Valid until %(date)s", date=date_filter(completion.valid_until))
        if completion.valid_until
        else _("Valid without time limit"),
    ]  # fmt: skip
    return certificates.CertificateText(
        evidence=evidence_lines(completion, lang),
        heading=_("Certificate"),
        learner=user.display_name,
        company=user.company.name if user.company else "",
        logo=company_look.logo_data(db.session, user.company),
        completed=_("has successfully completed the module"),
        course=title,
        details=details,
        verify=_("Check this certificate by scanning the code or at:"),
        url=verify_url,
        code=completion.code or "",
    )


@bp.get("/certificates/<code>.pdf")
def certificate(code: str) -> ResponseReturnValue:
    user = learner()
    completion = db.session.scalar(
        select(Completion).where(
            Completion.code == certificates.normalize_code(code), Completion.user_id == user.id
        )
    )
    if completion is None:
        abort(404)
    pdf = certificates.render_pdf(certificate_text(completion, user, page_language()))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    filename = f"zertifikat-{completion.course.slug}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
