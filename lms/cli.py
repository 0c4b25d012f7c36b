"""The `lms` command: database, accounts, demo data, and serving the app."""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command, with_appcontext
from flask.cli import run_command as flask_run_command
from flask_babel import force_locale, format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from config import PROFILE_FILE
from lms import ConfigurationError, create_app, instance_folder
from lms.clock import now, today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lms.login_cards.demo import ShopFloorDemo
    from lms.sso.demo import SsoDemo
    from lms.tokens.demo import TokensDemo
    from lms.two_factor.demo import TwoFactorDemo

# --- The language of the output ---------------------------------------------------------


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The language a command writes in: LMS_CLI_LANGUAGE, else the locale as POSIX
    reads it (LC_ALL, then LC_MESSAGES, then LANG): "de…" is German, anything else
    (C, POSIX, en_US.UTF-8, nothing) English."""
    env = os.environ if environ is None else environ
    for name in ("LMS_CLI_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return "de" if env[name].strip().lower().startswith("de") else "en"
    return "en"


P = ParamSpec("P")
R = TypeVar("R")


def in_cli_language(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command in the app's context (as `with_appcontext`) with everything it
    prints in one language, `cli_language()`: its own lines and the messages it takes
    from elsewhere (a course file's problems, an import's) alike."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with force_locale(cli_language()):
            return command(*args, **kwargs)

    run.in_cli_language = True  # type: ignore[attr-defined]  # for the test of every command
    return with_appcontext(run)


def _create_app() -> Flask:
    try:
        return create_app()
    except ConfigurationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_version_option=False, add_default_commands=False
)
def main() -> None:
    """Lernwerk: hybrid learning for small and mid-sized companies."""


@click.command(
    "run", params=flask_run_command.params, help=flask_run_command.help, add_help_option=True
)
@click.pass_context
def run_command(ctx: click.Context, /, **options: Any) -> None:
    """Flask's development server, which refuses the debugger outside development."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    wants_debugger = options.get("debugger") or (options.get("debugger") is None and app.debug)
    if wants_debugger and app.config["ENV_NAME"] != "development":
        with app.app_context(), force_locale(cli_language()):
            refused = _(
                "The debugger runs code typed into a web page: it is refused in the "
                "%(profile)s profile. Use `lms serve`, or LMS_ENV=development.",
                profile=app.config["ENV_NAME"],
            )
        raise click.ClickException(refused)
    ctx.invoke(flask_run_command, **options)


main.add_command(run_command)
main.add_command(shell_command)
main.add_command(routes_command)


def profile_line(app: Flask) -> str:
    """Which profile runs and why, for the first line a server prints."""
    source = app.config.get("PROFILE_SOURCE", "given")
    if source == "LMS_ENV":
        reason = _("from LMS_ENV")
    elif source == "default":
        reason = _("no profile chosen")
    elif source == "given":
        reason = _("given")
    else:
        reason = _("from %(file)s", file=source)
    return _("%(profile)s profile, %(reason)s", profile=app.config["ENV_NAME"], reason=reason)


def register(app: Flask) -> None:
    """Add the commands to `app.cli`, where both `lms` and `flask --app lms` find them."""
    from lms.content.cli import courses_group
    from lms.mail_cli import mail_group
    from lms.people.cli import people_group
    from lms.secrets_cli import secrets_group

    courses_group.add_command(courses_import_command)
    courses_group.add_command(courses_open_command)
    for command in (db_group, create_admin_command, invite_command, demo_command, serve_command,
                    courses_group, xapi_group, reminders_command, people_group,
                    retention_command, mail_group, secrets_group):  # fmt: skip
        app.cli.add_command(command)


