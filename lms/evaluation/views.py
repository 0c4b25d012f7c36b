"""The evaluation's pages: the learner's questionnaire (registered under the learner's area)
and the trainer's results with their CSV (under the trainer's area)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from lms.clock import now
from lms.content.importer import latest_version
from lms.content.spec import EvaluationKind, EvaluationQuestion
from lms.db import db
from lms.evaluation import service
from lms.forms import Form
from lms.in_person import booking
from lms.input_checks import number_arg
from lms.models import Course, InPersonSession, User
from lms.reports import charts, tables
from lms.services import learning
from lms.templating import date_filter, page_language, percent_filter

bp = Blueprint("evaluation", __name__)
results_bp = Blueprint("evaluation", __name__)


def _learner() -> User:
    user: User = current_user._get_current_object()
    return user


def _minimum() -> int:
    return service.minimum_of(current_app.config.get("EVALUATION_MIN_RESPONSES"))


def field_name(question: EvaluationQuestion) -> str:
    return f"q-{question.id}"


class EvaluationForm(Form):
    """Only the CSRF token as a field: the questions are the module's, read by the view."""


def _form_for(questions: tuple[EvaluationQuestion, ...]) -> EvaluationForm:
    names = frozenset(field_name(q) for q in questions)
    form_class = type("EvaluationForm", (EvaluationForm,), {"extra_fields": names})
    form: EvaluationForm = form_class()
    return form


# --- The learner's questionnaire ------------------------------------------------------------


@bp.route("/modules/<slug>", methods=["GET", "POST"])
def of_module(slug: str) -> ResponseReturnValue:
    target = service.module_target(db.session, _learner(), slug)
    if target is None:
        abort(404)
    texts = learning.course_texts(target.version, page_language())
    return _answer(target, texts.title, texts.language, "",
                   url_for("learn.course", slug=slug))  # fmt: skip


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def of_session(session_id: int) -> ResponseReturnValue:
    target = service.session_target(db.session, _learner(), session_id, now())
    if target is None or target.in_person is None:
        abort(404)
    title = booking.titles(db.session, [target.in_person], page_language())[session_id]
    when = date_filter(target.in_person.starts_at, weekday=True)
    return _answer(target, title.unit, "", f"{when} · {title.course}", url_for("learn.sessions"))


def _answer(
    target: service.Target, title: str, title_language: str, detail: str, back: str
) -> ResponseReturnValue:
    """The questionnaire of `target`: shown, checked, recorded once (then back to `back`)."""
    user = _learner()
    language = page_language()
    questionnaire = service.questionnaire(target.version, language, for_session=target.for_session)
    answered = service.has_answered(db.session, user, target)
    if answered and request.method == "POST":
        flash(_("Your answers were already recorded. They count once."), "success")
        return redirect(back)
    given: dict[str, str] = {}
    problems: dict[str, str] = {}
    if request.method == "POST":
        form = _form_for(questionnaire.questions)
        form.validate_on_submit()  # notices posted fields that do not belong here
        given = {q.id: request.form.get(field_name(q), "") for q in questionnaire.questions}
        try:
            answers = service.check_answers(questionnaire.questions, given)
        except service.AnswerProblem as refused:
            problems = refused.problems
        else:
            service.submit(db.session, user, target, answers, questionnaire.language or language,
                           now())  # fmt: skip
            flash(_("Thank you. Your answers help us to improve the module."), "success")
            return redirect(back)
    page = render_template(
        "evaluation/answer.html",
        target=target,
        title=title,
        title_language=title_language,
        detail=detail,
        questionnaire=questionnaire,
        answered=answered,
        given=given,
        problems=problems,
        back=back,
        field_name=field_name,
        kinds=EvaluationKind,
    )
    return page, 422 if problems else 200


# --- The trainer's results -------------------------------------------------------------------


def _course_for_trainer(slug: str) -> Course:
    from lms.author.routes import _course  # the trainer's rule for seeing a course (404)

    return _course(slug)


def _session_for_trainer(session_id: int) -> InPersonSession:
    from lms.author.routes import may_see

    in_person = db.session.get(InPersonSession, session_id)
    if in_person is None or not may_see(in_person.course):
        abort(404)
    return in_person


def _selection(course: Course, in_person: InPersonSession | None) -> service.Selection:
    company_id = request.args.get("company", type=number_arg)
    return service.Selection(course.id, in_person.id if in_person else None, company_id)


