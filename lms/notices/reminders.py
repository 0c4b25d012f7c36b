"""A company's reminder settings (which reminders `lms reminders` sends, and when), a
manager's reminder to an overdue person ("Erinnerung senden"), and the manager's
printable list of this week's to-dos (lms/notices/to_do.py).

`settings_bp` is registered under the manager's area (/team/reminders, for managers who
see the whole company) and under the admin's (/admin/companies/<id>/reminders; the
company page shows the same form); `remind_bp` and `to_do_bp` (/team/to-do-this-week)
under the manager's only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from lms.areas import area, company_in_url, whole_company_places
from lms.audit.service import log_report_access
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.forms import Form
from lms.models import Assignment, User
from lms.notices import service, to_do
from lms.permissions import get_for_company, get_person_for_manager
from lms.reports.compliance import course_titles
from lms.services import reminders
from lms.templating import datetime_filter, page_language


class ReminderSettingsForm(Form):
    remind_due_soon = BooleanField(_l("Before the due date"))
    remind_due_soon_days = IntegerField(
        _l("Days before the due date"),
        description=_l("The reminder goes out this many days before a module is due."),
        validators=[
            InputRequired(message=_l("Please enter a number of days.")),
            NumberRange(min=1, max=60, message=_l("Please enter between 1 and 60 days.")),
        ],
    )
    remind_overdue = BooleanField(_l("Once a week while a module is overdue"))
    remind_expiry = BooleanField(_l("When a certificate expires soon or has expired"))
    remind_digest = BooleanField(_l("A weekly overview for managers"))


# --- Settings ---------------------------------------------------------------------


settings_bp = Blueprint("reminder_settings", __name__)
company_in_url(settings_bp)
places = whole_company_places("reminders")


@settings_bp.route("/", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    """GET: the form; POST: save it (an admin comes from and returns to the company page)."""
    place = places.current()
    form = ReminderSettingsForm(obj=place.company)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in service.REMINDER_SETTINGS}
        if service.set_reminder_settings(db.session, current_actor(), place.company, values, now()):
            flash(_("The reminder settings are saved."), "success")
        return redirect(place.back if area() == "admin" else url_for(".edit"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "notices/reminder_settings.html", form=form, place=place, company=place.company
    ), status


# --- A manager's reminder ----------------------------------------------------------

remind_bp = Blueprint("reminders", __name__)


@remind_bp.post("/people/<int:user_id>/assignments/<int:assignment_id>/remind")
def send(user_id: int, assignment_id: int) -> ResponseReturnValue:
    """Remind an overdue person of one module (mail, notice, audit entry), at most once a
    day per person and module; another company's person or assignment: 404."""
    manager = db.session.get(User, current_user.id)
    assert manager is not None
    person = get_person_for_manager(db.session, manager, user_id)
    assignment = get_for_company(db.session, Assignment, assignment_id, manager.company_id)
    if assignment.user_id != person.id:
        abort(404)
    at = now()
    company = manager.company
    language = reminders.mail_language(
        person.language, company.default_language if company else None
    )
    mail = None  # a person without an address gets the notice only
    if person.email:
        with force_locale(language):
            title = course_titles(db.session, [assignment.course_id], language).get(
                assignment.course_id, "?"
            )
            mail = reminders.write_mail(
                reminders.Reminder(
                    reminders.Recipient(person.id, person.email, person.display_name, language),
                    items=(
                        reminders.Item(
                            reminders.OVERDUE, assignment.id, title, assignment.due_on, "manual"
                        ),
                    ),
                ),
                reminders.Links(learn=url_for("learn.index", _external=True), team=""),
            )
    shown_title = course_titles(db.session, [assignment.course_id], page_language()).get(
        assignment.course_id, "?"
    )
    refused = service.send_reminder(
        db.session,
        current_actor(),
        person,
        assignment,
        course_title=shown_title,
        mail_subject=mail.subject if mail else None,
        mail_body=mail.body if mail else None,
        now=at,
    )
    back = url_for("manage.person", user_id=person.id)
    if refused is None and mail is None:
        flash(
            _(
                "%(name)s has no e-mail address: the reminder is shown as a notice "
                "when they sign in to Lernwerk.",
                name=person.display_name,
            ),
            "success",
        )
    elif refused is None:
        flash(_("The reminder is sent to %(name)s.", name=person.display_name), "success")
    elif refused.code == "too-soon" and refused.next_at is not None:
        db.refuse("reminder too soon")
        flash(
            _(
                "%(name)s was reminded of this module less than a day ago. "
                "The next reminder is possible from %(when)s.",
                name=person.display_name,
                when=datetime_filter(refused.next_at),
            ),
            "info",
        )
    else:
        db.refuse("not overdue")
        flash(_("This module is not overdue, so no reminder was sent."), "info")
    return redirect(back)


# --- This week's to-dos, to print ---------------------------------------------------

to_do_bp = Blueprint("to_do", __name__)


@to_do_bp.get("/")
def week() -> ResponseReturnValue:
    """Who still has to do what this week, people without an e-mail address first, with
    the company's sign-in code: a page to print (recorded in the access log, like an
    export: it leaves the system with names and personnel numbers)."""
    # The states' words and icons, as on the team page (lms.manage imports this module).
    from lms.manage.states import state_context

    with db.reading():  # the access log is then written in a transaction of its own
        manager = db.session.get(User, current_user.id)
        if manager is None or manager.company is None:
            abort(404)
        found = to_do.this_week(db.session, manager, now(), page_language())
        page = render_template(
            "notices/to_do.html",
            to_do=found,
            sign_in_address=url_for("pins.sign_in", _external=True),
            **state_context(),
        )
    with db.writing() as session:
        log_report_access(session, manager, found.company.id, "to-do-week", now())
    return page
