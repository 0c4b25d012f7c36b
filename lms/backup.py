"""Backups of the database while the app runs, their restore, and how long they are kept
(`lms db backup`, `lms db restore`, `lms db prune-backups`).

SQLite: the online backup API copies the database in one step, inside one read
transaction, so the copy is the database as it was at one moment, whatever the app
writes meanwhile (WAL lets writers go on). The copy is a single file (journal mode
DELETE) that must pass `PRAGMA integrity_check` before it gets its name. A restore
checks the backup the same way, copies it next to the database and renames it into
place, so the database is either the old one or the whole backup.

PostgreSQL: `pg_dump --format=custom` and, to restore, `pg_restore --clean --if-exists`
piped into `psql --single-transaction`: all or nothing. The password reaches the tools
in their environment (PGPASSWORD), never on a command line or in a message.

Backups are named `lernwerk-<UTC time>.sqlite3` or `.dump`; only files named so are
ever deleted, and only when older than the retention rule allows
(`lms.services.retention.oldest_backup_kept`). A restore brings back accounts erased
after the backup was taken: `erase_again` erases them once more.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms.models import User
from lms.services.erasure import erase_person

STAMP = "%Y%m%dT%H%M%SZ"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
_NAME = re.compile(r"^lernwerk-(\d{8}T\d{6}Z)\.(sqlite3|dump)$")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    revision: str | None  # the schema revision (Alembic) the backup is at
    size: int  # bytes


# --- Names and folders --------------------------------------------------------------


def backup_name(url: str, now: datetime) -> str:
    """`lernwerk-20260501T023000Z.sqlite3` (or `.dump` for PostgreSQL): the UTC time."""
    return f"lernwerk-{now.astimezone(UTC).strftime(STAMP)}{SUFFIXES[_backend(url)]}"


def taken_at(path: Path) -> datetime | None:
    """When a backup was taken, from its name; None for files not named by Lernwerk."""
    found = _NAME.match(path.name)
    if found is None:
        return None
    return datetime.strptime(found.group(1), STAMP).replace(tzinfo=UTC)


def _taken(path: Path) -> datetime:
    stamp = taken_at(path)
    assert stamp is not None
    return stamp


def backups_in(folder: Path) -> list[Path]:
    """The backups in `folder` named by Lernwerk, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if taken_at(path) is not None)


def prune(folder: Path, oldest_kept: datetime, *, dry_run: bool = False) -> list[Path]:
    """Delete the backups in `folder` taken before `oldest_kept`; return them.

    Only files named by Lernwerk are touched: a file named otherwise is never deleted."""
    old = [path for path in backups_in(folder) if _taken(path) < oldest_kept]
    if not dry_run:
        for path in old:
            path.unlink(missing_ok=True)
    return old


# --- Backup -------------------------------------------------------------------------