# --- Database -----------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Create and migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@in_cli_language
def db_upgrade(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    from lms import migrate

    migrate.upgrade(current_app, revision)
    click.echo(
        _("Database is at revision %(revision)s.", revision=migrate.current_revision(current_app))
    )


@db_group.command("downgrade")
@click.argument("revision")
@in_cli_language
def db_downgrade(revision: str) -> None:
    """Take the schema back to REVISION (e.g. -1 or base)."""
    from lms import migrate

    migrate.downgrade(current_app, revision)
    click.echo(
        _("Database is at revision %(revision)s.", revision=migrate.current_revision(current_app))
    )


@db_group.command("current")
@in_cli_language
def db_current() -> None:
    """Show the schema revision of the database and the newest one."""
    from lms import migrate

    click.echo(_("database: %(revision)s", revision=migrate.current_revision(current_app)))
    click.echo(_("newest:   %(revision)s", revision=migrate.head_revision(current_app)))


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@in_cli_language
def db_revision(message: str) -> None:
    """Write a new migration from the difference between models and database (review it!)."""
    from alembic import command

    from lms import migrate

    command.revision(migrate.alembic_config(current_app), message=message, autogenerate=True)


def _backup_folder() -> Path:
    return Path(current_app.config["BACKUP_DIR"] or Path(current_app.instance_path) / "backups")


def _prune_backups(folder: Path, keep_days: int | None, *, dry_run: bool) -> None:
    """Delete the backups in `folder` older than the rule (lms.services.retention)."""
    from lms import backup
    from lms.db import db
    from lms.services.retention import oldest_backup_kept

    days = keep_days or current_app.config["BACKUP_KEEP_DAYS"]
    with db.begin() as session:
        oldest = oldest_backup_kept(session, now(), days)
    moment = f"{oldest:%Y-%m-%d %H:%M}"
    click.echo(_("Backups taken before %(moment)s UTC are deleted.", moment=moment))
    for path in backup.prune(folder, oldest, dry_run=dry_run):
        click.echo(
            _("Would delete %(path)s.", path=path) if dry_run else _("Deleted %(path)s.", path=path)
        )


_KEEP_DAYS_HELP = (
    "Delete backups older than this many days (default: LMS_BACKUP_KEEP_DAYS, 30); never "
    "kept longer than the shortest retention period of any company."
)


@db_group.command("backup")
@click.option(
    "--to",
    "target",
    type=click.Path(path_type=Path),
    help="File or folder to write to (default: LMS_BACKUP_DIR, else instance/backups).",
)
@click.option("--keep-days", type=click.IntRange(min=1), help=_KEEP_DAYS_HELP)
@in_cli_language
def db_backup(target: Path | None, keep_days: int | None) -> None:
    """Write a consistent backup of the database, also while Lernwerk runs; then delete
    the old backups of its folder.

    SQLite: the online backup API, then SQLite's integrity check of the copy.
    PostgreSQL: pg_dump --format=custom (the PostgreSQL client tools must be on PATH).
    """
    from lms import backup

    url = current_app.config["SQLALCHEMY_DATABASE_URL"]
    target = target or _backup_folder()
    if target.is_dir() or not target.suffix:
        target = target / backup.backup_name(url, now())
    try:
        made = backup.back_up(url, target)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        _(
            "Backup written: %(path)s (%(size)s bytes, revision %(revision)s).",
            path=made.path,
            size=format_decimal(made.size),
            revision=made.revision,
        )
    )
    _prune_backups(made.path.parent, keep_days, dry_run=False)


@db_group.command("prune-backups")
@click.option("--keep-days", type=click.IntRange(min=1), help=_KEEP_DAYS_HELP)
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@in_cli_language
def db_prune_backups(keep_days: int | None, dry_run: bool) -> None:
    """Delete the backups in LMS_BACKUP_DIR that are older than the retention rule
    (`lms db backup` does it after every backup)."""
    _prune_backups(_backup_folder(), keep_days, dry_run=dry_run)


