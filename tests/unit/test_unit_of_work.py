"""The request is one unit of work: the boundary commits an answer below 400 and rolls
back anything else (an error page, a form answered 422, a refused change)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask, abort, redirect
from sqlalchemy import func, select

from lms.db import db
from lms.models import AuditEntry
from lms.permissions import public
from tests.conftest import database_of_its_own, make_test_app, reset_database


def _note(action: str) -> None:
    db.session.add(AuditEntry(action=action, at=datetime.now(UTC), changes={}))
    db.session.flush()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app of its own with views that change something and answer in different ways."""
    tmp_path = tmp_path_factory.mktemp("unit_of_work")
    with database_of_its_own(tmp_path) as url:
        application = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(application)

        @public
        def answered(status: int) -> tuple[str, int]:
            _note(f"answered-{status}")
            return "done", status

        @public
        def refused() -> object:
            _note("refused")
            db.refuse("a rule of the service said no")
            return redirect("/")

        @public
        def aborted() -> None:
            _note("aborted")
            abort(404)

        @public
        def failed() -> None:
            _note("failed")
            raise RuntimeError("a bug")

        @public
        def read_then_write() -> str:
            with db.reading():
                db.session.scalar(select(func.count()).select_from(AuditEntry))
            began_anew = not db.session.in_transaction()
            _note("after-reading")
            return "anew" if began_anew else "same"

        application.add_url_rule("/t/answered/<int:status>", view_func=answered, methods=["POST"])
        application.add_url_rule("/t/refused", view_func=refused, methods=["POST"])
        application.add_url_rule("/t/aborted", view_func=aborted, methods=["POST"])
        application.add_url_rule("/t/failed", view_func=failed, methods=["POST"])
        application.add_url_rule("/t/read", view_func=read_then_write, methods=["POST"])
        yield application
        application.extensions["db"].engine.dispose()


def _kept(app: Flask, action: str) -> bool:
    with app.app_context():
        return (
            db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == action)) is not None
        )


@pytest.mark.parametrize(("status", "kept"), [(200, True), (302, True), (409, False), (422, False)])
def test_an_answer_below_400_keeps_the_change_and_any_other_rolls_it_back(app, status, kept):
    assert app.test_client().post(f"/t/answered/{status}").status_code == status
    assert _kept(app, f"answered-{status}") is kept


def test_a_refused_change_is_rolled_back_and_the_reason_logged(app, caplog):
    with caplog.at_level(logging.INFO, logger="lms.db"):
        assert app.test_client().post("/t/refused").status_code == 302
    assert not _kept(app, "refused")
    assert "a rule of the service said no" in caplog.text


def test_an_error_page_or_an_exception_keeps_nothing(app, caplog):
    client = app.test_client()
    assert client.post("/t/aborted").status_code == 404
    with caplog.at_level(logging.CRITICAL, logger="lms.errors"):
        assert client.post("/t/failed").status_code == 500
    assert not _kept(app, "aborted") and not _kept(app, "failed")


def test_the_writes_after_a_reading_block_begin_a_transaction_of_their_own(app):
    answer = app.test_client().post("/t/read")
    assert answer.get_data(as_text=True) == "anew"
    assert _kept(app, "after-reading")
