"""`lms people import`: bulk import of a company's people from CSV or XLSX (a dry run by default).

The file format and the rules are described in `lms.people.importing`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from lms.clock import now


@click.group("people")
def people_group() -> None:
    """The people of a company: bulk import from a spreadsheet."""


@people_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--company", "company_short", required=True, metavar="SHORT", help="Short name of the company."
)
@click.option(
    "--apply", "do_apply", is_flag=True, help="Carry out the changes (without it: only show them)."
)
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Also deactivate the company's learners and managers missing from the file.",
)
@click.option(
    "--lang",
    type=click.Choice(["de", "en"]),
    default="de",
    show_default=True,
    help="Language of the problem messages.",
)
@with_appcontext
def people_import_command(
    file: Path, company_short: str, do_apply: bool, deactivate_missing: bool, lang: str
) -> None:
    """Import people from FILE (CSV or XLSX) into a company; new people are invited.

    Prints every problem as `line N: message`, then what would change. With
    --apply, a file without errors is imported in one transaction, with an
    invitation in their language for each new person (queued in the outbox,
    sent by `lms mail send`). Exits with status 1 if the file has errors
    (nothing is changed then).
    """
    from lms.db import db
    from lms.models import Company, User
    from lms.people import importing as people_import
    from lms.services.account_mail import invite_all

    with file.open("rb") as handle:  # no more than the limit (and one byte to notice it)
        data = handle.read(people_import.MAX_BYTES + 1)
    base_url = current_app.config["BASE_URL"]
    invited = 0
    with current_app.test_request_context(base_url=base_url), force_locale(lang):
        with db.begin() as session:
            company = session.scalar(select(Company).where(Company.short_name == company_short))
            if company is None:
                raise click.ClickException(f"No company with the short name {company_short!r}.")
            plan = people_import.plan(
                session,
                company,
                people_import.read_file(data, file.name),
                deactivate_missing=deactivate_missing,
            )
            for problem in plan.problems:
                click.echo(problem.format())
            for change in plan.changes:
                if change.action is not people_import.Action.UNCHANGED:
                    click.echo(change.describe())
            counts = plan.counts()
            click.echo(", ".join(f"{action}: {counts[action]}" for action in people_import.Action))
            if plan.has_errors:
                click.echo("Nothing was changed: correct the file and run again.", err=True)
                raise SystemExit(1)
            if not do_apply:
                click.echo("Dry run: nothing was changed. Run again with --apply to import.")
                return
            if counts[people_import.Action.UNCHANGED] == len(plan.changes):
                click.echo("Nothing to change.")
                return
            summary = people_import.apply(session, company, plan, None, now())
            lifetime = timedelta(days=current_app.config["INVITE_TOKEN_DAYS"])
            newcomers = [session.get(User, user_id) for user_id in summary.new_people_ids]
            people = [person for person in newcomers if person is not None]
            # In the import's transaction: committed with it, or not at all.
            invite_all(session, people, now(), lifetime)
            invited = len(people)
        click.echo(f"Imported into {company_short}.")
    if invited:
        click.echo(f"Invitations queued: {invited} (sent by lms mail send).")
