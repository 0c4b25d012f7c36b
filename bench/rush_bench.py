"""A deadline rush and a login storm against `lms serve` (issue 16).

Run from the project root:

    .venv/bin/python bench/rush_bench.py                       # SQLite, full size
    .venv/bin/python bench/rush_bench.py --quick               # smaller, a smoke check
    .venv/bin/python bench/rush_bench.py --database-url postgresql+psycopg://…/lms_bench
    .venv/bin/python bench/rush_bench.py --start-redis         # limiter storage in Redis

What it does, all on loopback addresses and in a throw-away instance folder:

1. seeds the demo data (`lms demo`), 200 learners of "Benchmark GmbH" with an
   open knowledge check each, answered up to the last page (bench/quiz_pool.py,
   whose sessions are made without a password check), 10 managers and more
   people of that company (a team of 500), and assigns them the demo modules;
2. the rush: starts `lms serve` with the login throttle on, logs the managers
   in over HTTP (successful logins, which no limit counts), then hands in the
   200 attempts spread evenly over 10 s from a thread pool while 10 manager
   threads export the team's matrix again and again (CSV and XLSX in turn);
   afterwards it reads the database: hand-ins lost or counted twice;
3. the login storm, twice: with the server trusting no proxy, and with
   LMS_PROXY_COUNT=1 (many networks behind one proxy). 300 logins in 60 s:
   a guesser sends wrong passwords for one account from rotating
   X-Forwarded-For values and several source addresses, real users log in
   with their own passwords meanwhile, and after the burst the guesser tries
   the right password once from a fresh network and the account's owner logs in;
   65 s after the first guess, when limits per minute have started again, the
   guesser sends 10 more wrong passwords;
4. prints what happened and, with --json, writes it to a file.

See bench/README.md ("Deadline rush and login storm") for what each figure means.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (servers, sessions, the open attempts of quiz_pool.py)

HOST = http_bench.HOST
PASSWORD = "Lernwerk-Bench-2026"  # managers, staff and the attacked accounts
LOCKED_TEXT = "database is locked"
# The login page's answer to a checked, wrong password (asked for in English).
WRONG_PASSWORD_TEXT = "E-mail address or password is not correct."
QUIZ_UNIT = "wissenscheck"  # bench/quiz_pool.py's knowledge check
EXPORT_PATHS = {"csv": "/team/matrix.csv", "xlsx": "/team/matrix.xlsx"}
DEPARTMENTS = ("Fertigung", "Montage", "Lager", "Büro")
PHASES = ("rush", "direct", "proxy")
REDIS_START_TIMEOUT_S = 10.0
LATE_GUESSES_AFTER_S = 65.0  # a minute after the first guess was counted, with room


# --- Settings ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="A deadline rush of hand-ins beside matrix exports, and a login storm."
    )
    add = parser.add_argument
    add("--attempts", type=int, default=200, help="open attempts handed in by the rush (200)")
    add("--rush-seconds", type=float, default=10.0, help="the rush's window (10 s)")
    add("--rush-concurrency", type=int, default=32, help="hand-ins in flight at most (32)")
    add("--managers", type=int, default=10, help="manager threads exporting the matrix (10)")
    add("--team", type=int, default=500, help="people in the rush's company (500)")
    add("--logins", type=int, default=300, help="logins per storm (300)")
    add("--storm-seconds", type=float, default=60.0, help="each storm's duration (60 s)")
    add("--guesses", type=int, default=None, help="of the logins, wrong guesses (a third)")
    add("--storm-concurrency", type=int, default=16, help="logins in flight at most (16)")
    add("--guesser-addresses", type=int, default=4, help="source addresses of the guesser (4)")
    late = "more guesses 65 s after the first (10; 0 with --quick)"
    add("--late-guesses", type=int, default=None, help=late)
    add("--phases", default=",".join(PHASES), help="what to run: rush,direct,proxy (all)")
    add("--workers", type=int, default=None, help="gunicorn workers (default: as lms serve)")
    add("--database-url", default=None, help="e.g. PostgreSQL (default: SQLite in a temp dir)")
    add("--redis-url", default=None, help="limiter storage: LMS_REDIS_URL, ..._STORAGE_URL")
    add("--start-redis", action="store_true", help="start a redis-server and use it")
    add("--quick", action="store_true", help="40 hand-ins in 3 s, storms of 60 logins in 15 s")
    add("--json", dest="json_out", type=Path, help="also write the results as JSON")
    add("--logs", type=Path, default=None, help="copy the servers' logs into this folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.attempts, args.rush_seconds, args.team = 40, 3.0, 120
        args.logins, args.storm_seconds = 60, 15.0
    if args.guesses is None:
        args.guesses = args.logins // 3
    if args.late_guesses is None:
        args.late_guesses = 0 if args.quick else 10
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not args.phases or set(args.phases) - set(PHASES):
        parser.error(f"--phases takes some of {','.join(PHASES)}")
    if args.redis_url and args.start_redis:
        parser.error("give --redis-url or --start-redis, not both")
    if min(args.attempts, args.managers, args.rush_concurrency, args.storm_concurrency) < 1:
        parser.error("--attempts, --managers and the concurrencies must be >= 1")
    if args.late_guesses < 0:
        parser.error("--late-guesses must be >= 0")
    if args.guesser_addresses < 1 or args.guesses < 1 or args.logins < args.guesses + 5:
        parser.error("--logins must leave room for the guesses, the probe, the owner and a user")
    if args.rush_seconds <= 0 or args.storm_seconds <= 0:
        parser.error("durations must be > 0")
    for name, url in (("--database-url", args.database_url), ("--redis-url", args.redis_url)):
        if url and not _on_loopback(url):
            parser.error(f"{name} must name a loopback address (127.0.0.0/8, ::1, localhost)")
    return args


def _on_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname
    if host in (None, "", "localhost"):
        return True  # SQLite, a Unix socket or the local host
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_env(args: argparse.Namespace, instance: Path, **extra: str) -> dict[str, str]:
    """http_bench's server environment with the login throttle on (default limits)."""
    env = http_bench.server_env(instance, args.database_url)
    env["LMS_RATELIMIT_ENABLED"] = "1"
    if args.redis_url:
        env["LMS_REDIS_URL"] = args.redis_url
        env["LMS_RATELIMIT_STORAGE_URL"] = args.redis_url
    env.update(extra)
    return env


