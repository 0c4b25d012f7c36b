"""Learners and an in-person session for bench/booking_bench.py, and the bookings read back after.

booking_bench.py runs this in the servers' environment (same instance folder,
database and secret key, from the LMS_* variables):

    python bench/booking_pool.py prepare --learners 100 --seats 20 --out ROUND.json
    python bench/booking_pool.py count ROUND.json

`prepare` adds `learners` new learners to a company of their own (so the demo
companies' pages stay as they are), enrols each on the IT security course and
schedules one session of its in-person unit, open to that company only, with
`seats` seats and a booking deadline two weeks ahead. It writes the session's
booking path and, per learner, a session cookie and the session's CSRF token.
Each round gets new learners: a learner who holds a seat or waits at one coming
session of a unit may not book another session of it.

The login sessions are made the way the login makes them (`login_user`, permanent),
without the password check over HTTP, as bench/quiz_pool.py does.

`count` prints, as JSON, the statuses of the round's bookings, how many of its
learners have none, and the in-person session's `booked` counter and capacity.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The LMS_* environment is the caller's: these imports read it.
from flask import Flask, session, url_for
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from lms import create_app
from lms.clock import now
from lms.db import db
from lms.demo import PROVIDER_DOMAIN
from lms.in_person import booking
from lms.models import Booking, Company, Course, InPersonSession, Role, User
from lms.services import learning
from lms.services.passwords import hash_password

COURSE = "it-sicherheit"
UNIT = "workshop-phishing"
COMPANY = ("booking-benchmark", "Buchungs-Benchmark GmbH")


def prepare(learners: int, seats: int, out: Path) -> None:
    """Write the in-person session's booking path and each new learner's cookie and CSRF token."""
    app = create_app()
    batch = secrets.token_hex(3)
    with app.app_context():
        with db.begin() as s:
            company = s.scalar(select(Company).where(Company.short_name == COMPANY[0]))
            if company is None:
                company = Company(short_name=COMPANY[0], name=COMPANY[1])
                s.add(company)
            course = s.scalar(select(Course).where(Course.slug == COURSE))
            trainer = s.scalar(select(User).where(User.email == f"trainer@{PROVIDER_DOMAIN}"))
            if course is None or trainer is None:
                raise SystemExit(f"{COURSE!r} or its trainer is missing: run `lms demo`.")
            moment = now()
            # Nobody logs in with it; a learner without a password hash may not log in at all.
            password_hash = hash_password(secrets.token_urlsafe(16))
            users = []
            for number in range(learners):
                user = User(
                    email=f"buchung-{batch}-{number:04d}@booking-benchmark.example",
                    display_name=f"Buchung {batch} {number}",
                    company=company,
                    password_hash=password_hash,
                    created_at=moment,
                )
                user.grant(Role.LEARNER)
                s.add(user)
                users.append(user)
            s.flush()
            for user in users:
                learning.enroll(s, user, course, moment)
            starts_at = moment + timedelta(days=14)
            in_person = booking.schedule(
                s,
                course,
                UNIT,
                booking.SessionFields(
                    starts_at=starts_at,
                    minutes=90,
                    capacity=seats,
                    booking_deadline=starts_at - timedelta(days=1),
                    place="Benchmark-Raum",
                ),
                trainers=[trainer],
                companies=[company],
                by=trainer,
                now=moment,
            )
        round_ = {
            "session_id": in_person.id,
            "path": _book_path(app, in_person.id),
            "learners": [_session(app, user) for user in users],
        }
    out.write_text(json.dumps(round_))


def _book_path(app: Flask, session_id: int) -> str:
    with app.test_request_context():
        return url_for("learn.book", session_id=session_id)


def _session(app: Flask, user: User) -> dict[str, Any]:
    """The learner's id, session cookie and the CSRF token of that session."""
    # A fresh app context each: Flask-WTF keeps a context's token in `g`.
    with app.app_context(), app.test_request_context():
        login_user(user)
        session.permanent = True
        token = generate_csrf()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookie = serializer.dumps(dict(session))
    return {"user_id": user.id, "cookie": cookie, "csrf_token": token}


def count(round_file: Path) -> dict[str, Any]:
    """The round's bookings by status, learners without one, and the session's counter."""
    round_ = json.loads(round_file.read_text())
    user_ids = [learner["user_id"] for learner in round_["learners"]]
    app = create_app()
    with app.app_context(), db.begin() as s:
        in_person = s.get(InPersonSession, round_["session_id"])
        assert in_person is not None
        statuses = dict(
            s.execute(
                select(Booking.status, func.count())
                .where(Booking.session_id == in_person.id)
                .group_by(Booking.status)
            ).all()
        )
        booked_users = set(
            s.scalars(select(Booking.user_id).where(Booking.session_id == in_person.id)).all()
        )
        return {
            "statuses": statuses,
            "without_booking": len(set(user_ids) - booked_users),
            "others": len(booked_users - set(user_ids)),
            "booked": in_person.booked,
            "capacity": in_person.capacity,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description="Learners and a session for booking_bench.py.")
    steps = parser.add_subparsers(dest="step", required=True)
    make = steps.add_parser("prepare", help="new learners and a session; write ROUND.json")
    make.add_argument("--learners", type=int, required=True)
    make.add_argument("--seats", type=int, required=True)
    make.add_argument("--out", type=Path, required=True)
    read = steps.add_parser("count", help="print the round's bookings as JSON")
    read.add_argument("round_file", type=Path)
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.learners, args.seats, args.out)
    else:
        print(json.dumps(count(args.round_file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
