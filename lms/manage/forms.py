"""Forms of the manager's pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from lms.forms import CheckboxListField, Form
from lms.input_checks import DateField


class AssignForm(Form):
    """Assign a module to a department, the whole company or chosen people.

    The page shows only what the chosen target needs (app.css: `.form--assign`). The
    buttons named `step` (search, everyone shown, none) change only the list of people:
    the page comes again with everything typed kept, and nothing is assigned
    (`lms.manage.assigning.assign_form`).
    """

    extra_fields = frozenset({"step"})

    course = SelectField(
        _l("Module"),
        coerce=int,
        validators=[InputRequired(message=_l("Please choose a module."))],
    )
    target = RadioField(
        _l("Assign to"),
        choices=[
            SelectChoice("department", _l("A department")),
            SelectChoice("company", _l("The whole company")),
            SelectChoice("people", _l("Selected people")),
        ],
        default="department",
        validators=[InputRequired(message=_l("Please choose to whom."))],
    )
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    people = CheckboxListField(_l("People"), coerce=int)
    search = SearchField(
        _l("Find people"),
        description=_l("Part of a name, an e-mail address or a department."),
        validators=[Optional(), Length(max=100)],
    )
    due_on = DateField(
        _l("Due on"),
        validators=[InputRequired(message=_l("Please enter the date by which it is due."))],
    )
    note = TextAreaField(
        _l("Note"),
        description=_l("Shown to the people with the assignment, e.g. why it matters."),
        validators=[Length(max=500)],
    )
    retake = BooleanField(_l("People who have completed it already must take it again"))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # Filled by `assign_form`: the list of people as shown, and whether this request
        # was a step of that list rather than an assignment.
        self.people_total = 0
        self.people_found = 0
        self.people_departments: dict[int, str] = {}
        self.stepped = False

    def validate_due_on(self, field: DateField) -> None:
        if field.data is not None and field.data < self.today:
            raise ValidationError(_l("The due date must not lie in the past."))

    def validate_department(self, field: SelectField) -> None:
        if self.target.data == "department" and not field.data:
            raise ValidationError(_l("Please choose a department."))

    def validate_people(self, field: SelectMultipleField) -> None:
        if self.target.data == "people" and not field.data:
            raise ValidationError(_l("Please choose at least one person."))


class PeriodForm(Form):
    """The period of the completions report (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end must not lie before the start."))
