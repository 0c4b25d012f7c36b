"""Two instances on one PostgreSQL and one Redis, with a large provider (issue 17's figures).

Run from the project root (PostgreSQL is required; the tables live in a schema of
their own, dropped afterwards):

    .venv/bin/python bench/large_provider.py --start-redis \\
        --database-url postgresql+psycopg://lms_ci:lms_ci@127.0.0.1:5432/lms_bench
    .venv/bin/python bench/large_provider.py --quick --companies 100 --redis-url redis://…/3 \\
        --database-url …

What it does, all on 127.0.0.1 and in a throw-away folder, with the code of the
working tree:

1. seeds the shared database: the manager's matrix company (bench/matrix_bench.py,
   1,000 × 40), `lms demo`, and a large provider: `--companies` companies
   („Anbieter-Kunde NNNN GmbH“), each with a standing assignment of the IT security
   course to the whole company and `--learners` learners and a manager imported
   through the people import (`people_import.read_file` / `plan` / `apply`, as
   `lms people import --apply` runs them, 100 companies per transaction); then every
   one of them enrolled on the course by one bulk insert (what `learning.enroll`
   would write, without 50,000 single flushes); then `VACUUM ANALYZE`;
2. starts two `lms serve` instances (A and B) on that database and one Redis
   (`LMS_REDIS_URL`: the cache and the network throttle), trusting one proxy
   (`LMS_PROXY_COUNT=1`), the login throttle on, the same secret key;
3. checks what two instances must share: failed sign-ins of one network counted on
   A refuse the next on B (Redis); an account's failed sign-ins on A refuse it on B
   (database); a new version of a course, imported by `lms courses import`, shows on
   both at their next request; a person deactivated through A is signed out on B
   at their next request;
4. measures the learner start page, the lesson page and a quiz page (concurrency 8
   and 32), handing in (8) and the manager's matrix (8; the 1,000 × 40 company and
   a provider company) with wrk spread over both instances (bench/spread.lua: one
   wrk thread per instance), against the budgets of bench/compare.py.

See bench/README.md ("Two instances and a large provider").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(BENCH_DIR))

import compare  # noqa: E402  (pages, budgets, the schema of its own)
import http_bench  # noqa: E402  (servers, logins, wrk, the open attempts of quiz_pool.py)
import matrix_bench  # noqa: E402  (the 1,000 × 40 matrix)
import rush_bench  # noqa: E402  (a redis-server of its own)

HOST = http_bench.HOST
PASSWORD = http_bench.DEFAULT_PASSWORD  # demo accounts and the provider's chosen people
SPREAD_SCRIPT = BENCH_DIR / "spread.lua"
COURSE = "it-sicherheit"
CHECK_COURSE = "zwei-instanzen"
ADMIN = "admin@zukunftszentrum.example"  # the demo's provider admin
WRONG_PASSWORD_TEXT = "E-mail address or password is not correct."
LOGIN_LIMIT_PER_IP = "30 per minute;300 per day"  # the default, given explicitly
IP_GUESSES = 30  # what that limit lets through per network and minute
ACCOUNT_GUESSES = 10  # LOGIN_LIMIT_PER_ACCOUNT's default: 10 per hour
COMPANIES_PER_TRANSACTION = 100
HEADER = "Personalnummer;Nachname;Vorname;E-Mail;Rolle;Sprache"
FIRST = ("Anna", "Ben", "Clara", "Deniz", "Elif", "Felix", "Greta", "Hakan", "Ida", "Jörg")
LAST = ("Müller", "Schmidt", "Weiß", "Öztürk", "Krüger", "Groß", "Nowak", "Becker")
COURSE_MD = """\
---
title: {title}
summary: Ein kurzes Lernmodul, das zwei Instanzen gleich zeigen müssen.
language: de
---
Beschreibung des Lernmoduls.
"""
LESSON_MD = """\
---
type: lesson
title: Einstieg
minutes: 5
---
## Worum es geht

