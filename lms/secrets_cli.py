"""`lms secrets`: the key that encrypts stored secrets (lms.secret_box).

`new-key` prints a key for LMS_ENCRYPTION_KEYS; `rotate` encrypts every stored
secret with the first key (after a new key was put first, the old ones behind it);
`check` says whether every stored secret opens with the keys given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from lms import secret_box
from lms.cli import in_cli_language
from lms.models import LtiToolKey, SsoSettings, User, WebhookEndpoint

# Every column that holds a sealed secret.
SEALED_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    SsoSettings.client_secret,
    WebhookEndpoint.secret,
    User.totp_secret,
    LtiToolKey.private_key,  # Lernwerk's own LTI key (lms/lti/keys.py)
)


@click.group("secrets")
def secrets_group() -> None:
    """The key that encrypts the stored secrets (identity providers, webhooks, TOTP)."""


@secrets_group.command("new-key")
@in_cli_language
def new_key_command() -> None:
    """Print a new key for LMS_ENCRYPTION_KEYS."""
    click.echo(secret_box.new_key())


def _sealed(session: Session) -> Iterator[tuple[object, str, str]]:
    """(row, attribute, sealed value) of every stored secret."""
    for column in SEALED_COLUMNS:
        model = column.class_
        for row in session.scalars(select(model).where(column.is_not(None), column != "")):
            yield row, column.key, getattr(row, column.key)


@secrets_group.command("rotate")
@in_cli_language
def rotate_command() -> None:
    """Encrypt every stored secret with the first key of LMS_ENCRYPTION_KEYS."""
    from lms.db import db

    done = unreadable = 0
    with db.begin() as session:
        for row, attribute, sealed in list(_sealed(session)):
            try:
                setattr(row, attribute, secret_box.reseal(sealed))
                done += 1
            except secret_box.SecretUnreadable:
                unreadable += 1
    click.echo(_("%(done)d secrets encrypted with the first key.", done=done))
    if unreadable:
        raise click.ClickException(
            _("%(count)d secrets open with none of the keys: put the old key back into "
              "LMS_ENCRYPTION_KEYS (after the new one) and run this again.", count=unreadable)
        )  # fmt: skip


@secrets_group.command("check")
@in_cli_language
def check_command() -> None:
    """Say whether every stored secret opens with the keys of LMS_ENCRYPTION_KEYS."""
    from lms.db import db

    problems = secret_box.check_keys(current_app.config)
    for problem in problems:
        click.echo(problem, err=True)
    total = unreadable = 0
    with db.begin() as session:
        for _row, _attribute, sealed in _sealed(session):
            total += 1
            try:
                secret_box.open_sealed(sealed)
            except secret_box.SecretUnreadable:
                unreadable += 1
    if unreadable or problems:
        raise click.ClickException(
            _("%(count)d of %(total)d stored secrets open with none of the keys.",
              count=unreadable, total=total)
        )  # fmt: skip
    click.echo(_("All %(total)d stored secrets open.", total=total))