# --- Processes ----------------------------------------------------------------------


def start_redis(instance: Path, stack: ExitStack) -> str:
    """A redis-server on a free loopback port, without persistence; stopped by `stack`."""
    port = http_bench.free_port()
    folder = instance / "redis"
    folder.mkdir()
    command = ["redis-server", "--bind", HOST, "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", str(folder)]  # fmt: skip
    try:
        server = http_bench.Server(
            "redis-server", command, dict(os.environ), instance / "redis.log"
        )
    except FileNotFoundError:
        raise http_bench.BenchError("redis-server is not installed.") from None
    stack.enter_context(http_bench.running(server))
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise http_bench.BenchError(f"redis-server exited.\n{server.tail()}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return f"redis://{HOST}:{port}/0"
        except OSError:
            pass
        time.sleep(0.1)
    raise http_bench.BenchError(f"redis-server did not answer in time.\n{server.tail()}")


def serve(
    label: str, args: argparse.Namespace, env: dict[str, str], log: Path, stack: ExitStack
) -> tuple[str, int, http_bench.Server]:
    """`lms serve` (gunicorn; its own number of workers unless --workers) on a free port."""
    port = http_bench.free_port()
    command = [http_bench.venv_tool("lms"), "serve", "--host", HOST, "--port", str(port)]
    command.append("--no-access-log")
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = stack.enter_context(http_bench.running(http_bench.Server(label, command, env, log)))
    base = f"http://{HOST}:{port}"
    server.wait_ready(f"{base}/healthz")
    return base, port, server


def workers_of(log: Path) -> int | None:
    """The number of workers `lms serve` announced in its log."""
    found = re.search(r"with (\d+) workers", log.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def locked_in_log(log: Path, start: int = 0) -> dict[str, int]:
    """How often the server log (from byte `start` on) says "database is locked": lines,
    and errors (SQLAlchemy's exception line, one per failed statement; its traceback
    also quotes the driver's error, hence about two lines per error)."""
    with log.open("rb") as handle:
        handle.seek(start)
        lines = handle.read().decode(errors="replace").splitlines()
    found = [line for line in lines if LOCKED_TEXT in line]
    errors = sum(line.startswith("sqlalchemy.exc.") for line in found)
    return {"log_lines": len(found), "log_errors": errors}


# --- The data -----------------------------------------------------------------------


@dataclass
class Cast:
    """Who takes part: emails of the managers, of staff who log in, of attacked accounts."""

    managers: list[str]
    staff: list[str]
    victims: list[str]
    team: int


def in_process_app(env: dict[str, str]) -> Any:
    """Lernwerk's app in this process, on the servers' database (for seeding and checks)."""
    for key in [k for k in os.environ if k.startswith("LMS_")]:
        del os.environ[key]
    os.environ.update(env)
    from lms import create_app

    return create_app()


def refuse_used_database(app: Any) -> None:
    """The rush's company must be new: figures of a grown team are not comparable."""
    import quiz_pool
    from sqlalchemy import select

    from lms.db import db
    from lms.models import Company

    with app.app_context():
        found = db.session.scalar(
            select(Company.id).where(Company.short_name == quiz_pool.COMPANY[0])
        )
        db.session.rollback()
    if found is not None:
        raise http_bench.BenchError(
            f"The database already has the company {quiz_pool.COMPANY[1]!r} (from an earlier "
            'benchmark): give a fresh database, e.g. su postgres -c "dropdb --if-exists lms_bench '
            '&& createdb -O lms_ci lms_bench"'
        )


def seed_team(app: Any, args: argparse.Namespace, storms: int) -> Cast:
    """Managers, staff and attacked accounts in the rush's company; every module assigned."""
    import quiz_pool
    from sqlalchemy import func, insert, select

    from lms.clock import now
    from lms.db import db
    from lms.models import (
        Assignment,
        Company,
        Course,
        CourseVersion,
        Department,
        Role,
        User,
        UserRole,
    )
    from lms.services.passwords import hash_password

    batch = secrets.token_hex(3)
    real_users = args.logins - args.guesses - 3
    with app.app_context(), db.begin() as s:
        moment = now()
        company = s.scalar(select(Company).where(Company.short_name == quiz_pool.COMPANY[0]))
        if company is None:
            raise http_bench.BenchError("bench/quiz_pool.py made no company.")
        hashed = hash_password(PASSWORD)  # once: every account shares it
        departments = [Department(company_id=company.id, name=name) for name in DEPARTMENTS]
        s.add_all(departments)
        managers = [f"leitung-{batch}-{n:02d}@benchmark.example" for n in range(args.managers)]
        for number, email in enumerate(managers):
            manager = User(email=email, display_name=f"Leitung {number:02d}", company=company,
                           password_hash=hashed, created_at=moment)  # fmt: skip
            manager.grant(Role.MANAGER)
            s.add(manager)
        s.flush()
        present = s.scalar(select(func.count(User.id)).where(User.company_id == company.id)) or 0
        victims = [f"ziel-{batch}-{n}@benchmark.example" for n in range(storms)]
        staff_count = max(args.team - present - len(victims), min(real_users, 1000), 1)
        staff = [f"mitarbeiter-{batch}-{n:04d}@benchmark.example" for n in range(staff_count)]
        people = [
            {
                "email": email,
                "display_name": f"Mitarbeiter {n:04d}",
                "company_id": company.id,
                "department_id": departments[n % len(departments)].id,
                "password_hash": hashed,
                "created_at": moment,
            }
            for n, email in enumerate([*staff, *victims])
        ]
        s.execute(insert(User), people)
        new_ids = s.scalars(
            select(User.id).where(User.email.in_([p["email"] for p in people]))
        ).all()
        s.execute(
            insert(UserRole), [{"user_id": uid, "role": Role.LEARNER.value} for uid in new_ids]
        )
        everyone = s.scalars(select(User.id).where(User.company_id == company.id)).all()
        courses = s.scalars(
            select(Course.id)
            .where(Course.id.in_(select(CourseVersion.course_id)))
            .order_by(Course.id)
        ).all()
        deadline = moment.date() + timedelta(days=1)
        s.execute(
            insert(Assignment),
            [
                {"company_id": company.id, "user_id": uid, "course_id": course_id,
                 "due_on": deadline, "note": "", "reason": "company", "assigned_at": moment}
                for uid in everyone
                for course_id in courses
            ],
        )  # fmt: skip
    print(
        f"Team of {len(everyone)} people in {quiz_pool.COMPANY[1]} ({args.managers} managers), "
        f"{len(courses)} modules assigned to everyone."
    )
    settle(app)
    return Cast(managers, staff, victims, len(everyone))


def settle(app: Any) -> None:
    """`VACUUM ANALYZE` (PostgreSQL) or `ANALYZE` (SQLite) after the bulk inserts, as
    autovacuum would within a minute: without statistics PostgreSQL may plan the
    matrix's counts as nested loops (see bench/matrix_bench.py)."""
    from sqlalchemy import text

    from lms.db import db

    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()


def user_id_of(app: Any, cookie: str) -> int:
    """The user of a session cookie made by bench/quiz_pool.py."""
    serializer = app.session_interface.get_signing_serializer(app)
    # Flask-Login's id is "<user id>:<session version>" (see lms/auth).
    return int(str(serializer.loads(cookie)["_user_id"]).split(":")[0])


def check_hand_ins(app: Any, answered_ok: dict[int, bool]) -> dict[str, Any]:
    """What the database holds for the rush's learners (user id -> hand-in answered OK)."""
    from sqlalchemy import func, select

    from lms.db import db
    from lms.models import AttemptAnswer, Completion, LearningRecord, QuizAttempt, UnitProgress

    ids = list(answered_ok)
    with app.app_context():
        s = db.session
        attempts = s.execute(
            select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.enrollment_id,
                   QuizAttempt.status, QuizAttempt.layout)
            .where(QuizAttempt.user_id.in_(ids), QuizAttempt.unit_id == QUIZ_UNIT)
        ).all()  # fmt: skip
        answers = dict(
            s.execute(
                select(AttemptAnswer.attempt_id, func.count())
                .where(AttemptAnswer.attempt_id.in_([a.id for a in attempts]))
                .group_by(AttemptAnswer.attempt_id)
            ).all()
        )
        verdicts = dict(
            s.execute(
                select(LearningRecord.user_id, func.count())
                .where(
                    LearningRecord.user_id.in_(ids),
                    LearningRecord.unit == QUIZ_UNIT,
                    LearningRecord.verb.in_(("passed", "failed")),
                )
                .group_by(LearningRecord.user_id)
            ).all()
        )
        completions = s.execute(
            select(Completion.enrollment_id, func.count())
            .where(Completion.user_id.in_(ids))
            .group_by(Completion.enrollment_id)
            .having(func.count() > 1)
        ).all()
        progress = s.execute(
            select(UnitProgress.enrollment_id, func.count())
            .where(
                UnitProgress.enrollment_id.in_(sorted({a.enrollment_id for a in attempts})),
                UnitProgress.unit_id == QUIZ_UNIT,
            )
            .group_by(UnitProgress.enrollment_id)
            .having(func.count() > 1)
        ).all()
        s.rollback()
    submitted_by_user = Counter(a.user_id for a in attempts if a.status == "submitted")
    incomplete = [
        a for a in attempts if a.status == "submitted" and answers.get(a.id, 0) != len(a.layout)
    ]
    not_submitted_ok = [uid for uid, ok in answered_ok.items() if ok and not submitted_by_user[uid]]
    graded_twice = sorted(
        {uid for uid, n in verdicts.items() if n > 1}
        | {uid for uid, n in submitted_by_user.items() if n > 1}
        | {a.user_id for a in attempts if answers.get(a.id, 0) > len(a.layout)}
    )
    return {
        "submitted": sum(submitted_by_user.values()),
        "submitted_after_an_error": sum(
            1 for uid, ok in answered_ok.items() if not ok and submitted_by_user[uid]
        ),
        "lost": len(not_submitted_ok) + len(incomplete),
        "lost_answered_ok_not_submitted": len(not_submitted_ok),
        "lost_submitted_without_answers": len(incomplete),
        "duplicates": len(graded_twice) + len(completions) + len(progress),
        "duplicates_graded_twice": len(graded_twice),
        "duplicates_completions": len(completions),
        "duplicates_unit_progress": len(progress),
    }


# --- Timing and scheduling ----------------------------------------------------------


def timing(seconds: Sequence[float]) -> dict[str, float | int]:
    """Count, median, p95 and maximum of durations, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "p50_ms": round(http_bench.percentile(ms, 50), 1),
        "p95_ms": round(http_bench.percentile(ms, 95), 1),
        "max_ms": round(ms[-1], 1),
    }


def run_scheduled(
    tasks: Sequence[tuple[float, Callable[[], Any]]],
    concurrency: int,
    stop: threading.Event,
    background: Sequence[Callable[[], Any]] = (),
) -> tuple[list[Any], list[Any], float]:
    """Run each (offset, task) at its offset in seconds from now, at most `concurrency` at
    a time (a task waits for a free thread, and is then late), beside `background`
    tasks that run until `stop` is set, which happens once the scheduled tasks are done.
    Returns the scheduled tasks' results in order, the background ones', and the start
    delay of the latest scheduled task in seconds."""
    start = time.monotonic() + 0.2
    lateness = [0.0] * len(tasks)

    def at(index: int, offset: float, task: Callable[[], Any]) -> Any:
        if stop.wait(max(0.0, start + offset - time.monotonic())):
            raise InterruptedError
        lateness[index] = time.monotonic() - (start + offset)
        return task()

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="scheduled")
    side = ThreadPoolExecutor(max_workers=max(1, len(background)), thread_name_prefix="side")
    try:
        side_futures = [side.submit(job) for job in background]
        futures: list[Future[Any]] = [
            pool.submit(at, i, offset, task) for i, (offset, task) in enumerate(tasks)
        ]
        pending = set(futures) | set(side_futures)
        while any(not f.done() for f in futures):
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raises a task's failure here
        stop.set()
        results = [f.result() for f in futures]
        side_results = [f.result() for f in side_futures]
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        side.shutdown(wait=True, cancel_futures=True)
    return results, side_results, max(lateness, default=0.0)


# --- The rush -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One answer: what it was (status and, where it matters, more), how long it took."""

    label: str
    seconds: float
    locked: bool = False
    device: str | None = None  # a login's new device cookie

    @property
    def ok(self) -> bool:
        return self.label == "ok"


def _status_label(answer: http_bench.Answer, ok: Callable[[http_bench.Answer], bool]) -> str:
    if ok(answer):
        return "ok"
    location = answer.headers.get("Location", "")
    if answer.status in (301, 302, 303) and location:
        return f"{answer.status} to {urllib.parse.urlsplit(location).path}"
    return str(answer.status)


def timed(
    call: Callable[[], http_bench.Answer], ok: Callable[[http_bench.Answer], bool]
) -> Outcome:
    started = time.perf_counter()
    try:
        answer = call()
    except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
        return Outcome(f"connection error ({type(exc).__name__})", time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    locked = answer.status >= 500 and LOCKED_TEXT.encode() in answer.body
    return Outcome(_status_label(answer, ok), elapsed, locked)


def _handed_in(answer: http_bench.Answer) -> bool:
    return answer.status == 302 and answer.headers.get("Location", "").endswith("/result")


def _exported(answer: http_bench.Answer) -> bool:
    return answer.status == 200 and bool(answer.body)


def rush(
    args: argparse.Namespace,
    app: Any,
    cast: Cast,
    submits: Sequence[http_bench.Submit],
    instance: Path,
    stack: ExitStack,
) -> dict[str, Any]:
    """Hand in the open attempts within the window while the managers export the matrix."""
    env = server_env(args, instance)
    log = instance / "rush-serve.log"
    base, _port, server = serve("lms serve (rush)", args, env, log, stack)
    print(f"Rush: lms serve on {base} with {workers_of(log)} workers, throttle on.", flush=True)
    cookies = [http_bench.log_in(base, email, PASSWORD)[0] for email in cast.managers]
    quiet: dict[str, float] = {}
    for kind, path in EXPORT_PATHS.items():  # once each: the exports work, caches filled
        started = time.perf_counter()
        answer = http_bench.request(
            http_bench.plain_opener(), base + path,
            headers={"Cookie": f"{http_bench.SESSION_COOKIE}={cookies[0]}"},
        )  # fmt: skip
        quiet[kind] = round((time.perf_counter() - started) * 1000, 1)
        if answer.status != 200:
            raise http_bench.BenchError(f"GET {path} answered {answer.status} before the rush.")
        print(f"  {kind.upper()} export of the matrix: {len(answer.body):,} bytes, "
              f"{quiet[kind]:.0f} ms alone", flush=True)  # fmt: skip
    log_start = log.stat().st_size
    stop = threading.Event()

    def exporter(number: int, cookie: str) -> Callable[[], list[tuple[str, Outcome]]]:
        def loop() -> list[tuple[str, Outcome]]:
            done: list[tuple[str, Outcome]] = []
            headers = {"Cookie": f"{http_bench.SESSION_COOKIE}={cookie}"}
            kinds = ("csv", "xlsx") if number % 2 == 0 else ("xlsx", "csv")
            while not stop.is_set():
                kind = kinds[len(done) % 2]
                url = base + EXPORT_PATHS[kind]
                call = partial(http_bench.request, http_bench.plain_opener(), url, headers=headers)
                done.append((kind, timed(call, _exported)))
            return done

        return loop

    spacing = args.rush_seconds / args.attempts
    tasks = [
        (n * spacing, partial(timed, partial(http_bench.post_submit, base + s.path, s), _handed_in))
        for n, s in enumerate(submits)
    ]
    exporters = [exporter(n, cookie) for n, cookie in enumerate(cookies)]
    print(
        f"  handing in {args.attempts} attempts over {args.rush_seconds:g} s "
        f"(at most {args.rush_concurrency} at a time) while {len(cookies)} managers export …",
        flush=True,
    )
    started = time.monotonic()
    hand_ins, side, late = run_scheduled(tasks, args.rush_concurrency, stop, exporters)
    wall = time.monotonic() - started
    time.sleep(0.5)  # the last log lines
    exports = [item for items in side for item in items]

    answered_ok = {user_id_of(app, s.cookie): o.ok for s, o in zip(submits, hand_ins, strict=True)}
    database = check_hand_ins(app, answered_ok)
    export_outcomes = [o for _kind, o in exports]
    result = {
        "workers": workers_of(log),
        "attempts": args.attempts,
        "window_s": args.rush_seconds,
        "concurrency": args.rush_concurrency,
        "managers": len(cookies),
        "team": cast.team,
        "wall_s": round(wall, 2),
        "latest_start_s": round(late, 2),
        "hand_ins": {
            "ok": sum(o.ok for o in hand_ins),
            "errors": dict(Counter(o.label for o in hand_ins if not o.ok)),
            **timing([o.seconds for o in hand_ins]),
        },
        "exports": {
            "ok": sum(o.ok for o in export_outcomes),
            "errors": dict(Counter(o.label for o in export_outcomes if not o.ok)),
            **timing([o.seconds for o in export_outcomes]),
            "by_kind": {
                kind: timing([o.seconds for k, o in exports if k == kind]) for kind in EXPORT_PATHS
            },
            "alone_before_ms": quiet,
        },
        "database": database,
        "database_is_locked": {
            **locked_in_log(log, log_start),
            "bodies_5xx": sum(o.locked for o in [*hand_ins, *export_outcomes]),
        },
    }
    server.stop()
    return result


# --- The login storm ----------------------------------------------------------------


class _ErrorNotice(HTMLParser):
    """The text of the page's error summary (`notice--error`), if any."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag == "div"
        elif tag == "div" and "notice--error" in (dict(attrs).get("class") or ""):
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def error_notice(body: bytes) -> str:
    finder = _ErrorNotice()
    finder.feed(body.decode("utf-8", errors="replace"))
    return " ".join(" ".join(finder.parts).split())


@dataclass(frozen=True)
class Login:
    """One login to try: who, as whom, from where (TCP source and X-Forwarded-For)."""

    role: str  # guess, probe (the guesser's right password), owner, owner-new-device, user
    email: str
    password: str
    source: str
    forwarded_for: str | None
    # The device cookie of a browser that signed in to this account before, if any.
    device: str | None = None


DEVICE_COOKIE = "lms_device"


def device_cookie(port: int, login: Login) -> str | None:
    """Sign in once as `login` and return the device cookie the browser then keeps
    (the owner's own browser, where they signed in before the storm)."""
    return try_login(port, login).device


def try_login(port: int, login: Login) -> Outcome:
    """GET /login, then POST the form; the outcome of the POST and its duration."""
    headers = {"Accept-Language": "en", "User-Agent": "rush-bench"}
    if login.forwarded_for:
        headers["X-Forwarded-For"] = login.forwarded_for
    connection = http.client.HTTPConnection(
        HOST, port, timeout=http_bench.HTTP_TIMEOUT_S, source_address=(login.source, 0)
    )
    started = time.perf_counter()
    try:
        connection.request("GET", "/login", headers=headers)
        page = connection.getresponse()
        body = page.read()
        if page.status != 200:
            return Outcome(f"GET /login {page.status}", time.perf_counter() - started)
        jar: SimpleCookie = SimpleCookie()
        for value in page.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        cookie = jar.get(http_bench.SESSION_COOKIE)
        form = urllib.parse.urlencode(
            {"email": login.email, "password": login.password, "next": "",
             "csrf_token": http_bench.csrf_token(body)}
        )  # fmt: skip
        post_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        cookies = [f"{DEVICE_COOKIE}={login.device}"] if login.device else []
        if cookie is not None:
            cookies.append(f"{http_bench.SESSION_COOKIE}={cookie.value}")
        if cookies:
            post_headers["Cookie"] = "; ".join(cookies)
        started = time.perf_counter()
        connection.request("POST", "/login", body=form, headers=post_headers)
        answer = connection.getresponse()
        body = answer.read()
        elapsed = time.perf_counter() - started
    except (OSError, http.client.HTTPException, http_bench.BenchError) as exc:
        return Outcome(f"error ({type(exc).__name__})", time.perf_counter() - started)
    finally:
        connection.close()
    jar = SimpleCookie()
    for value in answer.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    device = jar[DEVICE_COOKIE].value if DEVICE_COOKIE in jar else None
    location = answer.getheader("Location", "")
    if answer.status in (302, 303) and "/login" not in location:
        label = "success"
    elif answer.status == 429:
        label = "throttled (429)"
    elif answer.status == 200:
        notice = error_notice(body)
        label = "wrong password" if WRONG_PASSWORD_TEXT in notice else f"200: {notice[:120]}"
    else:
        label = str(answer.status)
    return Outcome(
        label, elapsed, answer.status >= 500 and LOCKED_TEXT.encode() in body, device=device
    )


def storm_plan(
    args: argparse.Namespace, cast: Cast, victim: str, proxied: bool, salt: int
) -> list[tuple[float, Login]]:
    """The storm's logins with their offsets: the guessing burst in the first half, the
    real users throughout, the guesser's right password and the owner after the burst,
    and the late guesses 65 s after the first guess.

    Behind a proxy (`proxied`) every request comes from 127.0.0.1 and names its network
    in X-Forwarded-For; otherwise each party has its own loopback addresses, and the
    guesser's X-Forwarded-For values, which the server does not trust, change nothing.
    """
    rng = random.Random(salt)
    burst = args.storm_seconds / 2
    guesses = args.guesses
    real = args.logins - guesses - 4

    def place(tcp: str, network: str, guesser: bool = False) -> tuple[str, str | None]:
        if proxied:
            return "127.0.0.1", network
        return tcp, network if guesser else None

    def guess(n: int, role: str) -> Login:
        # Every guess names another network; the TCP source cycles over a few addresses.
        network = f"100.{64 + (salt + n // 256) % 64}.{n % 256}.9"
        tcp = f"127.{60 + n % args.guesser_addresses}.{salt % 256}.1"
        wrong = f"Falsch-{rng.randrange(10**9):09d}"
        return Login(role, victim, wrong, *place(tcp, network, guesser=True))

    plan = [(n * burst / guesses, guess(n, "guess")) for n in range(guesses)]
    # A minute after the first guess was counted, limits per minute start again.
    late_at = max(args.storm_seconds, LATE_GUESSES_AFTER_S)
    plan += [(late_at + n * 0.2, guess(guesses + n, "late")) for n in range(args.late_guesses)]
    probe = place("127.77.0.1", "192.0.2.77", guesser=True)
    plan.append((burst + 0.5, Login("probe", victim, PASSWORD, *probe)))
    # The owner from the browser they signed in on before the storm (its device cookie
    # is filled in by `storm`), and once from a new browser on yet another network.
    owner = place("127.88.0.1", "203.0.113.10")
    plan.append((burst + 1.0, Login("owner", victim, PASSWORD, *owner)))
    plan.append((args.storm_seconds * 0.97, Login("owner", victim, PASSWORD, *owner)))
    new_device = place("127.89.0.1", "203.0.114.10")
    plan.append((burst + 1.5, Login("owner-new-device", victim, PASSWORD, *new_device)))
    for n in range(real):
        email = cast.staff[n % len(cast.staff)]
        tcp = f"127.{100 + n // 250}.{n % 250}.1"
        network = f"198.{18 + n // 65000}.{n // 250 % 256}.{n % 250 + 1}"
        login = Login("user", email, PASSWORD, *place(tcp, network))
        plan.append((n * args.storm_seconds / real, login))
    return sorted(plan, key=lambda item: item[0])


def storm(
    args: argparse.Namespace, cast: Cast, victim: str, proxied: bool, instance: Path,
    stack: ExitStack,
) -> dict[str, Any]:  # fmt: skip
    """One login storm against a fresh server with the throttle on."""
    name = "proxy" if proxied else "direct"
    extra = {"LMS_PROXY_COUNT": "1"} if proxied else {}
    env = server_env(args, instance, **extra)
    log = instance / f"storm-{name}-serve.log"
    base, port, server = serve(f"lms serve (storm, {name})", args, env, log, stack)
    trust = "LMS_PROXY_COUNT=1, X-Forwarded-For trusted" if proxied else "no proxy trusted"
    print(f"Login storm ({trust}): lms serve on {base} with {workers_of(log)} workers, "
          f"throttle on.", flush=True)  # fmt: skip
    salt = secrets.randbelow(10_000)
    plan = storm_plan(args, cast, victim, proxied, salt)
    # The owner's browser signed in to the account before the storm began.
    owner_login = next(login for _offset, login in plan if login.role == "owner")
    device = device_cookie(port, owner_login)
    plan = [
        (offset, replace(login, device=device) if login.role == "owner" else login)
        for offset, login in plan
    ]
    more = f", {args.late_guesses} more guesses later" if args.late_guesses else ""
    print(f"  {args.logins} logins over {args.storm_seconds:g} s, {args.guesses} of them wrong "
          f"guesses for {victim}{more} …", flush=True)  # fmt: skip
    tasks = [(offset, partial(try_login, port, login)) for offset, login in plan]
    outcomes, _side, behind = run_scheduled(tasks, args.storm_concurrency, threading.Event())
    time.sleep(0.5)
    by_role: dict[str, list[Outcome]] = {}
    for (_offset, login), outcome in zip(plan, outcomes, strict=True):
        by_role.setdefault(login.role, []).append(outcome)
    guesses, users, owner = by_role["guess"], by_role.get("user", []), by_role["owner"]
    late = by_role.get("late", [])
    checked = sum(o.label == "wrong password" for o in [*guesses, *late])
    result = {
        "proxy_count": 1 if proxied else 0,
        "workers": workers_of(log),
        "logins": len(plan) - len(late),
        "seconds": args.storm_seconds,
        "concurrency": args.storm_concurrency,
        "latest_start_s": round(behind, 2),
        "guesses": {
            "sent": len(guesses),
            "checked": checked,  # the burst's and the late ones
            "succeeded": sum(o.label == "success" for o in guesses),
            "outcomes": dict(Counter(o.label for o in guesses)),
            **timing([o.seconds for o in guesses]),
            "late_sent": len(late),
            "late_outcomes": dict(Counter(o.label for o in late)),
            "late_succeeded": sum(o.label == "success" for o in late),
        },
        "checked_per_account": {victim: checked},
        "target_met": checked <= 10,  # within this run's 65 s
        # Late guesses checked: the count starts again every minute, so a guesser who
        # keeps going gets more than the burst's share in an hour.
        "count_started_again": any(o.label == "wrong password" for o in late),
        "right_password_by_guesser_after_burst": by_role["probe"][0].label,
        "owner_after_burst": [o.label for o in owner],
        "owner_could_log_in": any(o.label == "success" for o in owner),
        "owner_had_device_cookie": device is not None,
        "owner_new_device_after_burst": [o.label for o in by_role.get("owner-new-device", [])],
        "real_users": {
            "logins": len(users),
            "succeeded": sum(o.label == "success" for o in users),
            "outcomes": dict(Counter(o.label for o in users)),
            **timing([o.seconds for o in users]),
        },
        "database_is_locked": {
            **locked_in_log(log),
            "bodies_5xx": sum(o.locked for o in outcomes),
        },
    }
    server.stop()
    return result


# --- Output -------------------------------------------------------------------------


def _errors(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} × {n}" for label, n in sorted(counts.items())) or "none"


def _ms(figures: dict[str, Any]) -> str:
    if not figures.get("count"):
        return "no requests"
    return (f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
            f"max {figures['max_ms']:.0f} ms")  # fmt: skip


def format_rush(r: dict[str, Any]) -> str:
    h, e, d, lk = r["hand_ins"], r["exports"], r["database"], r["database_is_locked"]
    kinds = "; ".join(f"{k.upper()} {_ms(v)}" for k, v in e["by_kind"].items())
    return "\n".join(
        [
            f"Rush: {r['attempts']} hand-ins over {r['window_s']:g} s (done after "
            f"{r['wall_s']:.1f} s, latest start {r['latest_start_s']:.2f} s behind plan), "
            f"{r['managers']} managers exporting a team of {r['team']}, {r['workers']} workers",
            f"  hand-ins OK      {h['ok']} of {h['count']}; errors: {_errors(h['errors'])}",
            f"  hand-in time     {_ms(h)}",
            f"  exports OK       {e['ok']} of {e['count']}; errors: {_errors(e['errors'])}",
            f"  export time      {_ms(e)} ({kinds})",
            f"  duplicates       {d['duplicates']} (graded twice {d['duplicates_graded_twice']}, "
            f"completions {d['duplicates_completions']}, unit records "
            f"{d['duplicates_unit_progress']})  [must be 0]",
            f"  lost hand-ins    {d['lost']} (answered OK but open "
            f"{d['lost_answered_ok_not_submitted']}, handed in without answers "
            f"{d['lost_submitted_without_answers']})  [must be 0]",
            f"  submitted        {d['submitted']} in the database "
            f"({d['submitted_after_an_error']} of them after an error answer)",
            f"  database locked  {lk['log_errors']} errors logged ({lk['log_lines']} log lines), "
            f"{lk['bodies_5xx']} 5xx bodies  "
            "[must be 0]",
        ]
    )


def format_storm(r: dict[str, Any]) -> str:
    g, u = r["guesses"], r["real_users"]
    trust = "LMS_PROXY_COUNT=1" if r["proxy_count"] else "no proxy trusted"
    victim, checked = next(iter(r["checked_per_account"].items()))
    return "\n".join(
        [
            f"Login storm ({trust}): {r['logins']} logins over {r['seconds']:g} s, "
            f"{r['workers']} workers (latest start {r['latest_start_s']:.2f} s behind plan)",
            f"  guesses          {g['sent']} sent: {_errors(g['outcomes'])}",
            f"  late guesses     {g['late_sent']} sent 65 s after the first: "
            f"{_errors(g['late_outcomes'])}",
            f"  checked          {checked} for {victim}  [target: at most 10 per account and "
            f"hour: {'met' if r['target_met'] else 'NOT met'} in this run]; "
            f"succeeded {g['succeeded'] + g['late_succeeded']}",
            *(
                [
                    "  note             late guesses were checked: the count starts again "
                    "after a minute, so more than 10 an hour unless an hourly limit stops them"
                ]
                if r["count_started_again"]
                else []
            ),
            "  right password by the guesser after the burst: "
            + r["right_password_by_guesser_after_burst"],
            f"  owner after the burst, own browser"
            f"{'' if r['owner_had_device_cookie'] else ' (NO device cookie)'}: "
            f"{', '.join(r['owner_after_burst'])}"
            f" -> {'could' if r['owner_could_log_in'] else 'could NOT'} log in",
            "  owner after the burst, a new browser elsewhere: "
            + ", ".join(r["owner_new_device_after_burst"]),
            f"  real users       {u['succeeded']} of {u['logins']} logged in; "
            f"{_errors({k: v for k, v in u['outcomes'].items() if k != 'success'})}",
            f"  real users' POST /login  {_ms(u)}",
            f"  database locked  {r['database_is_locked']['log_errors']} errors logged "
            f"({r['database_is_locked']['log_lines']} log lines), "
            f"{r['database_is_locked']['bodies_5xx']} 5xx bodies",
        ]
    )


# --- Main ---------------------------------------------------------------------------


@dataclass
class Report:
    settings: dict[str, Any]
    rush: dict[str, Any] | None = None
    storms: list[dict[str, Any]] = field(default_factory=list)


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> Report:
    if args.start_redis:
        args.redis_url = start_redis(instance, stack)
        print(f"redis-server on {args.redis_url}", flush=True)
    report = Report(
        settings={
            "database": "postgresql/other (--database-url)" if args.database_url else "sqlite",
            "redis": bool(args.redis_url),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            **{k: v for k, v in vars(args).items() if k not in ("json_out", "logs")},
        }
    )
    if args.database_url:  # without its password
        from sqlalchemy.engine import make_url

        url = make_url(args.database_url).render_as_string(hide_password=True)
        report.settings["database_url"] = url
    env = server_env(args, instance)
    http_bench.seed_demo(env, PASSWORD)
    app = in_process_app(env)
    refuse_used_database(app)
    storms = [p for p in args.phases if p != "rush"]
    submits: list[http_bench.Submit] = []
    if "rush" in args.phases:
        # The learners with their open attempts; quiz_pool.py makes the company too.
        submits = http_bench.SubmitPool(env, instance).take(args.attempts)
    else:
        make_company(app)
    cast = seed_team(app, args, len(storms))
    if "rush" in args.phases:
        report.rush = rush(args, app, cast, submits, instance, stack)
        print(format_rush(report.rush), flush=True)
    for victim, phase in zip(cast.victims, storms, strict=True):
        result = storm(args, cast, victim, phase == "proxy", instance, stack)
        report.storms.append(result)
        print(format_storm(result), flush=True)
    report.settings["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def make_company(app: Any) -> None:
    """The rush's company, when the rush (whose quiz_pool.py makes it) does not run."""
    import quiz_pool

    from lms.db import db
    from lms.models import Company

    with app.app_context(), db.begin() as s:
        s.add(Company(short_name=quiz_pool.COMPANY[0], name=quiz_pool.COMPANY[1]))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, http_bench._raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-rush-") as tmp, ExitStack() as stack:
            instance = Path(tmp)
            try:
                report = benchmark(args, instance, stack)
            finally:
                if args.logs:
                    args.logs.mkdir(parents=True, exist_ok=True)
                    for log in instance.glob("*.log"):
                        (args.logs / log.name).write_bytes(log.read_bytes())
    except http_bench.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    print(f"Load average before: {report.settings['loadavg_before']}, "
          f"after: {report.settings['loadavg_after']}")  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
        print(f"Results written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
