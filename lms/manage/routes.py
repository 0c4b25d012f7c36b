"""The manager's pages: the compliance matrix, assigning modules, one person, reports, exports.

Everything is limited to the manager's company and departments in the queries
(`lms.permissions`, `lms.reports.compliance.Scope`). Scores appear only when
the company's privacy level allows them, decided here on the server.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.audit.service import log_report_access
from lms.audit.trail import current_actor
from lms.clock import local_zone, now, today
from lms.db import db
from lms.input_checks import number_arg
from lms.manage import bp
from lms.manage import records as manage_records
from lms.manage.assigning import assign_form, assigned_message, carry_out, form_page
from lms.manage.forms import PeriodForm
from lms.manage.states import (
    STATE_CLASSES,
    STATE_LABELS,
    CellText,
    state_context,
)
from lms.models import (
    Assignment,
    AssignmentRule,
    Company,
    Completion,
    Department,
    Enrollment,
    QuizAttempt,
    User,
)
from lms.notices import to_do
from lms.packages.reporting import PackageResult, results_of_person
from lms.permissions import (
    departments_of,
    get_for_company,
    get_person_for_manager,
    managed_department_ids,
    people_visible_to_manager,
)
from lms.reports import charts, compliance, tables
from lms.reports.compliance import STATE_ORDER, CellState, Filters, Scope
from lms.services import assignments
from lms.templating import page_language
from lms.training_records import views as records_pages

# Scores and averages are shown for groups of at least this many people only.
MIN_GROUP = 5


def _manager() -> User:
    user: User = current_user._get_current_object()
    return user


def _company() -> Company:
    company = _manager().company
    if company is None:
        abort(404)
    return company


def results_visible(company: Company) -> bool:
    """Whether managers of `company` may see scores (an admin's switch, after a works agreement)."""
    return company.privacy_level == "results"


def _scope() -> Scope:
    moment = now()
    return Scope.of(_company(), moment, today(moment), managed_department_ids(_manager()))


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=number_arg)


def _filters(departments: list[Department]) -> Filters:
    """The matrix filters from the query string; anything not the manager's is ignored."""
    department_id = _int_arg("department")
    if department_id not in {d.id for d in departments}:
        department_id = None
    state_value = request.args.get("state", "")
    state = CellState(state_value) if state_value in CellState._value2member_map_ else None
    sort = request.args.get("sort", "name")
    return Filters(
        department_id=department_id,
        course_id=_int_arg("course"),
        state=state,
        sort=sort if sort in compliance.SORTS else "name",
        page=_int_arg("page") or 1,
    )


def _filter_args(filters: Filters, **changes: Any) -> dict[str, Any]:
    args = {
        "department": filters.department_id,
        "course": filters.course_id,
        "state": filters.state.value if filters.state else None,
        "sort": filters.sort if filters.sort != "name" else None,
    }
    args.update(changes)
    return {key: value for key, value in args.items() if value is not None}


def _departments() -> list[Department]:
    manager = _manager()
    return departments_of(db.session, _company().id, only=managed_department_ids(manager))