Ein Absatz.
"""

# Pages measured here beyond bench/compare.py's: the matrix of one provider company.
TEAM = compare.Page("team", "manager's matrix of a provider company", {8: 150.0})


# --- Settings ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Two lms serve instances on one PostgreSQL and one Redis, a large provider."
    )
    add = parser.add_argument
    add("--database-url", required=True, help="PostgreSQL; the run uses a schema of its own")
    add("--redis-url", default=None, help="an empty Redis database (emptied again at the end)")
    add("--start-redis", action="store_true", help="start a redis-server of its own instead")
    add("--companies", type=int, default=2000, help="companies of the provider (2000)")
    add("--learners", type=int, default=25, help="learners per company, plus a manager (25)")
    add("--people", type=int, default=1000, help="people in the matrix's company (1000)")
    add("--courses", type=int, default=40, help="courses assigned to each of them (40)")
    add("--workers", type=int, default=None, help="gunicorn workers per instance (2 × CPU + 1)")
    add("--duration", type=int, default=10, help="seconds per wrk run (10)")
    add("--warmup", type=int, default=2, help="seconds of warm-up per page (2)")
    add("--quick", action="store_true", help="3 s runs, 1 s warm-up")
    add("--json", dest="json_out", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3, 1
    if bool(args.redis_url) == args.start_redis:
        parser.error("give --redis-url or --start-redis")
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL database")
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    if min(args.companies, args.learners, args.people, args.courses, args.duration) < 1:
        parser.error("--companies, --learners, --people, --courses and --duration must be >= 1")
    return args


def empty_redis(url: str, stack: ExitStack) -> None:
    """Refuse a Redis database with keys in it (cached pages of another database would be
    found under the same ids); empty it again when the run ends."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = client.dbsize()
    except redis.RedisError as exc:
        raise http_bench.BenchError(f"Redis at {url} cannot be reached: {exc}") from None
    if keys:
        raise http_bench.BenchError(
            f"The Redis database {url} holds {keys} keys: give an empty one (another number "
            "after the port) or --start-redis."
        )
    stack.callback(client.close)
    stack.callback(client.flushdb)


# --- Seeding ---------------------------------------------------------------------------


@dataclass
class Cast:
    """The people the checks and the measured pages act as (ids in the shared database)."""

    learner: str = ""  # the measured pages' learner
    manager: str = ""  # the measured provider company's manager
    checker: str = ""  # signed in on B, deactivated through A
    checker_id: int = 0
    checker_company_id: int = 0
    victim: str = ""  # whose account budget the guesses spend
    seconds: dict[str, float] = field(default_factory=dict)


