"""Alembic environment: builds the app (or takes it from the caller) for its engine."""

from __future__ import annotations

from alembic import context

from lms.models import Base

config = context.config
app = config.attributes.get("app")
if app is None:  # plain `alembic` call: build the app from the environment
    from lms import create_app

    app = create_app()

engine = app.extensions["db"].engine
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by creating a copy and dropping the old one;
            # with foreign keys on, SQLite deletes every row that points at the dropped
            # table (ON DELETE CASCADE): a migration of `users` would empty
            # `user_roles`, `enrollments`, … The pragma works only outside a
            # transaction, so it is set on the driver before Alembic begins.
            driver = connection.connection.driver_connection
            driver.execute("PRAGMA foreign_keys = OFF")
        try:
            _run(connection)
            connection.commit()
            if sqlite:
                broken = driver.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken after migrating: {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=str(engine.url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
