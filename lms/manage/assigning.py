"""Assigning a module from a form: shared by the manager's and the admin's pages.

The caller decides whose people and departments may be chosen (a manager: their
company and departments; an admin: the whole company), and how a chosen person
is loaded (which answers 404 outside that scope).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext

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
from lms.templating import page_language


def assign_form(
    company: Company,
    departments: Sequence[Department],
    people: Sequence[User],
    *,
    whole_company: bool,
) -> AssignForm:
    """The form with the company's live modules, these departments and people as choices."""
    lang = page_language()
    form = AssignForm(today=today())
    form.course.choices = [
        (course.id, (version.content["texts"].get(lang) or {}).get("title", version.title))
        for course, version in catalogue(db.session, company.id)
    ]
    form.department.choices = [(0, _("Please choose"))] + [(d.id, d.name) for d in departments]
    form.people.choices = [(p.id, p.display_name) for p in people]
    if not whole_company:
        form.target.choices = [c for c in form.target.choices if c.value != "company"]
    if request.method == "GET":
        form.course.data = request.args.get("course", type=number_arg)
        if not form.due_on.data:
            form.due_on.data = today() + timedelta(days=30)
    return form


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
