"""`lms people import`: bulk import of a company's people from CSV or XLSX (a dry run by default).

The file format and the rules are described in `lms.people.importing`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.cli import cli_language, in_cli_language
from lms.clock import now
from lms.people.importing import Action, Change

# What the dry run calls each action and each changed field.
ACTIONS = {
    Action.CREATE: _l("create"),
    Action.UPDATE: _l("update"),
    Action.MOVE: _l("move"),
    Action.UNCHANGED: _l("unchanged"),
    Action.DEACTIVATE: _l("deactivate"),
}
FIELDS = {
    "email": _l("e-mail address"),
    "display_name": _l("name"),
    "personnel_number": _l("personnel number"),
    "department_id": _l("department"),
    "manager": _l("roles"),
    "language": _l("language"),
}


def describe(change: Change) -> str:
    """One line of the dry run in the run's language, e.g. `line 4: move
    anna@example.com (department: Lager)`."""
    shown = []
    for name, value in change.updates.items():
        if name == "department_id":
            value = change.department or "–"
        elif name == "manager":
            value = _("employee, manager") if value else _("employee")
        elif value is None:
            value = "–"
        shown.append(f"{FIELDS.get(name, name.replace('_', ' '))}: {value}")
    text = f"{ACTIONS[change.action]} {change.who}"
    if shown:
        text += f" ({', '.join(shown)})"
    return _("line %(line)s: %(message)s", line=change.line, message=text) if change.line else text


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
    default=None,
    help="Language of the output (default: LMS_CLI_LANGUAGE, else the locale).",
)
@in_cli_language
def people_import_command(
    file: Path, company_short: str, do_apply: bool, deactivate_missing: bool, lang: str | None
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
    with current_app.test_request_context(base_url=base_url), force_locale(lang or cli_language()):
        with db.begin() as session:
            company = session.scalar(select(Company).where(Company.short_name == company_short))
            if company is None:
                raise click.ClickException(
                    _("No company with the short name %(name)s.", name=repr(company_short))
                )
            plan = people_import.plan(
                session,
                company,
                people_import.read_file(data, file.name),
                deactivate_missing=deactivate_missing,
            )
            for problem in plan.problems:
                click.echo(problem.format())
            for change in plan.changes:
                if change.action is not Action.UNCHANGED:
                    click.echo(describe(change))
            counts = plan.counts()
            click.echo(", ".join(f"{ACTIONS[action]}: {counts[action]}" for action in Action))
            if plan.has_errors:
                click.echo(_("Nothing was changed: correct the file and run again."), err=True)
                raise SystemExit(1)
            if not do_apply:
                click.echo(_("Dry run: nothing was changed. Run again with --apply to import."))
                return
            if counts[Action.UNCHANGED] == len(plan.changes):
                click.echo(_("Nothing to change."))
                return
            summary = people_import.apply(session, company, plan, None, now())
            lifetime = timedelta(days=current_app.config["INVITE_TOKEN_DAYS"])
            newcomers = [session.get(User, user_id) for user_id in summary.new_people_ids]
            # People without an address get no mail: HR prints them a letter or a card.
            people = [person for person in newcomers if person is not None and person.has_email]
            # In the import's transaction: committed with it, or not at all.
            invite_all(session, people, now(), lifetime)
            invited = len(people)
        click.echo(_("Imported into %(company)s.", company=company_short))
        if invited:
            click.echo(_("Invitations queued: %(num)d (sent by lms mail send).", num=invited))
