"""Importing 5,000 people into an empty company, and the admin's people list (issue 8).

    .venv/bin/python bench/people_bench.py                  # SQLite in a temp folder
    .venv/bin/python bench/people_bench.py --database-url postgresql+psycopg://…  # empty db
    .venv/bin/python bench/people_bench.py --quick --check  # 3 s runs; 1 if a target is missed

1. Creates a fresh instance (migrated database), a company („Personal-Benchmark
   GmbH“) with eight departments, two courses and two standing assignments (one
   for the department „Lager“, one for the whole company), so newcomers get
   assignments as in real use, and an admin of the provider.
2. Generates an HR export of `--people` rows as German Excel saves it: German
   headers, `;`, Windows-1252, CRLF, umlauts and ß in names, an extra column
   the import ignores, empty trailing `;;;;` lines.
3. Times in this process, each in its own transaction as `lms people import`
   runs it: reading the file and planning (the dry run); reading, planning and
   applying it (commit included); the invitation links the import page and the
   command then make for the new people (one token each, same transaction in
   real use, timed apart here); and reading and planning the unchanged file
   again, plus applying it if anything changed (nothing should).
4. Runs `VACUUM ANALYZE` (PostgreSQL) or `ANALYZE` (SQLite), as autovacuum would
   within a minute of the import, so the list is measured in its day-to-day state.
5. Starts `lms serve` (gunicorn, default workers) as bench/http_bench.py does,
   makes the admin's session cookie without an HTTP login (as
   bench/booking_pool.py does) and runs wrk against the people list of the
   company: the first page, a search and page 50, at each concurrency.

Targets on a 2-core machine: dry run < 5 s, apply < 15 s, unchanged re-import
< 5 s, people list p95 < 100 ms at concurrency 8. `--check` makes a missed
target exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import unicodedata
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (the server, cookie and wrk helpers)

COMPANY = ("personal-benchmark", "Personal-Benchmark GmbH")
ADMIN = "admin@personal-benchmark.example"
DEPARTMENTS = ("Fertigung", "Montage", "Lager", "Versand", "Einkauf", "Vertrieb", "IT", "Büro")
HEADER = ("Personalnummer", "Nachname", "Vorname", "E-Mail", "Abteilung", "Rolle", "Sprache",
          "Kostenstelle")  # fmt: skip
TARGETS_S = {"dry run": 5.0, "apply": 15.0, "unchanged": 5.0}
TARGET_P95_MS = 100.0

FIRST = ("Jürgen", "Anna", "Björn", "Clara", "Dörte", "Emre", "Felix", "Gülten", "Hannah",
         "Jörg", "Katarzyna", "Lukas", "Mia", "Nils", "Özlem", "Paul", "Renée", "Sören",
         "Tanja", "Uwe", "Yusuf", "Zoë", "Maximilian", "Käthe", "Luise", "Ömer")  # fmt: skip
LAST = ("Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Yildiz", "Kowalski", "Nowak", "Öztürk", "Krüger", "Wolf",
        "Groß", "Schäfer", "Köhler", "Jäger", "Böhm", "Lührs", "Straßmann",
        "Dombrowski")  # fmt: skip


def ascii_part(text: str) -> str:
    """An e-mail local part as HR systems make it: ä → ae, ß → ss, accents dropped."""
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain).replace(umlaut.upper(), plain.capitalize())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower().replace(" ", "")


def people_csv(people: int, seed: int = 2026) -> bytes:
    """An HR export of `people` rows: German headers, `;`, Windows-1252, CRLF."""
    rng = random.Random(seed)
    lines = [";".join(HEADER)]
    for number in range(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rng.random() < 0.1:
            last = f"{last}-{rng.choice(LAST)}"
        email = f"{ascii_part(first)}.{ascii_part(last)}.{number:05d}@personal-benchmark.example"
        department = rng.choice(DEPARTMENTS)
        if rng.random() < 0.05:
            department = department.upper()  # HR's spelling differs; the import does not mind
        role = "Führungskraft" if rng.random() < 0.05 else "Mitarbeitende"
        language = rng.choice(("", "", "de", "en"))
        cells = [f"P{10000 + number}", last, first, email, department, role, language,
                 f"KST-{rng.randint(100, 999)}"]  # fmt: skip
        lines.append(";".join(cells))
    lines += [";" * (len(HEADER) - 1)] * 3  # Excel's empty rows at the end
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@dataclass
class Seeded:
    company_id: int
    admin_id: int
    lager_id: int


def seed(app: object) -> Seeded:
    """The company, its departments, two courses with standing assignments, an admin."""
    from sqlalchemy import select

    from lms.db import db
    from lms.models import Company, Course, CourseVersion, Department, Role, User
    from lms.services import assignments
    from lms.services.passwords import hash_password

    now = datetime.now(UTC)
    today = now.date()
    with app.app_context(), db.begin() as session:  # type: ignore[attr-defined]
        if session.scalar(select(Company).where(Company.short_name == COMPANY[0])) is not None:
            raise http_bench.BenchError(
                f"The database has a company {COMPANY[0]!r} already: give an empty database."
            )
        company = Company(short_name=COMPANY[0], name=COMPANY[1])
        session.add(company)
        session.flush()
        departments = [Department(company_id=company.id, name=name) for name in DEPARTMENTS]
        session.add_all(departments)
        admin = User(
            email=ADMIN,
            display_name="Admin Benchmark",
            password_hash=hash_password(os.urandom(16).hex()),
            created_at=now,
        )
        admin.grant(Role.ADMIN)
        session.add(admin)
        session.flush()
        lager = next(d for d in departments if d.name == "Lager")
        for n, (title, department, days) in enumerate(
            (("Staplerfahren", lager, 30), ("Datenschutz-Grundlagen", None, 60))
        ):
            course = Course(slug=f"pflicht-{n}", created_at=now)
            session.add(course)
            session.flush()
            session.add(
                CourseVersion(
                    course_id=course.id, number=1, content_hash=f"{n:064d}", title=title,
                    language="de", valid_for=None, minutes=30, unit_count=1, spec={},
                    rendered={"texts": {"de": {"title": title, "summary": ""}},
                              "units": {"de": []}},
                    imported_at=now,
                )
            )  # fmt: skip
            session.flush()
            assignments.assign_to_group(
                session, admin, company, course, department, today + timedelta(days=days),
                "Pflichtschulung", now, today=today,
            )  # fmt: skip
        return Seeded(company.id, admin.id, lager.id)


def time_imports(app: object, seeded: Seeded, data: bytes) -> dict[str, float]:
    """Dry run, apply (with commit), invitation links, unchanged re-import: seconds each."""
    from sqlalchemy import func, select

    from lms.db import db
    from lms.models import Assignment, Company, TokenPurpose, User
    from lms.people import importing as people_import
    from lms.services.accounts import issue_tokens

    seconds: dict[str, float] = {}

    def plan(session: object) -> people_import.ImportPlan:
        company = session.get(Company, seeded.company_id)  # type: ignore[attr-defined]
        people_file = people_import.read_file(data, "mitarbeitende.csv")
        return people_import.plan(session, company, people_file)  # type: ignore[arg-type]

    with app.app_context():  # type: ignore[attr-defined]
        started = time.perf_counter()
        with db.begin() as session:
            dry = plan(session)
        seconds["dry run"] = time.perf_counter() - started
        if dry.has_errors:
            raise http_bench.BenchError(f"The file has errors: {dry.problems[:3]}")
        counts = ", ".join(f"{a.value} {n}" for a, n in dry.counts().items())
        print(f"  dry run: {counts}; {len(dry.problems)} notices", flush=True)

        started = time.perf_counter()
        with db.begin() as session:
            planned = plan(session)
            seconds["plan before apply"] = time.perf_counter() - started
            company = session.get(Company, seeded.company_id)
            applied = time.perf_counter()
            summary = people_import.apply(session, company, planned, None, datetime.now(UTC))
        seconds["apply"] = time.perf_counter() - applied
        seconds["plan + apply"] = time.perf_counter() - started

        started = time.perf_counter()
        with db.begin() as session:
            newcomers = [session.get(User, user_id) for user_id in summary.new_people_ids]
            people = [person for person in newcomers if person is not None]
            issue_tokens(session, people, TokenPurpose.INVITE, datetime.now(UTC),
                         timedelta(days=14))  # fmt: skip
        seconds["invitation links"] = time.perf_counter() - started

        started = time.perf_counter()
        with db.begin() as session:
            again = plan(session)
            changed = [c for c in again.changes if c.action is not people_import.Action.UNCHANGED]
            if changed:
                company = session.get(Company, seeded.company_id)
                people_import.apply(session, company, again, None, datetime.now(UTC))
        seconds["unchanged"] = time.perf_counter() - started
        if changed:
            raise http_bench.BenchError(f"The unchanged file still changes {len(changed)} people.")

        with db.begin() as session:
            people = session.scalar(
                select(func.count()).select_from(User).where(User.company_id == seeded.company_id)
            )
            made = session.scalar(
                select(func.count())
                .select_from(Assignment)
                .where(Assignment.company_id == seeded.company_id)
            )
            in_lager = session.scalar(
                select(func.count()).select_from(User).where(User.department_id == seeded.lager_id)
            )
        expected = (people or 0) + (in_lager or 0)
        print(f"  {people} people, {made} assignments (expected {expected})", flush=True)
        if made != expected:
            raise http_bench.BenchError("The newcomers did not get their standing assignments.")
    return seconds


def settle(app: object) -> None:
    """Bring the statistics and (on PostgreSQL) the visibility map up to date after the
    import, as autovacuum does within a minute or so: the list is measured as it runs
    day to day, not while autovacuum works through 5,000 new rows beside it."""
    from sqlalchemy import text

    from lms.db import db

    with app.app_context():  # type: ignore[attr-defined]
        engine = db.engine
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("VACUUM ANALYZE"))
            else:
                connection.execute(text("ANALYZE"))
                connection.commit()


def admin_cookie(app: object, admin_id: int) -> str:
    """The admin's session cookie, made as the login makes it (see bench/booking_pool.py)."""
    from flask import session
    from flask_login import login_user

    from lms.db import db
    from lms.models import User

    with app.app_context(), app.test_request_context():  # type: ignore[attr-defined]
        admin = db.session.get(User, admin_id)
        login_user(admin)
        session.permanent = True
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        return str(serializer.dumps(dict(session)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    parser.add_argument("--people", type=int, default=5000, help="rows in the file (5000)")
    parser.add_argument("--concurrency", default="8", help="comma-separated connections (8)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--quick", action="store_true", help="3 s wrk runs")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    missed: list[str] = []
    try:
        with ExitStack() as stack:
            instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lms-people-")))
            env = http_bench.server_env(instance, args.database_url)
            os.environ.update(env)
            from lms import create_app, migrate

            app = create_app()
            migrate.upgrade(app)
            seeded = seed(app)
            data = people_csv(args.people)
            database = "PostgreSQL" if args.database_url else "SQLite"
            print(f"{args.people} people, {len(data) / 1e6:.2f} MB (Windows-1252), {database}, "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
            seconds = time_imports(app, seeded, data)
            settle(app)
            cookie = admin_cookie(app, seeded.admin_id)

            port = http_bench.free_port()
            base = f"http://{http_bench.HOST}:{port}"
            command = [http_bench.venv_tool("lms"), "serve", "--host", http_bench.HOST, "--port",
                       str(port), "--workers", str(args.workers), "--no-access-log"]  # fmt: skip
            server = http_bench.Server("lms serve", command, env, instance / "server.log")
            stack.enter_context(http_bench.running(server))
            server.wait_ready(f"{base}/healthz")
            people_path = f"/admin/companies/{seeded.company_id}/people"
            pages = {
                "first page": people_path,
                "search „müller“": f"{people_path}?{urllib.parse.urlencode({'q': 'müller'})}",
                "page 50": f"{people_path}?page=50",
            }
            rows = []
            for name, path in pages.items():
                size = http_bench.probe(base + path, cookie)
                http_bench.run_wrk(base + path, 2, 2, cookie)  # warm-up: every worker's first
                for concurrency in concurrencies:
                    result = http_bench.run_wrk(base + path, concurrency, args.duration, cookie)
                    rows.append((name, size, concurrency, result))
            load_end = os.getloadavg()[0]
    except http_bench.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    print(f"\nImport of {args.people} people, in process (seconds):")
    for step in ("dry run", "plan before apply", "apply", "plan + apply", "invitation links",
                 "unchanged"):  # fmt: skip
        target = TARGETS_S.get(step)
        verdict = ""
        if target is not None:
            ok = seconds[step] < target
            verdict = f"  target < {target:.0f} s: " + ("ok" if ok else "MISSED")
            if seconds[step] >= target:
                missed.append(step)
        print(f"  {step:18} {seconds[step]:7.2f}{verdict}")
    print(f"\nPeople list ({args.people} people, 50 a page), {args.workers} workers, "
          f"{args.duration} s per run:")  # fmt: skip
    print(f"  {'page':18} {'bytes':>7} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}")  # fmt: skip
    for name, size, concurrency, result in rows:
        print(f"  {name:18} {size:>7} {concurrency:>4} {result.rps:>7.1f} {result.p50_ms:>7.1f} "
              f"{result.p95_ms:>7.1f} {result.p99_ms:>7.1f} {result.error_count:>6}")  # fmt: skip
        if concurrency == 8 and result.p95_ms >= TARGET_P95_MS:
            missed.append(f"{name} p95")
        if result.error_count:
            missed.append(f"{name} errors")
    print(f"Load average at the end: {load_end:.2f}")
    if missed:
        print(f"Targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