@db_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@in_cli_language
def db_restore(path: Path, yes: bool) -> None:
    """Replace the database with the backup PATH. Stop Lernwerk first.

    The backup is checked before (SQLite: integrity check; its schema revision must be
    one this version knows). Everything written since it was taken is lost; accounts
    erased since then are erased again.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from lms import backup, migrate
    from lms.audit import service as audit
    from lms.db import db
    from lms.models import Base

    url = current_app.config["SQLALCHEMY_DATABASE_URL"]
    try:
        revision = backup.backup_revision(url, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if revision is None or revision not in migrate.known_revisions(current_app):
        raise click.ClickException(
            _(
                "%(path)s is at schema revision %(revision)s, which this version of Lernwerk "
                "does not know: restore it with the release that made it.",
                path=path,
                revision=revision,
            )
        )
    shown = make_url(url).render_as_string(hide_password=True)
    if not yes:
        click.confirm(
            _(
                "Replace the database %(database)s with %(path)s (revision %(revision)s)? "
                "Everything written since the backup was taken is lost.",
                database=shown,
                path=path,
                revision=revision,
            ),
            abort=True,
        )
    try:
        with db.begin() as session:
            erased = backup.erased_accounts(session)
    except SQLAlchemyError:
        erased = set()  # no database yet, or one without accounts
    db.engine.dispose()  # this command's own connections must not count as "in use"
    try:
        backup.restore(url, path, Base.metadata.tables)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        _("Restored %(path)s: the database is at revision %(revision)s.", path=path,
          revision=revision)
    )  # fmt: skip
    head = migrate.head_revision(current_app)
    if revision != head:
        click.echo(_("The newest revision is %(revision)s: run `lms db upgrade` now.",
                     revision=head))  # fmt: skip
        if erased:
            ids = ", ".join(str(user_id) for user_id, _created in sorted(erased))
            click.echo(
                _(
                    "Accounts erased in the replaced database may be back with the backup: "
                    "after the upgrade, erase again those it holds (account ids %(ids)s).",
                    ids=ids,
                )
            )
        return
    with db.begin() as session:
        again = backup.erase_again(session, erased, now())
        audit.record(session, audit.Actor.command(), "db.restore", None, now(), changes={
            "backup": [None, path.name],
            "revision": [None, revision],
            "erased_again": [None, len(again)],
        })  # fmt: skip
    if again:
        click.echo(
            _("Erased again %(num)d accounts erased after the backup was taken.", num=len(again))
        )


# --- Accounts -----------------------------------------------------------------


@click.command("create-admin")
@click.argument("email")
@in_cli_language
def create_admin_command(email: str) -> None:
    """Create an administrator (or make EMAIL one) and print a first password once."""
    from lms.db import db
    from lms.services.accounts import AccountError, create_admin

    try:
        with db.begin() as session:
            user, password = create_admin(session, email, now())
            address = user.email
    except AccountError as exc:
        raise click.ClickException(
            _("Cannot create the administrator: %(reason)s", reason=exc.code)
        ) from exc
    click.echo(_("Administrator %(email)s is ready.", email=address))
    click.echo(
        _("First password (shown only now, must be changed at first login): %(password)s",
          password=password)
    )  # fmt: skip


@click.command("invite")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--company", "company_short", help="Short name of the company.")
@click.option("--department", default=None, help="Department name within the company.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["learner", "manager", "trainer", "admin"]),
    default=["learner"],
    show_default=True,
)
@click.option("--language", type=click.Choice(["de", "en"]), default=None)
@in_cli_language
def invite_command(
    email: str,
    name: str,
    company_short: str | None,
    department: str | None,
    roles: tuple[str, ...],
    language: str | None,
) -> None:
    """Create an account for EMAIL and send an invitation link by e-mail."""
    from datetime import timedelta

    from flask import url_for

    from lms.db import db
    from lms.models import Company, Department, Role
    from lms.services.account_mail import invite
    from lms.services.accounts import AccountError, NewPerson, create_user

    with db.begin() as session:
        company = None
        if company_short:
            company = session.scalar(select(Company).where(Company.short_name == company_short))
            if company is None:
                raise click.ClickException(
                    _("No company with the short name %(name)s.", name=repr(company_short))
                )
        dept = None
        if department:
            if company is None:
                raise click.ClickException(_("--department needs --company."))
            dept = session.scalar(
                select(Department).where(
                    Department.company_id == company.id, Department.name == department
                )
            )
            if dept is None:
                raise click.ClickException(
                    _("No department %(name)s in %(company)s.", name=repr(department),
                      company=company.name)
                )  # fmt: skip
        try:
            user = create_user(
                session,
                NewPerson(
                    email=email,
                    display_name=name,
                    roles=tuple(Role(r) for r in roles),
                    company=company,
                    department=dept,
                    language=language,
                ),
                now(),
            )
        except AccountError as exc:
            raise click.ClickException(
                _("Cannot invite %(email)s: %(reason)s", email=email, reason=exc.code)
            ) from exc
        lifetime = timedelta(days=current_app.config["INVITE_TOKEN_DAYS"])
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            raw = invite(session, user, now(), lifetime)
            link = url_for("auth.accept_invitation", token=raw, _external=True)
    click.echo(_("Invitation queued for %(email)s (sent by lms mail send).", email=user.email))
    click.echo(_("Link: %(link)s", link=link))


# --- Demo data ----------------------------------------------------------------


def write_development_profile(instance: Path) -> Path | None:
    """Choose the development profile for this instance folder, unless a profile is
    chosen already (LMS_ENV, or the folder's `profile` file). Returns the file written."""
    path = instance / PROFILE_FILE
    if os.environ.get("LMS_ENV") or path.exists():
        return None
    instance.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `lms demo`: this instance runs the development profile, for trying\n"
        "# Lernwerk on one machine (a generated secret key in secret_key, cookies without\n"
        "# Secure, mails printed in the server's output). Never for real people's data.\n"
        "# Delete this file, or set LMS_ENV, to choose another profile.\n"
        "development\n",
        encoding="utf-8",
    )
    return path