@results_bp.get("/courses/<slug>")
def course_results(slug: str) -> ResponseReturnValue:
    course = _course_for_trainer(slug)
    return _results_page(course, None)


@results_bp.get("/sessions/<int:session_id>")
def session_results(session_id: int) -> ResponseReturnValue:
    in_person = _session_for_trainer(session_id)
    return _results_page(in_person.course, in_person)


def _results_page(course: Course, in_person: InPersonSession | None) -> ResponseReturnValue:
    language = page_language()
    version = latest_version(db.session, course)
    if version is None:
        abort(404)
    minimum = _minimum()
    selection = _selection(course, in_person)
    questionnaire = service.questionnaire(version, language, for_session=in_person is not None)
    result = service.results(db.session, selection, questionnaire.questions, minimum)
    unfiltered = service.Selection(selection.course_id, selection.session_id)
    companies = service.companies_with_enough(db.session, unfiltered, minimum)
    chosen = next((name for cid, name in companies if cid == selection.company_id), None)
    texts = learning.course_texts(version, language)
    return render_template(
        "evaluation/results.html",
        course=course,
        texts=texts,
        in_person=in_person,
        session_title=booking.titles(db.session, [in_person], language)[in_person.id]
        if in_person
        else None,
        questionnaire=questionnaire,
        result=result,
        figures=[_figures(item, index) for index, item in enumerate(result.questions)],
        companies=companies if len(companies) > 1 or selection.company_id else [],
        company_id=selection.company_id,
        company_name=chosen,
        sessions=service.sessions_with_answers(db.session, course.id) if not in_person else [],
        kinds=EvaluationKind,
    )


def _share(part: int, whole: int) -> str:
    return percent_filter(100 * part / whole if whole else 0)


def _figures(item: service.QuestionResult, index: int) -> dict[str, Any]:
    """A question's rows for the table (label, count, share) and, for a scale, its chart."""
    question = item.question
    if question.kind is EvaluationKind.TEXT:
        return {"rows": [], "chart": None, "mean": None}
    if question.kind is EvaluationKind.SCALE:
        labels = [
            f"1 – {question.low}", "2", "3", "4", f"5 – {question.high}",
        ]  # fmt: skip
    else:
        labels = list(question.options)
    rows = [
        (label, n, _share(n, item.answered)) for label, n in zip(labels, item.counts, strict=True)
    ]
    chart = None
    mean = format_decimal(item.mean, format="0.0") if item.mean is not None else None
    if question.kind is EvaluationKind.SCALE:
        styles = ("danger", "warn", "idle", "progress", "ok")
        chart = charts.stacked_bar(
            [
                (label, n, style)
                for label, n, style in zip(labels, item.counts, styles, strict=True)
            ],
            title=question.text,
            description=_(
                "%(n)d answers on a scale from 1 to 5, average %(mean)s; the table below has "
                "the figures.",
                n=item.answered,
                mean=mean or "–",
            ),
            id_prefix=f"question-{index}",
        )
    return {"rows": rows, "chart": chart, "mean": mean}


@results_bp.get("/courses/<slug>/results.csv")
def course_csv(slug: str) -> ResponseReturnValue:
    course = _course_for_trainer(slug)
    return _csv(course, None)


@results_bp.get("/sessions/<int:session_id>/results.csv")
def session_csv(session_id: int) -> ResponseReturnValue:
    in_person = _session_for_trainer(session_id)
    return _csv(in_person.course, in_person)


def _csv(course: Course, in_person: InPersonSession | None) -> ResponseReturnValue:
    """The answer sheets as CSV, one row each, the questions as columns in the page's
    language; refused (404) below the minimum, like the page shows nothing then."""
    language = page_language()
    version = latest_version(db.session, course)
    if version is None:
        abort(404)
    questions = service.questionnaire(version, language, for_session=in_person is not None)
    rows = service.sheets_for_export(
        db.session, _selection(course, in_person), questions.questions, _minimum()
    )
    if rows is None:
        abort(404)
    header = [question.text for question in questions.questions]
    delimiter = ";" if language == "de" else ","
    name = f"lernwerk-auswertung-{course.slug}" + (f"-termin-{in_person.id}" if in_person else "")
    response = Response(tables.csv_chunks(header, rows, delimiter=delimiter), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
