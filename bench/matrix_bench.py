"""The manager's compliance matrix at scale: 1,000 employees × 40 assigned courses.

    .venv/bin/python bench/matrix_bench.py                  # SQLite in a temp folder
    .venv/bin/python bench/matrix_bench.py --database-url postgresql+psycopg://…
    .venv/bin/python bench/matrix_bench.py --quick          # 3 s runs, a smoke check

1. Seeds one company („Großbetrieb GmbH“, 8 departments) with 1,000 employees, 40
   courses, every course assigned to everyone over the last two years, and a
   realistic history: about 55 % completed (some certificates expiring or expired),
   15 % in progress, the rest not started, a part of them overdue.
2. Starts `lms serve` (gunicorn, as bench/http_bench.py does) and logs in as the
   company's manager.
3. Times one page of the matrix with every cache bypassed, in process: what the
   first view after a change costs (database and cell HTML, no HTTP).
4. Runs wrk against the matrix page (50 people a page) — the first page, a middle
   page, and the page sorted by problems and filtered to overdue — at each
   concurrency, and prints req/s and p50/p95/p99. Repeated requests are served
   from the per-revision caches (see docs/architecture.md), as a manager paging
   back and forth would be; any change in the company recomputes them.
5. Times the full CSV and XLSX export of the 1,000 × 40 matrix end to end (HTTP,
   sequentially, 5 times each) and prints the median and the worst.

Targets (issue 5) on a 2-core machine: matrix page p95 < 150 ms at concurrency 8 on
SQLite; full CSV export < 3 s. Report the same on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (the server, login and wrk helpers)

MANAGER = "leitung@grossbetrieb.example"
PASSWORD = "Lernwerk-Bench-2026"
DEPARTMENTS = ("Fertigung", "Montage", "Lager", "Versand", "Einkauf", "Vertrieb", "IT", "Büro")


def seed(database_url: str | None, instance: Path, people: int, courses: int) -> None:
    """Create the company, its people, courses, assignments and history (fast bulk inserts)."""
    os.environ.update(http_bench.server_env(instance, database_url))
    from sqlalchemy import insert

    from lms import create_app, migrate
    from lms.db import db
    from lms.models import (
        Assignment,
        Company,
        Completion,
        Course,
        CourseVersion,
        Department,
        Enrollment,
        Role,
        User,
        UserRole,
    )
    from lms.services.passwords import hash_password

    app = create_app()
    migrate.upgrade(app)
    rng = random.Random(2026)
    now = datetime.now(UTC)
    today = now.date()
    with app.app_context(), db.begin() as session:
        company = Company(name="Großbetrieb GmbH", short_name="grossbetrieb")
        session.add(company)
        session.flush()
        departments = [Department(company_id=company.id, name=name) for name in DEPARTMENTS]
        session.add_all(departments)
        session.flush()
        manager = User(
            email=MANAGER,
            display_name="Leitung Großbetrieb",
            company_id=company.id,
            password_hash=hash_password(PASSWORD),
        )
        manager.grant(Role.MANAGER)
        session.add(manager)
        session.flush()
        session.execute(
            insert(User),
            [
                {
                    "email": f"person{i:04d}@grossbetrieb.example",
                    "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i:04d}",
                    "company_id": company.id,
                    "department_id": departments[i % len(departments)].id,
                    "created_at": now,
                }
                for i in range(people)
            ],
        )
        user_ids = [
            row[0]
            for row in session.execute(
                User.__table__.select()
                .with_only_columns(User.id)
                .where(User.company_id == company.id, User.id != manager.id)
            )
        ]
        session.execute(insert(UserRole), [{"user_id": uid, "role": "learner"} for uid in user_ids])
        version_ids = []
        for n in range(courses):
            course = Course(slug=f"pflichtmodul-{n:02d}", created_at=now)
            session.add(course)
            session.flush()
            title = f"Pflichtmodul {n:02d}: {rng.choice(TOPICS)}"
            version = CourseVersion(
                course_id=course.id,
                number=1,
                content_hash=f"{n:064d}",
                title=title,
                language="de",
                valid_for="12 months" if n % 2 == 0 else None,
                minutes=30,
                unit_count=1,
                spec={},
                rendered={"texts": {"de": {"title": title, "summary": ""}}, "units": {"de": []}},
                imported_at=now - timedelta(days=800),
            )
            session.add(version)
            session.flush()
            version_ids.append((course.id, version.id, n % 2 == 0))
        assignments, enrollments = [], []
        for uid in user_ids:
            for course_id, _version_id, _yearly in version_ids:
                assigned = now - timedelta(days=rng.randint(30, 730))
                due = assigned.date() + timedelta(days=rng.choice((30, 60, 90)))
                assignments.append(
                    {
                        "company_id": company.id,
                        "user_id": uid,
                        "course_id": course_id,
                        "due_on": due,
                        "note": "",
                        "reason": "company",
                        "assigned_at": assigned,
                    }
                )
        session.execute(insert(Assignment), assignments)
        for uid in user_ids:
            for course_id, version_id, _yearly in version_ids:
                roll = rng.random()
                if roll < 0.70:  # started (and perhaps completed)
                    enrollments.append(
                        {
                            "company_id": company.id,
                            "user_id": uid,
                            "course_id": course_id,
                            "version_id": version_id,
                            "enrolled_at": now - timedelta(days=400),
                            "counts_from": now - timedelta(days=400),
                            "completed_at": None,
                        }
                    )
        session.execute(insert(Enrollment), enrollments)
        rows = session.execute(
            Enrollment.__table__.select().with_only_columns(
                Enrollment.id, Enrollment.user_id, Enrollment.course_id, Enrollment.version_id
            )
        ).all()
        yearly = {course_id: is_yearly for course_id, _v, is_yearly in version_ids}
        completions = []
        for enrollment_id, uid, course_id, version_id in rows:
            if rng.random() < 0.78:  # ~55 % of all cells completed
                done = now - timedelta(days=rng.randint(1, 420))
                completions.append(
                    {
                        "company_id": company.id,
                        "user_id": uid,
                        "enrollment_id": enrollment_id,
                        "course_id": course_id,
                        "version_id": version_id,
                        "completed_at": done,
                        "code": f"B{enrollment_id:011d}",
                        "valid_until": done + timedelta(days=365) if yearly[course_id] else None,
                    }
                )
        session.execute(insert(Completion), completions)
        completed_ids = [c["enrollment_id"] for c in completions]
        session.execute(
            Enrollment.__table__.update()
            .where(Enrollment.id.in_(completed_ids))
            .values(completed_at=now - timedelta(days=1))
        )
    with app.app_context():
        if db.dialect == "postgresql":
            # Statistics for the planner, as autovacuum gathers them within a minute of
            # the bulk inserts: without them PostgreSQL may plan the counts over the team
            # as nested loops over 40,000 rows and take minutes.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("ANALYZE")
    print(
        f"Seeded {len(user_ids)} people × {len(version_ids)} courses: "
        f"{len(assignments)} assignments, {len(enrollments)} enrolments, "
        f"{len(completions)} completions (today {today:%d.%m.%Y})."
    )


FIRST = (
    "Anna",
    "Ben",
    "Clara",
    "Deniz",
    "Elif",
    "Felix",
    "Greta",
    "Hakan",
    "Ida",
    "Jan",
    "Katarzyna",
    "Lukas",
    "Mia",
    "Nils",
    "Olga",
    "Paul",
    "Rana",
    "Sven",
    "Tanja",
    "Yusuf",
)
LAST = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Yılmaz",
    "Kowalski",
    "Nowak",
    "Öztürk",
    "Krüger",
    "Wolf",
)
TOPICS = ("Arbeitsschutz", "Datenschutz", "IT-Sicherheit", "Brandschutz", "Erste Hilfe",
          "Gefahrstoffe", "Staplerfahren", "Ladungssicherung", "Compliance",
          "KI im Betrieb")  # fmt: skip


# The matrix's body as manage/_team.html writes it.
ROWS = (
    '{% from "manage/_cells.html" import matrix_row %}'
    "{% for line in cell_text.lines(matrix) %}{{ matrix_row(line, department_names.get("
    'line.row.department_id, "–") if line.row.department_id else "–") }}{% endfor %}'
)


def cold_page_ms(database_url: str | None, instance: Path, times: int = 10) -> dict[str, float]:
    """A page of the matrix with every cache bypassed, in this process (no HTTP): the
    database work and the rows' HTML, median milliseconds, per filter."""
    os.environ.update(http_bench.server_env(instance, database_url))
    from flask import render_template_string
    from sqlalchemy import select

    from lms import create_app
    from lms.clock import now, today
    from lms.db import db
    from lms.manage.states import state_context
    from lms.models import Company
    from lms.reports import compliance
    from lms.reports.compliance import CellState, Filters, Scope

    app = create_app()
    results = {}
    with app.test_request_context(headers={"Accept-Language": "de"}):
        company = db.session.scalar(select(Company).where(Company.short_name == "grossbetrieb"))
        scope = Scope(company.id, now(), today(), company.recertification_lead_days)
        names = {d.id: d.name for d in company.departments}

        variants = {
            "first page": Filters(),
            "page 10": Filters(page=10),
            "overdue, by problems": Filters(state=CellState.OVERDUE, sort="problems"),
        }
        for name, filters in variants.items():
            durations = []
            for _ in range(times):
                started = time.perf_counter()
                matrix = compliance.matrix(db.session, scope, filters, "de")
                render_template_string(
                    ROWS, matrix=matrix, department_names=names, **state_context()
                )
                durations.append((time.perf_counter() - started) * 1000)
            results[name] = statistics.median(durations)
        db.session.rollback()
    return results