@click.command("demo")
@click.option("--password", default=None, help="Password for every demo account.")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@click.option("--force", is_flag=True, help="Allow demo data in the production profile.")
@click.pass_context
def demo_command(ctx: click.Context, password: str | None, as_json: bool, force: bool) -> None:
    """Create (or refresh) demo companies, people and accounts. Safe to run twice.

    On an install that chose no profile, writes the development profile into the
    instance folder first, so that `lms serve` runs the demo afterwards.
    """
    written = write_development_profile(instance_folder())
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context(), force_locale(cli_language()):
        if written is not None and not as_json:
            click.echo(
                _("Wrote %(file)s: this install runs the development profile.", file=written)
            )
        _seed_demo(password, as_json, force)


# Found without loading the app, so that it can choose the profile the app loads with.
main.add_command(demo_command)


def _seed_demo(password: str | None, as_json: bool, force: bool) -> None:
    from lms import demo, migrate
    from lms.db import db
    from lms.notices import demo as notices_demo

    if current_app.config["ENV_NAME"] == "production" and not force:
        raise click.ClickException(
            _("Refusing to add demo data to a production install (use --force).")
        )
    migrate.upgrade(current_app)
    with db.begin() as session:
        accounts = demo.seed(session, password or demo.DEFAULT_PASSWORD, now())
        demo.every_overview_changed(session)
    imported = _import_all_courses(quiet=as_json)
    base_url = current_app.config["BASE_URL"]
    with db.begin() as session, current_app.test_request_context(base_url=base_url):
        demo.seed_progress(session, now())
        demo.seed_assignments(session, now(), today())
        demo.seed_sessions(session, now())
        demo.seed_hybrid_extras(session, now())
        demo.seed_admin_extras(session, now())
        demo.seed_external_records(session, now())
        notices_demo.seed_notices(session, list(demo.TOUR), now())
        demo.seed_authoring(session, now())
        shop_floor = _seed_shop_floor(session)
        connected = _seed_connected_systems(session)
        two_factor = _seed_two_factor(session)
        _seed_packages(session)
        demo.every_overview_changed(session)
    if as_json:
        click.echo(json.dumps([a.as_dict() for a in accounts], ensure_ascii=False, indent=2))
        return
    click.echo(demo.format_table(accounts, password or demo.DEFAULT_PASSWORD))
    if shop_floor is not None:
        click.echo(_shop_floor_text(shop_floor))
    if two_factor is not None:
        click.echo(_two_factor_text(two_factor))
    if connected is not None:
        click.echo(_connected_text(*connected, base_url))
    if imported:
        click.echo(_("Modules: %(titles)s", titles=", ".join(imported)))


def _seed_shop_floor(session: Session) -> ShopFloorDemo | None:
    from lms import demo
    from lms.login_cards import demo as shop_floor_demo

    found = demo.shop_floor_people(session)
    if found is None or len(found[2]) < 2:
        return None
    company, manager_email, people = found
    return shop_floor_demo.seed_shop_floor(
        session, company, manager_email, f"admin@{demo.PROVIDER_DOMAIN}", people[:-1], people[-1:],
        Path(current_app.instance_path), now(),
    )  # fmt: skip


def _seed_two_factor(session: Session) -> TwoFactorDemo | None:
    from lms import demo
    from lms.two_factor import demo as two_factor_demo

    return two_factor_demo.seed_two_factor(session, f"admin@{demo.PROVIDER_DOMAIN}", now())


