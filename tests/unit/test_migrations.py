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