def provider_csv(company: int, learners: int, rng: random.Random) -> bytes:
    """An HR export of one provider company: `learners` learners and a manager."""
    lines = [HEADER]
    for number in range(learners + 1):
        role = "Führungskraft" if number == learners else "Mitarbeitende"
        email = f"person{number:02d}@kunde{company:04d}.example"
        lines.append(";".join((f"P{company:04d}{number:02d}", rng.choice(LAST),
                               rng.choice(FIRST), email, role, "")))  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def seed_provider(args: argparse.Namespace, cast: Cast) -> None:
    """The provider's companies, rules and people (the people import), enrolments (bulk)."""
    from sqlalchemy import func, insert, select, text, update

    from lms import create_app
    from lms.content.importer import latest_version
    from lms.db import db
    from lms.models import Company, Course, Enrollment, User
    from lms.people import importing as people_import
    from lms.services import assignments
    from lms.services.passwords import hash_password

    app = create_app()
    rng = random.Random(2026)
    now = datetime.now(UTC)
    today = now.date()
    started = time.perf_counter()
    with app.app_context(), app.test_request_context():
        with db.begin() as session:
            course = session.scalar(select(Course).where(Course.slug == COURSE))
            admin = session.scalar(select(User).where(User.email == ADMIN))
            if course is None or admin is None:
                raise http_bench.BenchError("lms demo did not make the IT security course.")
            version = latest_version(session, course)
            assert version is not None
            course_id, version_id = course.id, version.id
            companies = [
                Company(name=f"Anbieter-Kunde {n:04d} GmbH", short_name=f"kunde{n:04d}")
                for n in range(args.companies)
            ]
            session.add_all(companies)
            session.flush()
            company_ids = [c.id for c in companies]
        print(f"  {args.companies} companies", flush=True)
        rules = people = 0
        for start in range(0, len(company_ids), COMPANIES_PER_TRANSACTION):
            with db.begin() as session:
                admin = session.scalar(select(User).where(User.email == ADMIN))
                course = session.get(Course, course_id)
                for offset, company_id in enumerate(
                    company_ids[start : start + COMPANIES_PER_TRANSACTION]
                ):
                    company = session.get(Company, company_id)
                    assert company is not None and course is not None
                    assignments.assign_to_group(
                        session, admin, company, course, None, today + timedelta(days=60),
                        "Jährliche Unterweisung", now, today=today,
                    )  # fmt: skip
                    rules += 1
                    data = provider_csv(start + offset, args.learners, rng)
                    plan = people_import.plan(
                        session, company, people_import.read_file(data, "personal.csv")
                    )
                    if plan.has_errors:
                        raise http_bench.BenchError(f"The import has errors: {plan.problems[:3]}")
                    summary = people_import.apply(session, company, plan, None, now)
                    people += len(summary.new_people_ids)
            done = min(start + COMPANIES_PER_TRANSACTION, len(company_ids))
            print(f"  imported {people} people into {done} companies …", flush=True)
        cast.seconds["import"] = time.perf_counter() - started

        started = time.perf_counter()
        with db.begin() as session:
            members = session.execute(
                select(User.id, User.company_id).where(User.company_id.in_(
                    select(Company.id).where(Company.short_name.like("kunde%"))
                )).order_by(User.id)
            ).all()  # fmt: skip
            rows = [
                {"company_id": company_id, "user_id": user_id, "course_id": course_id,
                 "version_id": version_id, "enrolled_at": now, "counts_from": now}
                for user_id, company_id in members
            ]  # fmt: skip
            for chunk in range(0, len(rows), 5000):
                session.execute(insert(Enrollment), rows[chunk : chunk + 5000])
            # Enrolments change what the team overview shows: a new revision, as the
            # services raise it.
            session.execute(
                update(Company)
                .where(Company.id.in_(company_ids))
                .values(revision=Company.revision + 1)
            )
            assigned = session.scalar(
                text("SELECT count(*) FROM assignments WHERE course_id = :c"), {"c": course_id}
            )
            cast.seconds["enrol"] = time.perf_counter() - started
            print(f"  {len(rows)} enrolments (bulk), {assigned} assignments of {COURSE}",
                  flush=True)  # fmt: skip

            # The people the checks and pages act as get a password (imported people
            # have none until they accept their invitation).
            def first(company_index: int, number: int) -> User:
                email = f"person{number:02d}@kunde{company_index:04d}.example"
                user = session.scalar(select(User).where(func.lower(User.email) == email))
                assert user is not None, email
                return user

            chosen = {
                "learner": first(0, 0),
                "manager": first(0, args.learners),
                "checker": first(min(1, args.companies - 1), 0),
                "victim": first(min(1, args.companies - 1), min(1, args.learners - 1)),
            }
            hashed = hash_password(PASSWORD)
            for name, user in chosen.items():
                user.password_hash = hashed
                setattr(cast, name, user.email)
            cast.checker_id = chosen["checker"].id
            cast.checker_company_id = chosen["checker"].company_id or 0
        with db.engine.connect() as connection:
            started = time.perf_counter()
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
            cast.seconds["vacuum analyze"] = time.perf_counter() - started
        db.engine.dispose()


def write_check_course(folder: Path, title: str) -> Path:
    course = folder / CHECK_COURSE
    course.mkdir(parents=True, exist_ok=True)
    (course / "course.md").write_text(COURSE_MD.format(title=title), encoding="utf-8")
    (course / "01-einstieg.md").write_text(LESSON_MD, encoding="utf-8")
    return course