def _two_factor_text(two_factor: TwoFactorDemo) -> str:
    lines = [
        "",
        _("Second factor of %(email)s (required for admins): add the key %(key)s to an "
          "authenticator app (time-based), or print the current code with",
          email=two_factor.email, key=two_factor.key),
        "  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('"
        + two_factor.key.replace(" ", "") + "').now())\"",
    ]  # fmt: skip
    if two_factor.recovery_codes:
        lines.append(_("Recovery codes (each works once; shown only now): %(codes)s",
                       codes=", ".join(two_factor.recovery_codes)))  # fmt: skip
    return "\n".join(lines)


def _seed_connected_systems(session: Session) -> tuple[SsoDemo, TokensDemo] | None:
    """Müller Metallbau's single sign-on against the test provider, and its tokens."""
    from lms import demo
    from lms.models import Company
    from lms.sso import demo as sso_demo
    from lms.tokens import demo as tokens_demo

    company = session.scalar(select(Company).where(Company.short_name == demo.SSO_COMPANY))
    if company is None:
        return None
    return (sso_demo.seed_sso(session, company, now()),
            tokens_demo.seed_tokens(session, company, now()))  # fmt: skip


def _seed_packages(session: Session) -> None:
    """The fire-safety module's package played by people of the SSO company, whose Moodle
    is registered as an LTI platform."""
    from lms import demo
    from lms.models import Company
    from lms.packages import demo as packages_demo

    company = session.scalar(select(Company).where(Company.short_name == demo.SSO_COMPANY))
    packages_demo.seed_packages(session, now())
    if company is not None:
        packages_demo.seed_lti(session, company, now())


def _connected_text(sso: SsoDemo, tokens: TokensDemo, base_url: str) -> str:
    scim_url = base_url + "/scim/v2/"
    return "\n".join([
        "",
        _("Single sign-on at %(company)s (addresses @%(domain)s, any password at the test "
          "provider): start the provider with", company=sso.company, domain=sso.domain),
        "  " + sso.command,
        _("API token of %(company)s: %(token)s", company=tokens.company, token=tokens.api_token),
        f"  curl -H 'Authorization: Bearer {tokens.api_token}' {base_url}/api/v1/people",
        _("SCIM token of %(company)s: %(token)s (at %(url)s)", company=tokens.company,
          token=tokens.scim_token, url=scim_url),
    ])  # fmt: skip


def _shop_floor_text(shop_floor: ShopFloorDemo) -> str:
    lines = [
        "",
        _(
            "Without an e-mail address at %(company)s: sign-in code %(code)s, "
            "personnel number, PIN %(pin)s (at /pin/):",
            company=shop_floor.company,
            code=shop_floor.sign_in_code,
            pin=shop_floor.pin,
        ),
    ]
    for name, number in shop_floor.with_card:
        lines.append(
            "  " + _("%(name)s, personnel number %(number)s: login card", name=name, number=number)
        )
    for name, number in shop_floor.with_letter:
        lines.append(
            "  "
            + _(
                "%(name)s, personnel number %(number)s: invitation letter, no PIN yet",
                name=name,
                number=number,
            )
        )
    lines.append(_("Printed login cards: %(path)s", path=shop_floor.cards_file))
    lines.append(_("Printed invitation letter: %(path)s", path=shop_floor.letters_file))
    lines.append(
        _(
            "Shared device: “%(device)s”; make your browser one under “Shared devices” "
            "(as the company's manager).",
            device=shop_floor.device,
        )
    )
    return "\n".join(lines)


# --- Serving --------------------------------------------------------------------


def default_workers() -> int:
    return (os.cpu_count() or 1) * 2 + 1


# The collector's first generation runs after this many new objects (Python's
# default is 700; a page makes several thousand, so it ran a few times per page).
GC_THRESHOLD_0 = 20_000


def prepare_worker_gc() -> None:
    """Tune the garbage collector for a worker whose app is loaded.

    The loaded app is some 180,000 long-lived objects (models, statements,
    templates, catalogues) that every full collection would walk again: a
    third of a lesson page's CPU time (issue 4). Moving them to the permanent
    generation (`gc.freeze`) leaves the collector only what requests create;
    cycles among those are still collected, less often.
    """
    gc.collect()
    gc.freeze()
    _threshold0, threshold1, threshold2 = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD_0, threshold1, threshold2)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Default: 2 × CPU cores + 1.")
