"""Open quiz attempts for the quiz-submit measurement of bench/http_bench.py.

http_bench.py runs this in the servers' environment (same instance folder,
database and secret key, from the LMS_* variables):

    python bench/quiz_pool.py --count 2000 --out ATTEMPTS.tsv

It creates `count` learners in a company of their own (so that the demo
companies' pages stay as they are), enrols each on the IT security course,
starts its knowledge check and answers every page right, as a learner who has
reached the summary before handing in would have done (the last page's "Next"
saves it and opens the summary). For each attempt it writes one line,
tab-separated: the attempt's path, the learner's session cookie and the form
body of the summary's "Hand in now" (lms/templates/learn/attempt_summary.html):
the session's CSRF token, the attempt's `sequence` as the summary showed it, its
`attempt_key` and `action=submit`, and no answers (the saved ones are graded).

The sessions are made the way the login makes them (`login_user`, permanent)
instead of by logging in over HTTP: that saves one password check of about
70 ms per learner, which the benchmark does not measure.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The LMS_* environment is the caller's: these imports read it.
from flask import Flask, session, url_for
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from lms import create_app
from lms.clock import now
from lms.content.stored import stored_questions
from lms.db import db
from lms.demo import right_fields
from lms.learn.quiz import _attempt_key  # the summary form's key, as the page signs it
from lms.models import Company, Course, QuizAttempt, Role, User
from lms.services import learning, quizzes
from lms.services.passwords import hash_password

COURSE = "it-sicherheit"
QUIZ_UNIT = "wissenscheck"
COMPANY = ("benchmark", "Benchmark GmbH")
BATCH_SIZE = 250  # learners per transaction

Fields = list[tuple[str, str]]


def prepare(count: int, out: Path) -> int:
    """Write `count` requests that each hand in an open attempt from its summary;
    return how many."""
    app = create_app()
    batch = secrets.token_hex(3)
    lines: list[str] = []
    with app.app_context():
        # Nobody logs in with it; a learner without a password hash may not log in at all.
        password_hash = hash_password(secrets.token_urlsafe(16))
        while len(lines) < count:
            numbers = range(len(lines), min(len(lines) + BATCH_SIZE, count))
            for user, attempt, sequence in _open_attempts(batch, numbers, password_hash):
                lines.append(_request_line(app, user, attempt, sequence))
    out.write_text("".join(lines))
    return len(lines)


def _open_attempts(
    batch: str, numbers: range, password_hash: str
) -> list[tuple[User, QuizAttempt, int]]:
    """Learners with an open attempt whose pages are all answered and saved (one
    transaction), each with the attempt's `sequence` as its summary shows it."""
    ready = []
    with db.begin() as s:
        company = s.scalar(select(Company).where(Company.short_name == COMPANY[0]))
        if company is None:
            company = Company(short_name=COMPANY[0], name=COMPANY[1])
            s.add(company)
        course = s.scalar(select(Course).where(Course.slug == COURSE))
        if course is None:
            raise SystemExit(f"The course {COURSE!r} is missing: run `lms demo` first.")
        moment = now()
        for number in numbers:
            user = User(
                email=f"lernende-{batch}-{number:05d}@benchmark.example",
                display_name=f"Lernende {number}",
                company=company,
                password_hash=password_hash,
                created_at=moment,
            )
            user.grant(Role.LEARNER)
            s.add(user)
            s.flush()
            enrollment = learning.enroll(s, user, course, moment)
            language = enrollment.version.language
            attempt = quizzes.start_attempt(s, enrollment, QUIZ_UNIT, language, moment)
            for page in range(1, quizzes.page_count(attempt) + 1):
                form: dict[str, list[str]] = {}
                for name, value in _right_answers(attempt, page):
                    form.setdefault(name, []).append(value)
                quizzes.save_page(s, attempt, page, form)
            s.flush()
            ready.append((user, attempt, attempt.sequence))
    return ready


def _right_answers(attempt: QuizAttempt, page: int) -> Fields:
    """The form fields that answer one page of the attempt right."""
    keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, QUIZ_UNIT)}
    public = quizzes.public_questions(attempt)
    fields: Fields = []
    for entry in quizzes.page_entries(attempt, page):
        for name, value in right_fields(keys[entry["id"]], public[entry["id"]]).items():
            fields += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return fields


def _request_line(app: Flask, user: User, attempt: QuizAttempt, sequence: int) -> str:
    """Path, session cookie and body of the summary's POST that hands the attempt in."""
    # A fresh app context each: Flask-WTF keeps a context's token in `g`.
    with app.app_context(), app.test_request_context():
        login_user(user)
        session.permanent = True
        token = generate_csrf()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookie = serializer.dumps(dict(session))
        path = url_for("learn.attempt", slug=COURSE, unit_id=QUIZ_UNIT, number=attempt.number)
        key = _attempt_key(attempt.id, user.session_version)
    body = urllib.parse.urlencode(
        [
            ("csrf_token", token),
            ("sequence", str(sequence)),
            ("attempt_key", key),
            ("action", "submit"),
        ]
    )
    return f"{path}\t{cookie}\t{body}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Open quiz attempts for bench/http_bench.py.")
    parser.add_argument("--count", type=int, required=True, help="open attempts to prepare")
    parser.add_argument("--out", type=Path, required=True, help="file for the requests")
    args = parser.parse_args()
    started = time.perf_counter()
    written = prepare(args.count, args.out)
    print(f"{written} open attempts in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