def lms_command(env: dict[str, str], *arguments: str) -> None:
    done = subprocess.run(
        [http_bench.venv_tool("lms"), *arguments], cwd=PROJECT_DIR, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise http_bench.BenchError(
            f"lms {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}"
        )


def seed(args: argparse.Namespace, env: dict[str, str], instance: Path) -> Cast:
    cast = Cast()
    started = time.perf_counter()
    print(f"Seeding the matrix company ({args.people} × {args.courses}) …", flush=True)
    # On the empty database (its seed reads every enrolment there is).
    matrix_bench.seed(env["LMS_DATABASE_URL"], instance, args.people, args.courses)
    os.environ.update(env)  # matrix_bench's seed set the rest of the servers' settings
    cast.seconds["matrix"] = time.perf_counter() - started
    started = time.perf_counter()
    http_bench.seed_demo(env, PASSWORD)
    cast.seconds["demo"] = time.perf_counter() - started
    print(f"Seeding the provider: {args.companies} companies × ({args.learners} learners "
          "+ a manager), through the people import …", flush=True)  # fmt: skip
    seed_provider(args, cast)
    folder = write_check_course(instance / "courses", "Zwei Instanzen")
    lms_command(env, "courses", "import", str(folder))
    lms_command(env, "courses", "open", CHECK_COURSE, "--shared")
    print("Seeding took " + ", ".join(f"{k} {v:.1f} s" for k, v in cast.seconds.items()))
    return cast


# --- The checks ------------------------------------------------------------------------


class Browser:
    """One person's browser behind the proxy: cookies, no redirects followed, English."""

    def __init__(self, network: str) -> None:
        self.jar = CookieJar()
        self.opener = http_bench.plain_opener(self.jar)
        self.headers = {"Accept-Language": "en", "X-Forwarded-For": network}

    def get(self, url: str) -> http_bench.Answer:
        return http_bench.request(self.opener, url, headers=self.headers)

    def post(self, url: str, fields: dict[str, str], token_from: str) -> http_bench.Answer:
        page = self.get(token_from)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.body)
        if token is None:
            raise http_bench.BenchError(f"No CSRF token on {token_from} ({page.status}).")
        data = {**fields, "csrf_token": token.group(1).decode()}
        return http_bench.request(self.opener, url, data=data, headers=self.headers)

    def sign_in(self, base: str, email: str, password: str) -> http_bench.Answer:
        return self.post(f"{base}/login", {"email": email, "password": password, "next": ""},
                         f"{base}/login")  # fmt: skip


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def _outcome(answer: http_bench.Answer) -> str:
    if answer.status == 200 and WRONG_PASSWORD_TEXT.encode() in answer.body:
        return "wrong password"
    location = answer.headers.get("Location", "")
    return f"{answer.status}{' to ' + urllib.parse.urlsplit(location).path if location else ''}"


