"""Alembic, driven from the app: the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["app"] = app
    # Inside a test transaction, migrate on that same connection.
    override = app.extensions["db"].bind_override
    if override is not None:
        cfg.attributes["connection"] = override
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)


def current_revision(app: Flask) -> str | None:
    override = app.extensions["db"].bind_override
    if override is not None:
        return MigrationContext.configure(override).get_current_revision()
    with app.extensions["db"].engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(app: Flask) -> str | None:
    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()


def known_revisions(app: Flask) -> set[str]:
    """Every revision this version's migrations know (a database at another one was
    made by a newer release)."""
    scripts = ScriptDirectory.from_config(alembic_config(app))
    return {script.revision for script in scripts.walk_revisions()}
