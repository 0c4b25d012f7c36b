"""What each booking error says to the person who met it (translated)."""

from __future__ import annotations

from flask_babel import gettext as _

from lms.in_person.booking import BookingError


def error_text(error: BookingError) -> str:
    texts = {
        "starts-in-past": _("The session must lie in the future."),
        "bad-duration": _("Enter between 1 and 1440 minutes."),
        "bad-capacity": _("Enter between 1 and 1000 seats."),
        "capacity-below-booked": _(
            "%(num)d seats are booked already; there cannot be fewer seats.",
            num=error.details.get("booked", 0),
        ),
        "deadline-after-start": _("Booking must close before the session starts."),
        "no-place": _("Enter a place or an online link."),
        "not-in-person": _("Please choose an in-person part."),
        "session-cancelled": _("This session is cancelled."),
        "deadline-passed": _("The booking deadline has passed."),
        "not-open": _("This session is not open to your company."),
        "booked-elsewhere": _(
            "You have booked another date of this part already. Cancel it first to book this one."
        ),
        "not-booked": _("Only people with a confirmed seat can be marked present."),
        "check-in-not-yet": _("Check-in opens 30 minutes before the start."),
        "check-in-over": _("This session is over; check-in is closed."),
        "code-expired": _(
            "This code has expired. Please scan the code the trainer is showing now."
        ),
        "code-invalid": _("This code is not valid for this session."),
        "unknown-session": _("This session no longer exists."),
        "own-booking": _(
            "You cannot approve or decline your own booking. Another manager of your "
            "company decides on it."
        ),
    }
    return texts.get(error.code, error.code)
