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