def back_up(url: str, target: Path) -> Backup:
    """Write a consistent backup of the database at `url` to `target` (a new file)."""
    if target.exists():
        raise BackupError(f"{target} exists already: give another name.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"Cannot make the folder {target.parent}: {exc}") from exc
    partial = target.with_name(f".{target.name}.partial")
    try:
        if _backend(url) == "sqlite":
            revision = _back_up_sqlite(_sqlite_path(url), partial)
        else:
            revision = _back_up_postgresql(make_url(url), partial)
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"The backup to {target} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, revision, target.stat().st_size)


def _back_up_sqlite(database: Path, partial: Path) -> str | None:
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    _private_file(partial)
    with (
        closing(sqlite3.connect(database, timeout=60)) as source,
        closing(sqlite3.connect(partial)) as copy,
    ):
        # pages=-1: in a single step, so in one read transaction of the source.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        revision = _checked_sqlite(copy, what="The backup")
    _sync(partial)
    return revision


def _back_up_postgresql(url: URL, partial: Path) -> str | None:
    _private_file(partial)
    conninfo, env = _libpq(url)
    _run(
        [_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={conninfo}"],
        env,
        "pg_dump",
    )
    return _postgresql_backup_revision(partial, env)


# --- Checking a backup ----------------------------------------------------------------


def backup_revision(url: str, backup: Path) -> str | None:
    """Check that `backup` is a whole backup for the database at `url`'s kind and return
    the schema revision it is at; BackupError if it is damaged or not a backup."""
    if not backup.is_file():
        raise BackupError(f"There is no file {backup}.")
    if _backend(url) == "sqlite":
        if backup.suffix == ".dump":
            raise BackupError(f"{backup} is a PostgreSQL backup; this database is SQLite.")
        _refuse_live_sqlite(backup)
        # Read-only and immutable: checking a backup never changes it.
        location = f"{backup.resolve().as_uri()}?mode=ro&immutable=1"
        with closing(sqlite3.connect(location, uri=True)) as copy:
            return _checked_sqlite(copy, what=str(backup))
    if backup.suffix == ".sqlite3":
        raise BackupError(f"{backup} is a SQLite backup; this database is PostgreSQL.")
    _conninfo, env = _libpq(make_url(url))
    return _postgresql_backup_revision(backup, env)


def _checked_sqlite(connection: sqlite3.Connection, *, what: str) -> str | None:
    """Run SQLite's integrity check; the Alembic revision if it passes."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(
                f"{what} is damaged (SQLite's integrity check: {'; '.join(problems[:3])})."
            )
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in tables:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a readable SQLite database ({exc}).") from exc
    return str(row[0]) if row else None


def _refuse_live_sqlite(path: Path) -> None:
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise BackupError(
            f"{path} has a write-ahead log beside it ({wal.name}): it is a database in use, "
            "not a backup. Make a backup of it with `lms db backup`."
        )


_COPY = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;$")


def _postgresql_backup_revision(backup: Path, env: dict[str, str]) -> str | None:
    """The revision in a pg_dump backup, read from the backup alone (no database), after
    reading the whole backup through once (a damaged one fails)."""
    pg_restore = _tool("pg_restore")
    _run([pg_restore, f"--file={os.devnull}", str(backup)], env, "pg_restore", what=str(backup))
    script = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(backup)],
        env,
        "pg_restore",
        what=str(backup),
    )
    lines = script.splitlines()
    for number, line in enumerate(lines[:-1]):
        if _COPY.match(line) and lines[number + 1] != "\\.":
            return lines[number + 1].strip()
    return None


def _dumped_tables(backup: Path, env: dict[str, str]) -> set[str]:
    listing = _run([_tool("pg_restore"), "--list", str(backup)], env, "pg_restore")
    return set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))


# --- Restore ----------------------------------------------------------------------------


def restore(url: str, backup: Path, known_tables: Iterable[str] = ()) -> str | None:
    """Replace the database at `url` with `backup`; return the backup's revision.

    Refuses (BackupError) while the database is in use, and a damaged backup.
    `known_tables` are Lernwerk's tables: on PostgreSQL those the backup does not hold
    (added by a later migration) are dropped, so that `lms db upgrade` can add them
    again."""
    if _backend(url) == "sqlite":
        try:
            return _restore_sqlite(backup, _sqlite_path(url))
        except OSError as exc:
            raise BackupError(f"The restore failed: {exc}") from exc
    try:
        return _restore_postgresql(make_url(url), backup, set(known_tables))
    except SQLAlchemyError as exc:
        raise BackupError(f"Cannot reach the database: {getattr(exc, 'orig', exc)}") from exc


def _restore_sqlite(backup: Path, database: Path) -> str | None:
    _refuse_live_sqlite(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(f".{database.name}.restore-{secrets.token_hex(4)}")
    try:
        _private_file(staged)
        with open(backup, "rb") as source, open(staged, "wb") as copy:
            shutil.copyfileobj(source, copy)
        with closing(sqlite3.connect(staged)) as connection:
            revision = _checked_sqlite(connection, what=str(backup))
        _sync(staged)
        if _sqlite_in_use(database):
            raise BackupError(
                f"The database {database} is in use: stop Lernwerk (every worker, and the "
                "`lms` commands run by cron), then restore."
            )
        _same_access(staged, database)
        for leftover in ("-wal", "-shm", "-journal"):
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        os.replace(staged, database)
        _sync(database.parent)
    finally:
        staged.unlink(missing_ok=True)
    return revision


def _sqlite_in_use(database: Path) -> bool:
    """Whether another connection has the database open.

    SQLite deletes the write-ahead log when the last connection closes: if it is still
    there after this one, which read the database, closed, someone else has it open."""
    if not database.exists():
        return False
    with closing(sqlite3.connect(database, timeout=60)) as connection:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return database.with_name(database.name + "-wal").exists()


def _restore_postgresql(url: URL, backup: Path, known_tables: set[str]) -> str | None:
    from sqlalchemy import text

    from lms.db import make_engine

    conninfo, env = _libpq(url)
    revision = _postgresql_backup_revision(backup, env)
    leftovers = sorted(known_tables - _dumped_tables(backup, env))
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            others = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            quote = connection.dialect.identifier_preparer.quote
            drops = "".join(f"DROP TABLE IF EXISTS {quote(name)} CASCADE;" for name in leftovers)
    finally:
        engine.dispose()
    if others:
        raise BackupError(
            f"{others} other connection(s) are open to the database {url.database}: stop "
            "Lernwerk (every instance, and the `lms` commands run by cron), then restore."
        )
    psql = [_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"]
    psql += ["--single-transaction", f"--dbname={conninfo}"]
    if drops:
        psql.append(f"--command={drops}")
    psql.append("--file=-")
    dump_cmd = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    dump_cmd += ["--file=-", str(backup)]
    _pipe(dump_cmd, psql, env)
    return revision


def _pipe(dump_cmd: list[str], psql: list[str], env: dict[str, str]) -> None:
    """Feed pg_restore's script to psql, which runs it in one transaction.

    psql commits when its input ends, so the script is passed on here rather than by a
    pipe between the two: if pg_restore fails half-way, psql is stopped before the end
    of its input and the database rolls the transaction back."""
    with tempfile.TemporaryFile() as dump_errors, tempfile.TemporaryFile() as load_errors:
        load = subprocess.Popen(  # noqa: S603
            psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_errors, env=env
        )
        dump = subprocess.Popen(dump_cmd, stdout=subprocess.PIPE, stderr=dump_errors, env=env)  # noqa: S603
        assert load.stdin is not None and dump.stdout is not None
        stopped = False
        try:
            shutil.copyfileobj(dump.stdout, load.stdin)
        except BrokenPipeError:
            stopped = True  # psql stopped at an error and rolled back: reported below
            dump.kill()
        dump.stdout.close()
        failed = dump.wait() != 0 and not stopped
        if failed:
            load.kill()  # before the end of its input: nothing is committed
        with suppress(BrokenPipeError):
            load.stdin.close()  # the end of its input: psql commits
        if failed:
            load.wait()
            raise BackupError(f"pg_restore failed, nothing changed: {_tail(dump_errors)}")
        if load.wait() != 0:
            raise BackupError(
                f"The restore failed and changed nothing (one transaction): {_tail(load_errors)}"
            )


# --- Helpers ------------------------------------------------------------------------------


def _backend(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"Backups of {backend} databases are not supported.")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError("The SQLite database has no file.")
    return Path(database)


def _private_file(path: Path) -> None:
    """Create `path` empty, readable by its owner only: backups hold personal data."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _same_access(staged: Path, database: Path) -> None:
    """Give the restored file the mode and, where allowed, the owner of the database it
    replaces, so the app can still open it."""
    if not database.exists():
        return
    current = database.stat()
    os.chmod(staged, current.st_mode & 0o777)
    # Only root may give a file away; otherwise it stays the restoring user's.
    with suppress(PermissionError):
        os.chown(staged, current.st_uid, current.st_gid)


def _sync(path: Path) -> None:
    """Flush a file or folder to the disk (a backup is only one once it is there)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string for `url` without the password, and an environment
    that gives the password (PGPASSWORD), for pg_dump, pg_restore and psql."""
    from psycopg.conninfo import make_conninfo

    params = {key: value for key, value in url.query.items() if isinstance(value, str)}
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("dbname", url.database),
    ):
        if value:
            params[key] = str(value)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the "
            "server's version or newer (Debian, Ubuntu: apt install postgresql-client)."
        )
    return found