@click.option("--access-log/--no-access-log", default=True)
@click.option("--with-mailer", is_flag=True,
              help="Also send the outbox's mails (every 30 s), for small installs.")  # fmt: skip
def serve_command(
    host: str, port: int, workers: int | None, access_log: bool, with_mailer: bool
) -> None:
    """Serve the app with gunicorn (for development with reload use `lms run --debug`)."""
    from gunicorn.app.base import BaseApplication

    from lms.mail_cli import start_mailer, stop_mailer

    checked = _create_app()  # fail early, in this process, on a bad configuration

    class Server(BaseApplication):
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                if key in self.cfg.settings:  # settings of newer gunicorns are skipped
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            app = create_app()
            prepare_worker_gc()
            return app

    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "accesslog": "-" if access_log else None,
        # Links from e-mails carry tokens in their path: the access log masks them.
        "logger_class": "lms.serving.MaskingLogger",
        # No control socket (gunicorn 25.1+): it lives at one path in the home folder,
        # which a second instance on the same machine would take over.
        "control_socket_disable": True,
        "timeout": 60,
        "graceful_timeout": 20,
    }
    url = f"http://{host}:{port}"
    with checked.app_context(), force_locale(cli_language()):
        banner = ngettext(
            "Lernwerk (%(profile)s) runs at %(url)s with %(num)d worker.",
            "Lernwerk (%(profile)s) runs at %(url)s with %(num)d workers.",
            options["workers"],
            profile=profile_line(checked),
            url=url,
        )
        if with_mailer:
            banner += " " + _("Mail goes out every 30 s.")
    click.echo(banner)
    mailer = start_mailer() if with_mailer else None
    try:
        Server(options).run()
    finally:
        if mailer is not None:
            stop_mailer(mailer)


# --- Courses ----------------------------------------------------------------------


@click.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@in_cli_language
def courses_import_command(path: Path | None) -> None:
    """Import one course folder, or every course in PATH (default: ./courses).

    Each course is imported completely or not at all; a course with errors keeps
    its previous version. Exits with status 1 if any course failed.
    """
    from lms.content.cli import course_folders, default_courses_dir

    root = path or default_courses_dir()
    failed = _import_courses(course_folders(root), quiet=False)[1]
    failed += _import_paths(root, quiet=False)
    if failed:
        raise SystemExit(1)


@click.command("open")
@click.argument("slug")
@click.option("--shared", is_flag=True, help="Open the course to every company.")
@click.option("--company", "companies", multiple=True, metavar="SHORT",
              help="Open it only to this company (repeat for several).")  # fmt: skip
@in_cli_language
def courses_open_command(slug: str, shared: bool, companies: tuple[str, ...]) -> None:
    """Say which companies see a course in their catalogue: all (--shared) or the listed.

    Assignments made before stay; the course only leaves the other catalogues.
    """
    from lms.audit.service import Actor
    from lms.db import db
    from lms.models import Company, Course
    from lms.services.catalogue import open_course

    if shared == bool(companies):
        raise click.UsageError(_("Give either --shared or one or more --company."))
    with db.begin() as session:
        course = session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            raise click.ClickException(_("No module %(slug)s.", slug=repr(slug)))
        found = {c.short_name: c for c in session.scalars(select(Company))}
        unknown = [name for name in companies if name not in found]
        if unknown:
            raise click.ClickException(_("Unknown companies: %(names)s.", names=", ".join(unknown)))
        open_course(
            session,
            Actor.command(),
            course,
            shared=shared,
            companies=[found[n] for n in companies],
            now=now(),
        )
    if shared:
        click.echo(_("%(slug)s: open to every company.", slug=slug))
    else:
        click.echo(_("%(slug)s: open to %(companies)s.", slug=slug, companies=", ".join(companies)))


