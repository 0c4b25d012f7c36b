"""Forms of the admin's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.forms import Form


class ReportingForm(Form):
    privacy_level = RadioField(
        _l("What managers see"),
        choices=[
            SelectChoice("status", _l("Status only: completed or not, and dates (default)")),
            SelectChoice("results", _l("With results: also scores, e.g. after a works agreement")),
        ],
        validators=[InputRequired()],
    )
    recertification_lead_days = IntegerField(
        _l("Recertification lead time (days)"),
        description=_l(
            "A recertification becomes due this many days before a certificate expires."
        ),
        validators=[
            InputRequired(message=_l("Please enter a number of days.")),
            NumberRange(min=0, max=365, message=_l("Please enter between 0 and 365 days.")),
        ],
    )
    booking_approval = BooleanField(
        _l("Employees' own bookings of in-person sessions need their manager's approval")
    )


class CompanyForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Please enter the company's name.")),
            Length(max=200),
        ],
    )
    short_name = StringField(
        _l("Short name"),
        description=_l("Lower case letters, digits and -, e.g. mueller-metall. Used in commands."),
        validators=[InputRequired(message=_l("Please enter a short name.")), Length(max=60)],
    )
    default_language = SelectField(
        _l("Language"),
        choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")],
        default="de",
    )
    self_enrolment = BooleanField(
        _l("Employees may start modules of the catalogue themselves"), default=True
    )
    managers_manage_people = BooleanField(
        _l("The company's managers add, edit and deactivate their own people"),
        description=_l(
            "Only employees and managers, and only in their departments where a manager "
            "is limited to some."
        ),
    )
    retention_months = IntegerField(
        _l("Erase accounts unused for (months)"),
        description=_l(
            "Accounts without a login for this long are erased by the nightly retention run; "
            "completed instructions stay under a pseudonym. Leave empty to keep accounts."
        ),
        validators=[
            Optional(),
            NumberRange(min=1, max=240, message=_l("Enter between 1 and 240 months.")),
        ],
    )


class DepartmentForm(Form):
    name = StringField(
        _l("Department"),
        validators=[
            InputRequired(message=_l("Please enter the department's name.")),
            Length(max=120),
        ],
    )