def _run(command: list[str], env: dict[str, str], name: str, *, what: str = "") -> str:
    """Run a PostgreSQL tool; its output, or BackupError with its message."""
    done = subprocess.run(command, capture_output=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()[-2000:]
        subject = f" on {what}" if what else ""
        raise BackupError(f"{name} failed{subject}: {message}")
    return done.stdout.decode(errors="replace")


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace").strip()[-2000:]


# --- Erasures made after the backup ---------------------------------------------------


def erased_accounts(session: Session) -> set[tuple[int, datetime]]:
    """The accounts erased in the database (id, created), read before it is replaced."""
    rows = session.execute(select(User.id, User.created_at).where(User.erased_at.is_not(None)))
    return {(user_id, _utc(created)) for user_id, created in rows}


def erase_again(session: Session, erased: set[tuple[int, datetime]], now: datetime) -> list[int]:
    """Erase again the accounts of `erased` (see `erased_accounts`) that a restored backup
    still holds: they were erased after it was taken. An account counts as the same when
    id and creation time agree, so a backup of another install erases nobody."""
    again = []
    candidates = session.scalars(
        select(User)
        .where(User.id.in_([user_id for user_id, _created in erased]), User.erased_at.is_(None))
        .order_by(User.id)
    )
    for user in list(candidates):
        if (user.id, _utc(user.created_at)) in erased:
            erase_person(session, user, now)
            again.append(user.id)
    return again


def _utc(value: datetime) -> datetime:
    """SQLite returns stored times without their zone (they are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
