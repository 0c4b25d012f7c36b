"""Assigning a whole learning path: every module of it, due on one day, in the path's order."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from lms.audit.trail import current_actor
from lms.clock import now, today
from lms.db import db
from lms.forms import Form
from lms.input_checks import DateField
from lms.manage import bp
from lms.manage.forms import CheckboxListField
from lms.models import User
from lms.permissions import people_visible_to_manager
from lms.services import paths


class AssignPathForm(Form):
    path = SelectField(
        _l("Learning path"),
        coerce=int,
        validators=[InputRequired(message=_l("Please choose a learning path."))],
    )
    people = CheckboxListField(_l("People"), coerce=int)
    due_on = DateField(
        _l("Due on"),
        validators=[InputRequired(message=_l("Please enter the date by which it is due."))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=500)])

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_due_on(self, field: DateField) -> None:
        if field.data is not None and field.data < self.today:
            raise ValidationError(_l("The due date must not lie in the past."))

    def validate_people(self, field: CheckboxListField) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose at least one person."))


@bp.route("/assign-path", methods=["GET", "POST"])
def assign_path() -> ResponseReturnValue:
    manager: User = current_user._get_current_object()
    company_id = manager.company_id
    if company_id is None:
        abort(404)
    offered = paths.paths_for(db.session, company_id)
    team = {
        p.id: p
        for p in db.session.scalars(
            people_visible_to_manager(manager)
            .where(User.is_active.is_(True))
            .order_by(User.display_name)
        )
    }
    form = AssignPathForm(today=today())
    form.path.choices = [(p.id, p.title) for p in offered]
    form.people.choices = [(p.id, p.display_name) for p in team.values()]
    if form.validate_on_submit():
        chosen = next((p for p in offered if p.id == form.path.data), None)
        people = [team[i] for i in form.people.data or [] if i in team]
        if chosen is not None and form.due_on.data is not None:
            made = paths.assign_path(
                db.session, current_actor(), company_id, chosen, people,
                form.due_on.data, form.note.data or "", now(),
            )  # fmt: skip
            flash(
                _(
                    "The learning path is assigned: %(num)d assignments for %(people)d people.",
                    num=made,
                    people=len(people),
                ),
                "success",
            )
            return redirect(url_for("manage.index"))
    return render_template("manage/assign_path.html", form=form, paths=offered)