def run_checks(a: str, b: str, cast: Cast, env: dict[str, str], instance: Path) -> list[Check]:
    checks = []
    rng = random.Random()

    # Failed sign-ins of one network, counted in Redis: the limit's worth on A (each
    # for another unknown address, so no account's budget is touched), then one on B.
    network = f"198.51.{rng.randrange(100, 200)}.7"
    outcomes = [
        _outcome(Browser(network).sign_in(a, f"niemand{n}@nirgends.example", "falsch"))
        for n in range(IP_GUESSES)
    ]
    on_b = _outcome(Browser(network).sign_in(b, "niemand-b@nirgends.example", "falsch"))
    checks.append(Check(
        "network throttle: guesses on A count on B",
        outcomes.count("wrong password") == IP_GUESSES and on_b == "429",
        f"{outcomes.count('wrong password')} of {IP_GUESSES} on A checked, then B answered {on_b}",
    ))  # fmt: skip

    # An account's failed sign-ins, counted in the database: ten on A from ten
    # networks, then the right password on B from yet another one.
    outcomes = [
        _outcome(Browser(f"100.{rng.randrange(64, 127)}.{n}.9").sign_in(a, cast.victim, "falsch"))
        for n in range(ACCOUNT_GUESSES)
    ]
    on_b = _outcome(Browser("203.0.113.77").sign_in(b, cast.victim, PASSWORD))
    checks.append(Check(
        "account throttle: guesses on A count on B",
        outcomes.count("wrong password") == ACCOUNT_GUESSES and on_b == "429",
        f"{outcomes.count('wrong password')} of {ACCOUNT_GUESSES} on A checked, then the right "
        f"password on B answered {on_b}",
    ))  # fmt: skip

    # A new version of a course, imported by the command, on both at the next request.
    learner = Browser("203.0.113.5")
    signed_in = _outcome(learner.sign_in(b, cast.checker, PASSWORD))
    course_url = f"/learn/courses/{CHECK_COURSE}"
    before = [learner.get(base + course_url) for base in (a, b)]
    folder = write_check_course(instance / "courses", "Zwei Instanzen, neue Fassung")
    lms_command(env, "courses", "import", str(folder))
    after = [learner.get(base + course_url) for base in (a, b)]
    old_title, new_title = b"Zwei Instanzen<", b"Zwei Instanzen, neue Fassung"
    checks.append(Check(
        "a new course version shows on A and B at the next request",
        signed_in.startswith("302")
        and all(p.status == 200 and old_title in p.body for p in before)
        and all(p.status == 200 and new_title in p.body for p in after),
        f"sign-in on B {signed_in}; before: {[p.status for p in before]}, old title "
        f"{[old_title in p.body for p in before]}; after: {[p.status for p in after]}, new "
        f"title {[new_title in p.body for p in after]}",
    ))  # fmt: skip

    # The admin deactivates that learner through A; B signs them out at the next request.
    admin = Browser("192.0.2.5")
    admin_in = _outcome(admin.sign_in(a, ADMIN, PASSWORD))
    person = f"{a}/admin/companies/{cast.checker_company_id}/people/{cast.checker_id}"
    on_b_before = _outcome(learner.get(f"{b}/learn/"))
    deactivated = _outcome(admin.post(f"{person}/deactivate", {}, f"{person}/edit"))
    on_b_after = _outcome(learner.get(f"{b}/learn/"))
    checks.append(Check(
        "a person deactivated through A is signed out on B at the next request",
        admin_in.startswith("302") and on_b_before == "200" and deactivated.startswith("302")
        and on_b_after == "302 to /login",
        f"admin's sign-in on A {admin_in}; learner on B before {on_b_before}; deactivation on "
        f"A {deactivated}; learner on B after {on_b_after}",
    ))  # fmt: skip
    return checks


# --- Measuring --------------------------------------------------------------------------


@dataclass
class Row:
    page: str
    concurrency: int
    budget_ms: float
    result: http_bench.WrkResult
    answers: dict[str, int]  # per instance (host:port)

    @property
    def met(self) -> bool:
        """Under the budget, and answered at all (wrk reports 0 ms for no answers)."""
        return self.result.requests > 0 and self.result.p95_ms < self.budget_ms


@contextmanager
def spread(bases: Sequence[str], script: Path, out: Path) -> Iterator[None]:
    """wrk runs in this block spread their threads over `bases` (bench/spread.lua)."""
    os.environ["BENCH_SPREAD_SCRIPT"] = str(script)
    os.environ["BENCH_SPREAD_ADDRS"] = ",".join(urllib.parse.urlsplit(b).netloc for b in bases)
    os.environ["BENCH_SPREAD_OUT"] = str(out)
    try:
        yield
    finally:
        for key in ("BENCH_SPREAD_SCRIPT", "BENCH_SPREAD_ADDRS", "BENCH_SPREAD_OUT"):
            os.environ.pop(key, None)


def answers_per_instance(out: Path, bases: Sequence[str]) -> dict[str, int]:
    names = {urllib.parse.urlsplit(base).netloc: "AB"[i] for i, base in enumerate(bases)}
    counts = dict.fromkeys(names.values(), 0)
    for line in out.read_text().splitlines():
        address, answers = line.split()
        counts[names.get(address, address)] = counts.get(names.get(address, address), 0) + int(
            answers
        )
    return counts