def _best_scores(scope: Scope, user_ids: list[int]) -> dict[tuple[int, int], Any]:
    """The best quiz result (percent) per person and course; only at the privacy level "results"."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(QuizAttempt.user_id, Enrollment.course_id, func.max(QuizAttempt.percent))
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .where(
            QuizAttempt.company_id == scope.company_id,
            QuizAttempt.status == "submitted",
            QuizAttempt.user_id.in_(user_ids),
        )
        .group_by(QuizAttempt.user_id, Enrollment.course_id)
    )
    return {(user_id, course_id): best for user_id, course_id, best in rows}


def _course_averages(scope: Scope) -> dict[int, tuple[Any, int]]:
    """Average best quiz result per course over the people in scope, with how many there are."""
    best = (
        select(
            QuizAttempt.user_id,
            Enrollment.course_id,
            func.max(QuizAttempt.percent).label("best"),
        )
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(QuizAttempt.company_id == scope.company_id, QuizAttempt.status == "submitted")
    )
    if scope.department_ids is not None:
        best = best.where(User.department_id.in_(list(scope.department_ids)))
    sub = best.group_by(QuizAttempt.user_id, Enrollment.course_id).subquery()
    rows = db.session.execute(
        select(sub.c.course_id, func.avg(sub.c.best), func.count()).group_by(sub.c.course_id)
    )
    return {course_id: (average, people) for course_id, average, people in rows}


def _states_chart(totals: dict[CellState, int]) -> tuple[list[tuple[str, int, str]], Any]:
    """The assignments by state: the figures (label, count, style) and their chart."""
    segments = [
        (str(STATE_LABELS[state]), totals.get(state, 0), STATE_CLASSES[state])
        for state in STATE_ORDER
    ]
    chart = charts.stacked_bar(
        segments,
        title=_("Assignments by state"),
        description=_("How many assignments are in each state; the table below has the figures."),
        id_prefix="states",
    )
    return segments, chart


@bp.get("/")
def index() -> ResponseReturnValue:
    company = _company()
    departments = _departments()
    filters = _filters(departments)
    scope = _scope()
    lang = page_language()
    courses = compliance.assigned_courses(db.session, scope, lang)
    with_results = results_visible(company)

    def write() -> Markup:
        return _team_content(company, departments, filters, scope, lang, courses, with_results)

    # The team page's content (the matrix: 2,000 cells a page, 250 KB of HTML) is kept
    # in the cache (lms/cache.py) per company revision and day like the figures it
    # shows (`compliance.cached_for_scope`): a manager paging back and forth, or
    # several managers of one company, get it without writing it again, from any
    # worker. manage/_team.html may show only what its key covers; anything else
    # (bookings to approve, messages) belongs in manage/index.html, around it.
    content: Markup
    if with_results:
        content = write()  # scores are not part of the company's revision: never kept
    else:
        # Whatever the content shows beyond the scope's cells and figures.
        shown = (
            filters,
            lang,
            request.script_root,
            company.name,
            company.managers_manage_people,
            tuple(courses),
            tuple((d.id, d.name) for d in departments),
        )
        content = compliance.cached_for_scope(scope, ("team-page", *shown), write)
    return render_template("manage/index.html", content=content)


def _team_content(
    company: Company,
    departments: list[Department],
    filters: Filters,
    scope: Scope,
    lang: str,
    courses: list[tuple[int, str]],
    with_results: bool,
) -> Markup:
    """The team page's content: the matrix of one page, the filters and the figures."""
    result = compliance.matrix(db.session, scope, filters, lang, titles=dict(courses))
    scores = _best_scores(scope, [r.user_id for r in result.rows]) if with_results else None
    averages = _course_averages(scope) if with_results else {}
    _segments, chart = _states_chart(result.state_totals)
    # Every module of the filter's list (the matrix shows some of them).
    languages = compliance.title_languages(db.session, [i for i, _t in courses], lang)
    html = render_template(
        "manage/_team.html",
        company=company,
        without_email=to_do.count_without_email(db.session, scope),
        matrix=result,
        lines=CellText().lines(result, scores, languages),
        title_languages=languages,
        department_names={d.id: d.name for d in departments},
        filters=filters,
        filter_args=lambda **changes: _filter_args(filters, **changes),
        departments=departments,
        courses=courses,
        states=STATE_ORDER,
        with_results=with_results,
        averages=averages,
        min_group=MIN_GROUP,
        chart=chart,
        limited=scope.department_ids is not None,
        **state_context(),
    )
    return Markup(html)  # noqa: S704  (a template's output, escaped by Jinja)


