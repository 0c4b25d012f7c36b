"""Forms of the admin's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice
from wtforms.validators import InputRequired, NumberRange


class ReportingForm(FlaskForm):
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
