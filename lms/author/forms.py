"""Forms of the trainer's pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.forms import Form
from lms.in_person.booking import partial_problem
from lms.input_checks import DateField
from lms.manage.forms import CheckboxListField
from lms.models import Attendance, Booking


class SessionForm(Form):
    """A session of an in-person unit; times are entered in the platform's zone."""

    unit = SelectField(
        _l("In-person part"), validators=[InputRequired(message=_l("Please choose a part."))]
    )
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Please enter the date."))])
    start = TimeField(
        _l("Starts at"), validators=[InputRequired(message=_l("Please enter the start time."))]
    )
    minutes = IntegerField(
        _l("Duration in minutes"),
        description=_l("Leave empty for the duration the module gives."),
        validators=[
            Optional(),
            NumberRange(min=1, max=1440, message=_l("Enter between 1 and 1440 minutes.")),
        ],
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(message=_l("Please enter the number of seats.")),
            NumberRange(min=1, max=1000, message=_l("Enter between 1 and 1000 seats.")),
        ],
    )
    place = StringField(
        _l("Place"),
        description=_l("Address, as people should find it, e.g. Hafenstraße 1, 24103 Kiel."),
        validators=[Length(max=300)],
    )
    room = StringField(_l("Room"), validators=[Length(max=120)])
    online_url = StringField(
        _l("Online link"),
        description=_l("For a session held online; leave empty otherwise."),
        validators=[
            Optional(),
            Length(max=500),
            URL(require_tld=True, message=_l("Enter a full address starting with https://.")),
        ],
    )
    deadline_day = DateField(
        _l("Booking possible until (date)"),
        description=_l("Leave empty to close booking one day before the start."),
        validators=[Optional()],
    )
    deadline_time = TimeField(_l("Booking possible until (time)"), validators=[Optional()])
    trainers = CheckboxListField(_l("Trainers"), coerce=int)
    companies = CheckboxListField(
        _l("Only for these companies"),
        description=_l("Leave all unticked to open the session to every company."),
        coerce=int,
    )
    note = TextAreaField(
        _l("Note for participants"),
        description=_l("E.g. where to meet or whom to ask at the gate."),
        validators=[Length(max=2000)],
    )

    def __init__(self, *args: object, zone: ZoneInfo, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def local_moment(self, day: date, at: time, field: DateField) -> datetime | None:
        """The moment in UTC, or None (with an error on `field`) for an hour the clock skips."""
        moment = datetime.combine(day, at, tzinfo=self.zone)
        if moment.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != moment.replace(
            tzinfo=None
        ):
            field.errors = [
                *field.errors,
                _l(
                    "This time does not exist on that day because the clocks go forward. "
                    "Please choose another time."
                ),
            ]
            return None
        return moment.astimezone(UTC)

    def starts_at(self) -> datetime | None:
        assert self.day.data is not None and self.start.data is not None
        return self.local_moment(self.day.data, self.start.data, self.start)

    def booking_deadline(self, starts_at: datetime) -> datetime | None:
        """The deadline entered; one day before the start when no day is given."""
        if self.deadline_day.data is None:
            return starts_at - timedelta(days=1)
        at = self.deadline_time.data or time(23, 59)
        return self.local_moment(self.deadline_day.data, at, self.deadline_time)

    def validate_place(self, field: StringField) -> None:
        if not (field.data or "").strip() and not (self.online_url.data or "").strip():
            raise ValidationError(_l("Enter a place or an online link."))

    def validate_online_url(self, field: StringField) -> None:
        if field.data and not field.data.startswith("https://"):
            raise ValidationError(_l("Enter a full address starting with https://."))


@dataclass(frozen=True)
class AttendanceEntry:
    """One row of the roster as posted: `attendance-<id>`, `minutes-<id>`, `note-<id>`.

    The roster is one form for everyone; its rows are read by booking id, so a row of
    someone who left the roster after the page was shown is simply not there.
    """

    attendance: Attendance | None
    minutes: int | None
    minutes_text: str  # as typed, to show it again with an error
    note: str
    error: str = ""

    @classmethod
    def posted(cls, form: Mapping[str, str], booking: Booking) -> AttendanceEntry | None:
        """The row posted for `booking`; None if the page had none for it."""
        given = form.get(f"attendance-{booking.id}")
        if given is None:
            return None
        attendance = Attendance(given) if given in {a.value for a in Attendance} else None
        minutes_text = form.get(f"minutes-{booking.id}", "").strip()[:10]
        note = form.get(f"note-{booking.id}", "").strip()[:500]
        minutes = int(minutes_text) if minutes_text.isdecimal() else None
        error = ""
        if attendance == Attendance.PARTIAL:
            problem = (
                "bad-minutes-present"
                if minutes_text and minutes is None
                else partial_problem(booking.in_person, minutes, note)
            )
            if problem == "partial-needs-detail":
                error = _("For partly present, enter the minutes present or a note.")
            elif problem is not None:
                error = _("Enter the minutes present as a number from 1 to %(max)d.",
                          max=booking.in_person.minutes)  # fmt: skip
        return cls(attendance, minutes, minutes_text, note, error)