def _print(row: Row) -> None:
    r = row.result
    print(f"  c={row.concurrency:<3} {r.rps:8.1f} req/s  p50 {r.p50_ms:6.1f}  p95 {r.p95_ms:7.1f} "
          f"ms  errors {r.error_count}  answers {row.answers}", flush=True)  # fmt: skip


def measure(
    args: argparse.Namespace,
    bases: Sequence[str],
    targets: dict[str, tuple[str, str]],
    pool: http_bench.SubmitPool,
    folder: Path,
) -> list[Row]:
    """Every page (path, cookie) at its concurrencies, spread over both instances."""
    rows = []
    out = folder / "spread.out"
    for page in (*compare.PAGES, TEAM):
        if page.name == "quiz-submit":
            rows += measure_hand_in(args, bases, page, pool, folder)
            continue
        path, cookie = targets[page.name]
        url = bases[0] + path
        print(f"{page.name}: {path} ({http_bench.probe(url, cookie)} bytes)", flush=True)
        with spread(bases, http_bench.LUA_SCRIPT, out):
            if args.warmup:
                http_bench.run_wrk(url, min(page.budgets_ms), args.warmup, cookie, SPREAD_SCRIPT)
                compare.settle(*bases)
            for concurrency, budget in page.budgets_ms.items():
                result = http_bench.run_wrk(url, concurrency, args.duration, cookie, SPREAD_SCRIPT)
                compare.settle(*bases)
                rows.append(Row(page.name, concurrency, budget, result,
                                answers_per_instance(out, bases)))  # fmt: skip
                _print(rows[-1])
    return rows


def measure_hand_in(
    args: argparse.Namespace,
    bases: Sequence[str],
    page: compare.Page,
    pool: http_bench.SubmitPool,
    folder: Path,
) -> list[Row]:
    """Hand-ins, each of an open attempt of its own (bench/quiz_submit.lua), spread."""
    print(f"{page.name}: {http_bench.SUBMIT_PATH}", flush=True)
    out, prefix = folder / "spread.out", folder / "submits"
    rate = float(http_bench.SUBMIT_RATE_GUESS)

    def run(concurrency: int, duration: int) -> http_bench.WrkResult:
        nonlocal rate
        for _attempt in range(http_bench.SUBMIT_TRIES):
            submits = pool.take(http_bench._pool_size(rate, duration))
            http_bench.write_submits(submits, prefix, http_bench.wrk_threads(concurrency))
            result = http_bench.run_wrk(bases[0], concurrency, duration, None, SPREAD_SCRIPT,
                                        [str(prefix), "app"])  # fmt: skip
            compare.settle(*bases)
            if not result.exhausted:
                rate = max(rate, result.rps)
                return result
            rate = max(result.rps, rate * 2)
            print(f"  c={concurrency}: open attempts ran out; again with more", flush=True)
        raise http_bench.BenchError(f"quiz-submit c={concurrency}: attempts ran out each time.")

    rows = []
    with spread(bases, http_bench.SUBMIT_SCRIPT, out):
        if args.warmup:
            rate = run(min(page.budgets_ms), args.warmup).rps
        for concurrency, budget in page.budgets_ms.items():
            pool.reserve(http_bench._pool_size(rate, args.duration))
            result = run(concurrency, args.duration)
            rows.append(Row(page.name, concurrency, budget, result,
                            answers_per_instance(out, bases)))  # fmt: skip
            _print(rows[-1])
    return rows


# --- Output and main ---------------------------------------------------------------------


