"""In-person sessions and their bookings: planning, booking, attendance, check-in,
the calendar and the mails about them."""