def _import_courses(folders: list[Path], quiet: bool) -> tuple[list[str], int]:
    """Import each folder in its own transaction; return the live titles and the failures."""
    from lms.content.importer import ImportStatus, import_course
    from lms.db import db

    titles: list[str] = []
    failed = 0
    with current_app.test_request_context():  # the problems' messages are translated
        for folder in folders:
            with db.begin() as session:
                outcome = import_course(session, folder, now())
                number = outcome.version.number if outcome.version else None
                title = outcome.version.title if outcome.version else outcome.slug
            if not quiet:
                for problem in outcome.problems:
                    click.echo(problem.format())
                if outcome.status is ImportStatus.FAILED:
                    said = _("%(slug)s: not imported, the live version stays.", slug=outcome.slug)
                elif outcome.status is ImportStatus.UNCHANGED:
                    said = _("%(slug)s: unchanged (version %(n)s).", slug=outcome.slug, n=number)
                else:
                    said = _("%(slug)s: imported as version %(n)s.", slug=outcome.slug, n=number)
                click.echo(said)
            if outcome.status is ImportStatus.FAILED:
                failed += 1
            else:
                titles.append(f"{title} (v{number})")
    return titles, failed


def _import_all_courses(quiet: bool) -> list[str]:
    from lms.content.cli import course_folders, default_courses_dir

    folder = default_courses_dir()
    if not folder.is_dir():
        return []
    titles = _import_courses(course_folders(folder), quiet=quiet)[0]
    _import_paths(folder, quiet=quiet)
    return titles


def _import_paths(root: Path, quiet: bool) -> int:
    """Import the learning paths in `root`/_paths; return how many failed."""
    from lms.content.paths import import_paths
    from lms.db import db

    with current_app.test_request_context(), db.begin() as session:
        outcomes = import_paths(session, root, now())
    said = {"imported": _("imported"), "unchanged": _("unchanged"), "failed": _("not imported")}
    for name, status, problems in outcomes:
        if not quiet:
            for problem in problems:
                click.echo(problem.format())
            click.echo(f"{name}: {said.get(status, status)}.")
    return sum(status == "failed" for _name, status, _problems in outcomes)


# --- Learning records (xAPI) -----------------------------------------------------------


@click.group("xapi")
def xapi_group() -> None:
    """Learning records as xAPI statements: export, or push to a Learning Record Store."""


@xapi_group.command("export")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True,
              help="File to write (JSON lines).")  # fmt: skip
@click.option("--unsent", is_flag=True, help="Only statements not yet pushed to an LRS.")
@in_cli_language
def xapi_export_command(out: Any, unsent: bool) -> None:
    """Write every statement as one JSON object per line."""
    from lms.db import db
    from lms.services import xapi

    with db.begin() as session:
        for statement in xapi.all_statements(session, current_app.config["BASE_URL"], unsent):
            out.write(json.dumps(statement, ensure_ascii=False) + "\n")


@xapi_group.command("push")
@click.option("--endpoint", required=True, help="The LRS's xAPI endpoint, e.g. https://lrs/xapi")
@click.option("--user", "lrs_user", required=True)
@click.option("--password", "lrs_password", required=True)
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 1000))
@in_cli_language
def xapi_push_command(endpoint: str, lrs_user: str, lrs_password: str, batch: int) -> None:
    """Send unsent statements in batches; a failed run resumes where it stopped."""
    from lms.db import db
    from lms.services import xapi

    session = db.new_session()
    try:
        result = xapi.push(session, current_app.config["BASE_URL"], endpoint, lrs_user,
                           lrs_password, now(), batch_size=batch)  # fmt: skip
    finally:
        session.close()
    click.echo(ngettext("Sent %(num)d statement.", "Sent %(num)d statements.", result.sent))
    if result.error:
        click.echo(
            ngettext(
                "Stopped: %(error)s. %(num)d statement waits for the next run.",
                "Stopped: %(error)s. %(num)d statements wait for the next run.",
                result.remaining,
                error=result.error,
            )
        )
        raise SystemExit(1)


# --- Reminders ------------------------------------------------------------------------