def format_table(rows: Sequence[Row]) -> str:
    headers = ("page", "conc", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "A / B",
               "p95 budget", "met")  # fmt: skip
    table = [headers]
    for row in rows:
        r = row.result
        table.append((row.page, str(row.concurrency), f"{r.rps:.1f}", f"{r.p50_ms:.1f}",
                      f"{r.p95_ms:.1f}", f"{r.p99_ms:.1f}", str(r.error_count),
                      f"{row.answers.get('A', 0)} / {row.answers.get('B', 0)}",
                      f"< {row.budget_ms:.0f} ms", "yes" if row.met else "NO"))  # fmt: skip
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise http_bench.BenchError("wrk is not installed (Debian: apt-get install wrk).")
    url = stack.enter_context(compare.schema_of_its_own(args.database_url, "provider"))
    if args.start_redis:
        args.redis_url = rush_bench.start_redis(instance, stack)
        print(f"redis-server on {args.redis_url}", flush=True)
    else:
        empty_redis(args.redis_url, stack)
    env = http_bench.server_env(instance, url)
    env.update(
        LMS_REDIS_URL=args.redis_url,
        LMS_RATELIMIT_ENABLED="1",
        LMS_PROXY_COUNT="1",
        LMS_LOGIN_LIMIT_PER_IP=LOGIN_LIMIT_PER_IP,
    )
    os.environ.update(env)  # this process seeds with the servers' settings
    started = time.perf_counter()
    cast = seed(args, env, instance)
    seeding_s = time.perf_counter() - started
    loadavg_before = [round(x, 2) for x in os.getloadavg()]

    bases, servers = [], []
    for name in ("A", "B"):
        port = http_bench.free_port()
        server = http_bench.lms_serve(
            port, args.workers, env, instance / f"serve-{name}.log", label=f"instance {name}"
        )
        servers.append(stack.enter_context(http_bench.running(server)))
        bases.append(f"http://{HOST}:{port}")
    for server, base in zip(servers, bases, strict=True):
        server.wait_ready(f"{base}/healthz")
    print(f"Instance A on {bases[0]}, B on {bases[1]}", flush=True)

    print("Checks …", flush=True)
    checks = run_checks(bases[0], bases[1], cast, env, instance)
    for check in checks:
        print(f"  {'ok    ' if check.passed else 'FAILED'} {check.name}: {check.detail}")

    pool = http_bench.SubmitPool(env, instance)
    quiz = pool.take(1)[0]
    learner = http_bench.log_in(bases[0], cast.learner, PASSWORD)[0]
    targets = {
        "learn": ("/learn/", learner),
        "lesson": (compare.LESSON_PATH, learner),
        "quiz": (quiz.path, quiz.cookie),
        "matrix": (
            compare.MATRIX_PATH,
            http_bench.log_in(bases[1], matrix_bench.MANAGER, matrix_bench.PASSWORD)[0],
        ),
        "team": (compare.MATRIX_PATH, http_bench.log_in(bases[0], cast.manager, PASSWORD)[0]),
    }
    rows = measure(args, bases, targets, pool, instance)
    return {
        "settings": {
            "companies": args.companies,
            "learners_per_company": args.learners,
            "matrix": f"{args.people} × {args.courses}",
            "workers_per_instance": args.workers,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "cpus": os.cpu_count(),
            "wrk": http_bench.wrk_version(),
            "loadavg_before": loadavg_before,
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "seeding_s": round(seeding_s, 1),
            "seeding_steps_s": {k: round(v, 1) for k, v in cast.seconds.items()},
        },
        "checks": [asdict(c) for c in checks],
        "rows": [asdict(r) | {"met": r.met} for r in rows],
        "_rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, http_bench._raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-provider-") as tmp, ExitStack() as stack:
            report = benchmark(args, Path(tmp), stack)
    except http_bench.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    rows = report.pop("_rows")
    s = report["settings"]
    print()
    print(f"{s['companies']} companies × ({s['learners_per_company']} learners + a manager), "
          f"matrix {s['matrix']}, 2 instances × {s['workers_per_instance']} workers on "
          f"{s['cpus']} CPUs, {s['duration_s']} s per run; seeding {s['seeding_s']} s "
          f"({', '.join(f'{k} {v} s' for k, v in s['seeding_steps_s'].items())})")  # fmt: skip
    print()
    print(format_table(rows))
    print()
    for check in report["checks"]:
        print(f"{'ok    ' if check['passed'] else 'FAILED'} {check['name']}")
    print(f"Load average before the servers started: {s['loadavg_before']}, "
          f"at the end: {s['loadavg_after']}")  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"Results written to {args.json_out}")
    return 0 if all(c["passed"] for c in report["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
