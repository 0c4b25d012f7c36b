"""Guesses checked by many workers at the same moment: the account's budget still holds.

Each thread is a worker with its own session and real commits, on whichever database
the suite uses (SQLite by default, PostgreSQL with LMS_DATABASE_URL); the failures it
writes are removed afterwards.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import delete

from lms.models import SignInFailure
from lms.services import throttling

WORKERS = 16
BUDGETS = throttling.Budgets(
    per_account=throttling.budgets("10 per hour"),
    per_network=throttling.budgets("5 per 15 minutes"),
    per_device=throttling.budgets("5 per 15 minutes"),
)


def test_of_many_guesses_at_once_exactly_the_budget_is_checked(app):
    database = app.extensions["db"]
    account = throttling.account_key("secret", "ziel@example.com")
    now = datetime.now(UTC)
    start = threading.Barrier(WORKERS)
    verdicts: list[throttling.Verdict] = []
    errors: list[BaseException] = []

    def guess(index: int) -> None:
        session = database.new_session()
        try:
            start.wait()
            verdict = throttling.reserve(
                session,
                kind="login",
                account=account,
                user_id=None,
                network=f"203.0.{index}.0/24",
                trusted=False,
                limits_=BUDGETS,
                now=now,
            )
            session.commit()
            verdicts.append(verdict)
        except BaseException as exc:  # reported below
            errors.append(exc)
            session.rollback()
        finally:
            session.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(WORKERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sum(v.allowed for v in verdicts) == 10
        assert all(v.retry_after.total_seconds() > 3500 for v in verdicts if not v.allowed)
    finally:
        with database.begin() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.account == account))