@click.command("reminders")
@click.option("--dry-run", is_flag=True, help="Print the mails instead of sending them.")
@in_cli_language
def reminders_command(dry_run: bool) -> None:
    """E-mail learners about due, overdue and expiring assignments, managers a weekly digest.

    Meant for cron (e.g. twice a day): each mail is queued in the outbox (sent by
    `lms mail send`) and recorded with it, so running it again sends nothing twice.
    """
    from flask import url_for

    from lms.db import db
    from lms.services import reminders

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        links = reminders.Links(
            learn=url_for("learn.index", _external=True),
            team=url_for("manage.index", _external=True),
            to_do=url_for("manage.to_do.week", _external=True),
        )
    session = db.new_session()
    try:
        summary = reminders.send_reminders(
            session, now(), links, dry_run=dry_run, after_each=session.commit
        )
    finally:
        session.close()
    if dry_run:
        for mail in summary.mails:
            to, subject = (
                _("To: %(address)s", address=mail.to),
                _("Subject: %(subject)s", subject=mail.subject),
            )
            click.echo(f"{to}\n{subject}\n\n{mail.body}\n{'-' * 60}")
    # The kinds by their names in the code (due-soon, digest …), as the docs name them.
    kinds = ", ".join(
        f"{kind}: {summary.sent[kind]}" for kind in reminders.KINDS if summary.sent[kind]
    )
    number = len(summary.mails)
    if dry_run:
        said = ngettext("Would queue %(num)d e-mail", "Would queue %(num)d e-mails", number)
    else:
        said = ngettext("Queued %(num)d e-mail", "Queued %(num)d e-mails", number)
    click.echo(said + (f" ({kinds})." if kinds else "."))
    # People without an e-mail address: their reminders are notices in the app.
    if summary.notified:
        people = len(summary.notified)
        noticed = ", ".join(
            f"{kind}: {summary.noticed[kind]}" for kind in reminders.KINDS if summary.noticed[kind]
        )
        if dry_run:
            said = ngettext(
                "Would post notices to %(num)d person without an e-mail address",
                "Would post notices to %(num)d people without an e-mail address",
                people,
            )
        else:
            said = ngettext(
                "Posted notices to %(num)d person without an e-mail address",
                "Posted notices to %(num)d people without an e-mail address",
                people,
            )
        click.echo(f"{said} ({noticed}).")


# --- Retention --------------------------------------------------------------------------


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Show what would be erased and pruned.")
@in_cli_language
def retention_command(dry_run: bool) -> None:
    """Erase accounts unused for their company's retention period and prune old log entries.

    Meant for cron (e.g. nightly). The companies' retention is set on their admin page;
    log entries older than LMS_LOG_RETENTION_DAYS (default 3 years) are pruned.
    """
    from lms.audit import service as audit
    from lms.db import db
    from lms.services.retention import run_retention

    with db.begin() as session:
        result = run_retention(
            session, now(), log_days=current_app.config["LOG_RETENTION_DAYS"], dry_run=dry_run
        )
        if not dry_run:
            audit.record(session, audit.Actor.command(), "retention.run", None, now(), changes={
                "erased": [None, len(result.erased)],
                "log_entries_pruned": [None, result.audit_pruned + result.access_pruned],
            })  # fmt: skip
    for company, user_id in result.erased:
        if dry_run:
            click.echo(_("Would erase account %(id)s of %(company)s.", id=user_id, company=company))
        else:
            click.echo(_("Erased account %(id)s of %(company)s.", id=user_id, company=company))
    erased = len(result.erased)
    counts: dict[str, Any] = {
        "audit": result.audit_pruned,
        "access": result.access_pruned,
        "failures": result.failures_pruned,
        "mails": result.mails_pruned,
    }
    if dry_run:
        said = ngettext(
            "Would erase %(num)d account. Would prune %(audit)d audit and %(access)d access "
            "log entries and %(failures)d sign-in failures older than a day, %(mails)d mails "
            "sent over a week ago.",
            "Would erase %(num)d accounts. Would prune %(audit)d audit and %(access)d access "
            "log entries and %(failures)d sign-in failures older than a day, %(mails)d mails "
            "sent over a week ago.",
            erased,
            **counts,
        )
    else:
        said = ngettext(
            "Erased %(num)d account. Pruned %(audit)d audit and %(access)d access log entries "
            "and %(failures)d sign-in failures older than a day, %(mails)d mails sent over a "
            "week ago.",
            "Erased %(num)d accounts. Pruned %(audit)d audit and %(access)d access log entries "
            "and %(failures)d sign-in failures older than a day, %(mails)d mails sent over a "
            "week ago.",
            erased,
            **counts,
        )
    click.echo(said)
