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
        _run(connection)
        connection.commit()


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
