"""iCalendar files: one booking as .ics, and a person's subscribable feed.

Times are written in the platform's zone (Europe/Berlin) with its VTIMEZONE,
so calendars show the right hour on either side of a daylight-saving change.
A cancelled session or booking stays in the feed as STATUS:CANCELLED, so
subscribed calendars strike it out rather than keep a stale entry. SEQUENCE
grows with every change (seconds since 2020), so clients take the newer state.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.clock import local_zone
from lms.in_person.booking import SessionTitle, titles
from lms.models import Booking, BookingStatus, CalendarFeed, InPersonSession, User
from lms.models.in_person import session_trainers

PRODID = "-//Lernwerk//Präsenztermine//DE"
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# How far back the feed reaches: older entries have no use in a calendar app.
FEED_HISTORY = timedelta(days=180)


@dataclass(frozen=True)
class Entry:
    """One session as a person sees it: their booking's status, or the trainer's view."""

    in_person: InPersonSession
    title: SessionTitle
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    changed_at: datetime
    url: str
    description: str = ""


def booking_status(booking: Booking) -> str:
    if booking.in_person.cancelled or booking.status in (
        BookingStatus.CANCELLED,
        BookingStatus.DECLINED,
    ):
        return "CANCELLED"
    if booking.status == BookingStatus.CONFIRMED:
        return "CONFIRMED"
    return "TENTATIVE"  # awaiting approval, or on the waiting list


def write(entries: Iterable[Entry], name: str, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    zone = local_zone()
    for entry in entries:
        in_person = entry.in_person
        event = Event()
        # The UID names the event in every calendar that holds it: it keeps its first
        # form, or subscribed calendars would show each session twice.
        event.add("uid", f"lernwerk-date-{in_person.id}@{host}")
        event.add("dtstamp", entry.changed_at.astimezone(UTC))
        event.add("sequence", int((entry.changed_at - _EPOCH).total_seconds()))
        event.add("dtstart", in_person.starts_at.astimezone(zone))
        event.add("dtend", in_person.ends_at.astimezone(zone))
        event.add("summary", f"{entry.title.unit} – {entry.title.course}")
        location = ", ".join(part for part in (in_person.place, in_person.room) if part)
        if location:
            event.add("location", location)
        description = "\n\n".join(
            part
            for part in (entry.description, in_person.note, in_person.online_url, entry.url)
            if part
        )
        if description:
            event.add("description", description)
        event.add("url", entry.url)
        event.add("status", entry.status)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def feed_entries(
    session: Session,
    user: User,
    language: str,
    now: datetime,
    link: Callable[[InPersonSession, Booking | None], str],
) -> list[Entry]:
    """The person's bookings, and the sessions they run as trainer, from half a year back."""
    since = now - FEED_HISTORY
    bookings = list(
        session.scalars(
            select(Booking)
            .join(InPersonSession, InPersonSession.id == Booking.session_id)
            .where(Booking.user_id == user.id, InPersonSession.starts_at >= since)
        )
    )
    trained = list(
        session.scalars(
            select(InPersonSession)
            .join(session_trainers, session_trainers.c.session_id == InPersonSession.id)
            .where(session_trainers.c.user_id == user.id, InPersonSession.starts_at >= since)
        )
    )
    named = titles(session, [b.in_person for b in bookings] + trained, language)
    entries: dict[int, Entry] = {}
    for in_person in trained:
        entries[in_person.id] = Entry(
            in_person,
            named[in_person.id],
            "CANCELLED" if in_person.cancelled else "CONFIRMED",
            in_person.updated_at,
            link(in_person, None),
        )
    for booking in bookings:
        if booking.session_id in entries:
            continue
        entries[booking.session_id] = Entry(
            booking.in_person,
            named[booking.session_id],
            booking_status(booking),
            max(booking.in_person.updated_at, booking.updated_at),
            link(booking.in_person, booking),
        )
    return sorted(entries.values(), key=lambda e: e.in_person.starts_at)


# --- The secret feed address -------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(session: Session, user: User, now: datetime) -> str:
    """A new secret feed address for `user`; the one before stops working."""
    token = secrets.token_urlsafe(24)
    feed = session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        session.add(feed)
    feed.token_hash = _hash(token)
    feed.created_at = now
    session.flush()
    return token


def stop_feed(session: Session, user: User) -> None:
    feed = session.get(CalendarFeed, user.id)
    if feed is not None:
        session.delete(feed)
        session.flush()


def feed_owner(session: Session, token: str) -> User | None:
    """The active person whose feed `token` opens, else None."""
    return session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == _hash(token), User.is_active.is_(True))
    )