def _describe(filters: Filters, departments: list[Department], courses: dict[int, str]) -> str:
    """The filters in words, for the access log."""
    parts = []
    if filters.department_id:
        names = {d.id: d.name for d in departments}
        parts.append(_("Department: %(name)s", name=names.get(filters.department_id, "?")))
    if filters.course_id:
        parts.append(_("Module: %(title)s", title=courses.get(filters.course_id, "?")))
    if filters.state:
        parts.append(_("State: %(state)s", state=STATE_LABELS[filters.state]))
    return "; ".join(parts) or _("everyone")


def _download(body: Any, filename: str, kind: str) -> Response:
    if kind == "csv":
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        response = Response(
            body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response


@bp.get("/matrix.<kind>")
def export_matrix(kind: str) -> ResponseReturnValue:
    """The matrix as CSV or XLSX: the same rows, in the same order, as the screen (all pages)."""
    if kind not in ("csv", "xlsx"):
        abort(404)
    with db.reading():  # the access log is then written in a transaction of its own
        company = _company()
        departments = _departments()
        filters = _filters(departments)
        scope = _scope()
        lang = page_language()
        result = compliance.matrix(db.session, scope, filters, lang, page_size=None)
        with_results = results_visible(company)
        scores = _best_scores(scope, [r.user_id for r in result.rows]) if with_results else {}
    names = {d.id: d.name for d in departments}
    header = [_("Name"), _("E-mail address"), _("Personnel number"), _("Department")]
    header += [title for _id, title in result.courses]
    if with_results:
        header += [_("Best result: %(title)s", title=title) for _id, title in result.courses]
    rows = []
    cell_text = CellText()
    for row in result.rows:
        line: list[Any] = [
            row.name,
            row.email or "",
            row.personnel_number or "",
            names.get(row.department_id or 0, ""),
        ]
        line += [cell_text(result.cell(row.user_id, course_id)) for course_id, _t in result.courses]
        if with_results:
            line += [scores.get((row.user_id, course_id)) for course_id, _t in result.courses]
        rows.append(line)
    detail = _describe(filters, departments, dict(result.courses))
    manager = _manager()
    with db.writing() as session:
        log_report_access(session, manager, company.id, f"matrix-{kind}", scope.now, detail=detail)
    filename = f"lernwerk-team-{scope.today.isoformat()}"
    if kind == "csv":
        return _download(tables.csv_chunks(header, rows), filename, "csv")
    return _download(tables.xlsx_bytes(_("Team"), header, rows), filename, "xlsx")


# --- Assigning ----------------------------------------------------------------


@bp.route("/assign", methods=["GET", "POST"])
def assign() -> ResponseReturnValue:
    manager = _manager()
    company = _company()
    people = db.session.scalars(
        people_visible_to_manager(manager)
        .where(User.is_active.is_(True))
        .order_by(User.display_name)
    ).all()
    form = assign_form(
        company, _departments(), people, whole_company=managed_department_ids(manager) is None
    )
    if form.stepped or not form.validate_on_submit():
        return form_page(form, url_for("manage.assign"), (url_for("manage.index"), _("My team")))
    course, result = carry_out(
        form,
        company,
        lambda person_id: get_person_for_manager(db.session, manager, person_id),
    )
    if course is None:
        abort(404)
    flash(assigned_message(result), "success")
    return redirect(url_for("manage.index", course=course.id))


@bp.get("/assignments")
def assignment_list() -> ResponseReturnValue:
    """The standing department and company assignments, and the latest ones to people."""
    manager = _manager()
    limited = managed_department_ids(manager)
    lang = page_language()
    rules_stmt = (
        select(AssignmentRule)
        .where(AssignmentRule.company_id == manager.company_id)
        .options(selectinload(AssignmentRule.department), selectinload(AssignmentRule.created_by))
        .order_by(AssignmentRule.withdrawn_at.is_not(None), AssignmentRule.created_at.desc())
    )
    if limited is not None:
        rules_stmt = rules_stmt.where(AssignmentRule.department_id.in_(limited))
    rules = list(db.session.scalars(rules_stmt))
    titles = compliance.course_titles(db.session, list({r.course_id for r in rules}), lang)
    return render_template("manage/assignments.html", rules=rules, titles=titles)


@bp.post("/assignments/rules/<int:rule_id>/withdraw")
def withdraw_rule(rule_id: int) -> ResponseReturnValue:
    manager = _manager()
    rule = get_for_company(db.session, AssignmentRule, rule_id, manager.company_id)
    limited = managed_department_ids(manager)
    if limited is not None and rule.department_id not in limited:
        abort(404)
    ended = assignments.withdraw_rule(db.session, current_actor(), rule, now())
    flash(
        ngettext(
            "The assignment is withdrawn from %(num)d person.",
            "The assignment is withdrawn from %(num)d people.",
            ended,
        ),
        "success",
    )
    return redirect(url_for("manage.assignment_list"))


@bp.post("/people/<int:user_id>/assignments/<int:assignment_id>/withdraw")
def withdraw(user_id: int, assignment_id: int) -> ResponseReturnValue:
    manager = _manager()
    person = get_person_for_manager(db.session, manager, user_id)
    assignment = get_for_company(db.session, Assignment, assignment_id, manager.company_id)
    if assignment.user_id != person.id:
        abort(404)
    assignments.withdraw(db.session, current_actor(), assignment, now())
    flash(_("The assignment is withdrawn."), "success")
    return redirect(url_for("manage.person", user_id=person.id))


# --- One person -----------------------------------------------------------------


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> ResponseReturnValue:
    manager = _manager()
    with db.reading():  # the access log is then written in a transaction of its own
        person = get_person_for_manager(db.session, manager, user_id)
        company = _company()
        scope = _scope()
        lang = page_language()
        cells = compliance.person_cells(db.session, scope, person.id)
        history = assignments.history(db.session, person)
        completions = list(
            db.session.scalars(
                select(Completion)
                .where(Completion.user_id == person.id, Completion.company_id == company.id)
                .order_by(Completion.completed_at.desc())
            )
        )
        course_ids = {c.course_id for c in cells} | {a.course_id for a in history}
        course_ids |= {c.course_id for c in completions}
        titles = compliance.course_titles(db.session, list(course_ids), lang)
        with_results = results_visible(company)
        attempts = []
        packages: list[PackageResult] = []
        if with_results:
            packages = results_of_person(db.session, person.id, company.id, lang)
            attempts = list(
                db.session.scalars(
                    select(QuizAttempt)
                    .where(QuizAttempt.user_id == person.id, QuizAttempt.status == "submitted")
                    .options(selectinload(QuizAttempt.version))
                    .order_by(QuizAttempt.submitted_at.desc())
                )
            )
    with db.writing() as session:
        log_report_access(session, manager, company.id, "person", scope.now, subject=person)
    external = records_pages.records_of(person)
    return render_template(
        "manage/person.html",
        records=external,
        module_titles=records_pages.module_titles(external),
        place=manage_records.place(),
        **records_pages.labels(),
        person=person,
        department=person.department,
        cells=cells,
        history=history,
        completions=completions,
        titles=titles,
        with_results=with_results,
        attempts=attempts,
        packages=packages,
        **state_context(),
    )


# --- Completions in a period, and charts ----------------------------------------------


def _period(form: PeriodForm) -> tuple[date, date]:
    year = today().year
    start = form.start.data or date(year, 1, 1)
    end = form.end.data or date(year, 12, 31)
    return start, end


def _completions(scope: Scope, start: date, end: date) -> list[Any]:
    zone = local_zone()
    begin = datetime.combine(start, time.min, zone)
    finish = datetime.combine(end + timedelta(days=1), time.min, zone)
    stmt = (
        select(
            User.display_name,
            User.email,
            Department.name,
            Completion,
            User.personnel_number,
        )
        .join(User, User.id == Completion.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(
            Completion.company_id == scope.company_id,
            Completion.completed_at >= begin,
            Completion.completed_at < finish,
        )
        .order_by(Completion.completed_at, User.display_name)
    )
    if scope.department_ids is not None:
        stmt = stmt.where(User.department_id.in_(list(scope.department_ids)))
    return list(db.session.execute(stmt))


@bp.get("/completions")
def completions() -> ResponseReturnValue:
    """Who completed what in a period ("who was instructed in 2026"), on screen or exported."""
    form = PeriodForm(request.args)
    kind = request.args.get("format")
    scope = _scope()
    lang = page_language()
    if request.args and not form.validate():
        return render_template("manage/completions.html", form=form, rows=[], titles={}), 422
    start, end = _period(form)
    with db.reading():  # an export's access log is then written in a transaction of its own
        rows = _completions(scope, start, end)
        titles = compliance.course_titles(db.session, list({r[3].course_id for r in rows}), lang)
    if kind in ("csv", "xlsx"):
        header = [
            _("Name"),
            _("E-mail address"),
            _("Personnel number"),
            _("Department"),
            _("Module"),
            _("Completed on"),
            _("Valid until"),
            _("Certificate"),
        ]
        lines = [
            [
                name,
                email or "",
                number or "",
                department or "",
                titles.get(c.course_id, ""),
                c.completed_at.astimezone(local_zone()).date(),
                c.valid_until.astimezone(local_zone()).date() if c.valid_until else "",
                _("revoked") if c.revoked_at else (c.code or ""),
            ]
            for name, email, department, c, number in rows
        ]
        period = f"{format_date(start)} – {format_date(end)}"
        manager = _manager()
        with db.writing() as session:
            log_report_access(
                session, manager, scope.company_id, f"completions-{kind}", scope.now, detail=period
            )
        filename = f"lernwerk-abschluesse-{start.isoformat()}-{end.isoformat()}"
        if kind == "csv":
            return _download(tables.csv_chunks(header, lines), filename, "csv")
        return _download(tables.xlsx_bytes(_("Completions"), header, lines), filename, "xlsx")
    form.start.data, form.end.data = start, end
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    return render_template(
        "manage/completions.html", form=form, rows=rows, titles=titles, query=query
    )


def _months(end: date, count: int) -> list[date]:
    months = []
    year, month = end.year, end.month
    for _i in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


@bp.get("/reports")
def reports() -> ResponseReturnValue:
    """Completions per month and course over the last 12 months, and the states, as charts."""
    scope = _scope()
    lang = page_language()
    months = _months(scope.today, 12)
    rows = _completions(scope, months[0], scope.today)
    zone = local_zone()
    per_course: dict[int, list[int]] = {}
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    for _name, _email, _department, c, _number in rows:
        local = c.completed_at.astimezone(zone)
        per_course.setdefault(c.course_id, [0] * len(months))[index[(local.year, local.month)]] += 1
    titles = compliance.course_titles(db.session, list(per_course), lang)
    series = sorted(
        ((titles.get(course_id, "?"), counts) for course_id, counts in per_course.items()),
        key=lambda item: item[0].casefold(),
    )
    labels = [format_date(m, "MMM yy") for m in months]
    chart = None
    if series:
        chart = charts.line_chart(
            series,
            title=_("Completions per month"),
            description=_(
                "Completed modules per month and module over the last 12 months; "
                "the table below has the figures."
            ),
            x_labels=labels,
            id_prefix="completions",
        )
    _per_course, totals = compliance.state_counts(db.session, scope)
    segments, states_chart = _states_chart(totals)
    return render_template(
        "manage/reports.html",
        chart=chart,
        series=series,
        labels=labels,
        states_chart=states_chart,
        segments=segments,
        **state_context(),
    )