def timed_downloads(base: str, cookie: str, path: str, times: int) -> tuple[float, float, int]:
    headers = {"Cookie": f"{http_bench.SESSION_COOKIE}={cookie}"}
    durations, size = [], 0
    for _ in range(times):
        started = time.perf_counter()
        answer = http_bench.request(http_bench.plain_opener(), base + path, headers=headers)
        durations.append(time.perf_counter() - started)
        if answer.status != 200:
            raise http_bench.BenchError(f"GET {path} answered {answer.status}")
        size = len(answer.body)
    return statistics.median(durations), max(durations), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--courses", type=int, default=40)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3
    with ExitStack() as stack:
        instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lms-matrix-")))
        started = time.perf_counter()
        seed(args.database_url, instance, args.people, args.courses)
        print(f"Seeding took {time.perf_counter() - started:.1f} s.")
        print("\nWithout caches, in this process (database work and the rows' HTML):")
        for name, ms in cold_page_ms(args.database_url, instance).items():
            print(f"  {name:24} median {ms:.1f} ms")
        port = http_bench.free_port()
        base = f"http://{http_bench.HOST}:{port}"
        server = http_bench.Server(
            "lms serve",
            [
                http_bench.venv_tool("lms"), "serve", "--host", http_bench.HOST,
                "--port", str(port), "--workers", str(args.workers), "--no-access-log",
            ],
            http_bench.server_env(instance, args.database_url),
            instance / "server.log",
        )  # fmt: skip
        stack.enter_context(http_bench.running(server))
        server.wait_ready(f"{base}/healthz")
        cookie, _elapsed = http_bench.log_in(base, MANAGER, PASSWORD)
        pages = {
            "first page": "/team/",
            "page 10": "/team/?page=10",
            "overdue, by problems": "/team/?state=overdue&sort=problems",
        }
        print(f"\nMatrix page ({args.people} people × {args.courses} courses, 50 a page), "
              f"{args.workers} workers, {args.duration} s per run:")  # fmt: skip
        print(f"{'page':24} {'bytes':>7} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8}")  # fmt: skip
        for name, path in pages.items():
            size = http_bench.probe(base + path, cookie)
            http_bench.run_wrk(base + path, 2, 2, cookie)  # warm-up
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                result = http_bench.run_wrk(base + path, concurrency, args.duration, cookie)
                print(
                    f"{name:24} {size:>7} {concurrency:>4} {result.rps:>8.1f} "
                    f"{result.p50_ms:>8.1f} {result.p95_ms:>8.1f} {result.p99_ms:>8.1f}"
                )
        print("\nFull export of the matrix (sequential, 5 times):")
        for kind in ("csv", "xlsx"):
            median, worst, size = timed_downloads(base, cookie, f"/team/matrix.{kind}", 5)
            print(
                f"  {kind.upper():5} median {median:.2f} s, worst {worst:.2f} s, "
                f"{size / 1e6:.1f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
