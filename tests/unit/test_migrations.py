"""Alembic is the only way the schema changes: models and migrations agree, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from lms import migrate
from lms.models import Base


def test_models_and_migrations_agree(app, db):
    connection = db.connection()
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
    )
    assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_the_newest_revision(app):
    assert migrate.current_revision(app) == migrate.head_revision(app)


def test_downgrade_to_base_and_upgrade_again_round_trips(tmp_path):
    """On a separate database (SQLite file, or the PostgreSQL test database itself)."""
    from tests.conftest import make_test_app, reset_database

    app = make_test_app(tmp_path)
    reset_database(app)
    engine = app.extensions["db"].engine
    tables = set(inspect(engine).get_table_names())
    assert {"users", "companies", "departments"} <= tables
    migrate.downgrade(app, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(app)
    assert set(inspect(engine).get_table_names()) == tables
    assert migrate.current_revision(app) == migrate.head_revision(app)
    engine.dispose()


def test_migrating_keeps_the_rows_that_point_at_a_rebuilt_table(tmp_path):
    """SQLite rebuilds tables in batch mode; rows pointing at them must survive.

    Downgrading 0014 rebuilds `users` (drops a column); with foreign keys left on,
    SQLite would delete every role, enrolment and booking of every user.
    """
    from sqlalchemy import func, select

    from lms.models import UserRole
    from tests.conftest import make_test_app, reset_database
    from tests.factories import make_company, make_user

    app = make_test_app(tmp_path)
    reset_database(app)
    database = app.extensions["db"]
    with database.begin() as session:
        make_user(session, make_company(session))
    with database.begin() as session:
        roles = session.scalar(select(func.count()).select_from(UserRole))
    assert roles == 1
    migrate.downgrade(app, "0013")
    migrate.upgrade(app)
    with database.begin() as session:
        assert session.scalar(select(func.count()).select_from(UserRole)) == roles
    reset_database(app)
    database.engine.dispose()


def test_0027_fills_the_item_statistics_from_the_answers_there_are(tmp_path):
    """Attempts and refresher answers given before the summary table existed: the upgrade
    counts them as their hand-ins would have; the downgrade drops the table."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from lms.content.importer import import_course
    from lms.models import Completion, Refresher, RefresherAnswer
    from lms.services import item_stats
    from tests.conftest import database_of_its_own, make_test_app, reset_database
    from tests.factories import make_company
    from tests.unit.test_course_parser import quiz, write_course
    from tests.unit.test_item_stats import (
        ATTEMPTS,
        STATS_QUIZ,
        add_attempt,
        same_figures,
        stored,
    )

    with database_of_its_own(tmp_path) as url:
        app = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(app)
        database = app.extensions["db"]
        folder = write_course(tmp_path, {"02-check.md": quiz(STATS_QUIZ)}, slug="statskurs")
        try:
            with app.test_request_context(), database.begin() as session:
                version = import_course(session, folder, datetime.now(UTC)).version
                company = make_company(session)
                for answers in [*ATTEMPTS, {"begriff": ("Grünspan", 0)}]:
                    attempt = add_attempt(session, version, company, answers)
                add_attempt(session, version, company, ATTEMPTS[0], status="open")
                # The last learner answered a refresher too.
                completion = Completion(
                    company_id=company.id, user_id=attempt.user_id, course_id=version.course_id,
                    enrollment_id=attempt.enrollment_id, version_id=version.id,
                )  # fmt: skip
                session.add(completion)
                session.flush()
                refresher = Refresher(
                    company_id=company.id, user_id=attempt.user_id, completion_id=completion.id,
                    course_id=version.course_id, version_id=version.id, step=0,
                    due_on=date(2026, 3, 9), language="de", answered_at=datetime.now(UTC),
                )  # fmt: skip
                session.add(refresher)
                session.flush()
                session.add(
                    RefresherAnswer(
                        refresher_id=refresher.id, version_id=version.id, unit_id="check",
                        question_id="farbe", position=0, response={"q-farbe": "2"},
                        score=Decimal(0), max_score=Decimal(1), correct=False, answered=True,
                    )
                )  # fmt: skip
                item_stats.count_refresher_answers(
                    session, version.id, [("check", "farbe", {"q-farbe": "2"}, False)]
                )
                version_id = version.id
                kept = stored(session, version_id)
                figures = item_stats.item_statistics(session, version_id, "check")
            assert kept and figures[0].refresher_answers == 1 and figures[0].attempts == 7

            migrate.downgrade(app, "0026")
            assert "item_stats" not in inspect(database.engine).get_table_names()
            migrate.upgrade(app)
            with app.app_context(), database.begin() as session:
                assert stored(session, version_id) == kept
                same_figures(item_stats.item_statistics(session, version_id, "check"), figures)
        finally:
            database.engine.dispose()
