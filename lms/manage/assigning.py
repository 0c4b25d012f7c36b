"""Assigning a module from a form: shared by the manager's and the admin's pages.

The caller decides whose people and departments may be chosen (a manager: their
company and departments; an admin: the whole company), and how a chosen person
is loaded (which answers 404 outside that scope).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import SelectChoice

from lms.audit.trail import current_actor
from lms.clock import now, today
from lms.content.importer import catalogue
from lms.db import db
from lms.input_checks import number_arg
from lms.manage.forms import AssignForm
from lms.models import Company, Course, Department, User
from lms.permissions import get_for_company
from lms.services import assignments
from lms.services.assignments import AssignResult
from lms.templating import page_language, validity_filter

# The buttons that change only the list of people (their name is `step`).
PEOPLE_STEPS = ("search", "all", "none")


def assign_form(
    company: Company,
    departments: Sequence[Department],
    people: Sequence[User],
    *,
    whole_company: bool,
) -> AssignForm:
    """The form with the company's live modules, these departments and people as choices.

    A POST by one of the people list's buttons (`step`: search, everyone shown, none) is
    taken here: the chosen people change and `form.stepped` is set, so the view shows
    the page again, with everything typed kept, instead of assigning. The list shows the
    people the search finds and everyone chosen (a search never drops a choice).
    """
    form = AssignForm(today=today())
    form.course.choices = _module_choices(company)
    form.department.choices = [(0, _("Please choose"))] + [(d.id, d.name) for d in departments]
    if not whole_company:
        form.target.choices = [c for c in form.target.choices if c.value != "company"]
    if request.method == "GET":
        form.course.data = request.args.get("course", type=number_arg)
        form.search.data = request.args.get("search", "")[:100]
        if form.search.data:
            form.target.data = "people"
        if not form.due_on.data:
            form.due_on.data = today() + timedelta(days=30)
    department_names = {d.id: d.name for d in departments}
    found = _found(people, department_names, form.search.data or "")
    chosen = set(form.people.data or [])
    step = request.form.get("step") if request.method == "POST" else None
    if step in PEOPLE_STEPS:
        # The search button comes first in the form, so Enter in any field searches:
        # the form comes again, nothing is assigned, and the target stays as chosen.
        form.stepped = True
        if step == "all":
            form.target.data = "people"
            chosen |= {p.id for p in found}
        elif step == "none":
            chosen = set()
        form.people.data = sorted(chosen)
    form.people.choices = [(p.id, p.display_name) for p in people if p in found or p.id in chosen]
    form.people_departments = {p.id: department_names.get(p.department_id or 0, "") for p in people}
    form.people_total, form.people_found = len(people), len(found)
    return form


def _module_choices(company: Company) -> list[SelectChoice]:
    """The company's live modules, those renewed when their certificate expires apart
    from those taken once (each option says which: the page explains it)."""
    lang = page_language()
    renewed, once = [], []
    for course, version in catalogue(db.session, company.id):
        title = (version.content["texts"].get(lang) or {}).get("title", version.title)
        if version.valid_for:
            period = validity_filter(version.valid_for)
            renewed.append((course.id, _("%(title)s (valid for %(period)s)", title=title,
                                         period=period)))  # fmt: skip
        else:
            once.append((course.id, title))
    grouped = bool(renewed and once)  # groups only when both kinds are offered
    return [
        SelectChoice(course_id, label, {kind: True}, group if grouped else None)
        for kind, group, choices in (
            ("data-renews", _("Renewed regularly"), renewed),
            ("data-once", _("Taken once"), once),
        )
        for course_id, label in choices
    ]


def _found(people: Sequence[User], departments: dict[int, str], search: str) -> set[User]:
    """The people whose name, e-mail address, personnel number or department contains
    `search` (any case)."""
    words = search.casefold().split()
    if not words:
        return set(people)
    found = set()
    for person in people:
        text = " ".join(
            (
                person.display_name,
                person.email or "",
                person.personnel_number or "",
                departments.get(person.department_id or 0, ""),
            )
        ).casefold()
        if all(word in text for word in words):
            found.add(person)
    return found


def form_page(form: AssignForm, action: str, back: tuple[str, str]) -> tuple[str, int]:
    """The form page: again after a step of the people list (200) or with its errors (422)."""
    page = render_template("manage/assign.html", form=form, action=action, back=back)
    return page, (422 if request.method == "POST" and not form.stepped else 200)


def carry_out(
    form: AssignForm, company: Company, person: Callable[[int], User]
) -> tuple[Course | None, AssignResult]:
    """Make the assignments the valid `form` asks for; the service writes the audit entry
    for the request's actor."""
    course = db.session.get(Course, form.course.data)
    if course is None or form.due_on.data is None:
        return None, AssignResult()
    moment = now()
    people: list[User] | None = None
    department: Department | None = None
    if form.target.data == "people":
        people = [person(person_id) for person_id in form.people.data or []]
    elif form.target.data == "department":
        department = get_for_company(db.session, Department, form.department.data, company.id)
    result = assignments.assign_course(
        db.session, current_actor(), company, course, people=people, department=department,
        due_on=form.due_on.data, note=form.note.data or "", now=moment, today=today(moment),
        retake=bool(form.retake.data),
    )  # fmt: skip
    return course, result


def assigned_message(result: AssignResult) -> str:
    message = ngettext(
        "The module is assigned to %(num)d person.",
        "The module is assigned to %(num)d people.",
        result.total,
    )
    if result.replaced:
        message += " " + ngettext(
            "%(num)d of them had it already; the new due date applies.",
            "%(num)d of them had it already; the new due date applies.",
            result.replaced,
        )
    return message
