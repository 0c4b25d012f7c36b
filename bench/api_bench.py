"""REST API: listing 5,000 people of one company in cursor pages of 200 (issue 20).

Run from the project root:

    .venv/bin/python bench/api_bench.py                       # SQLite, 5,000 people
    LMS_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/api_bench.py
    .venv/bin/python bench/api_bench.py --people 5000 --concurrency 8 --walks 40

What it does, all on 127.0.0.1 and in a throw-away instance folder:

1. migrates the database (`lms db upgrade`; SQLite in the instance folder, or the
   database of `--database-url` / LMS_DATABASE_URL) and, in the servers' environment
   (`api_bench.py seed`), adds a company of its own with `--people` people in two
   departments and a read-only API token of that company;
2. starts `lms serve` (gunicorn, `--workers`, rate limit off as in bench/http_bench.py);
3. runs `--concurrency` threads; each walks the whole list, `GET /api/v1/people?limit=200`
   and then each page's `next` address, until `--walks` walks are done (one warm-up walk
   per thread first, not counted). Each page request is timed from sending to the last
   byte read, on a connection of its own (gunicorn's sync workers close it anyway);
4. checks that every walk saw every person exactly once and every answer was 200,
   and prints the page times: median, p95, p99, max, and pages per second.

Exit status 0 when every counted walk was complete and correct; 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    HOST,
    PROJECT_DIR,
    in_throwaway_instance,
    percentile,
    seeded_server,
    server_env,
)

PAGE = 200
REQUEST_TIMEOUT_S = 60.0


@dataclass
class Walks:
    """What the threads measured: page times (seconds) and what went wrong."""

    times: list[float] = field(default_factory=list)
    walks: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def fetch(port: int, path: str, token: str) -> tuple[int, bytes, float]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started
    finally:
        connection.close()


def walk(port: int, token: str, people: int) -> tuple[list[float], str | None]:
    """One walk over every page; the page times, and what was wrong (or None)."""
    path: str | None = f"/api/v1/people?limit={PAGE}"
    seen: list[int] = []
    times = []
    while path:
        status, body, seconds = fetch(port, path, token)
        times.append(seconds)
        if status != 200:
            return times, f"{path} answered {status}: {body[:200]!r}"
        page = json.loads(body)
        seen += [item["id"] for item in page["items"]]
        following = page["next"]
        path = urllib.parse.urlsplit(following)._replace(scheme="", netloc="").geturl() if (
            following) else None  # fmt: skip
    if len(seen) != people or len(set(seen)) != people:
        return times, f"a walk saw {len(seen)} items, {len(set(seen))} different, not {people}"
    return times, None


def run_walks(port: int, token: str, people: int, concurrency: int, count: int) -> Walks:
    result = Walks()
    remaining = [count]

    def worker() -> None:
        _warmup, problem = walk(port, token, people)
        if problem:
            with result.lock:
                result.problems.append(f"warm-up: {problem}")
        while True:
            with result.lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            times, problem = walk(port, token, people)
            with result.lock:
                result.times += times
                result.walks += 1
                if problem:
                    result.problems.append(problem)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


# --- Seeding (runs in the servers' environment) ---------------------------------------


def seed(people: int) -> None:
    """A company with `people` people and a read token; prints {"token": …} as JSON."""
    sys.path.insert(0, str(PROJECT_DIR))
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from lms import create_app
    from lms.audit.service import Actor
    from lms.db import db
    from lms.models import Company, Department, TokenKind, TokenScope, User, UserRole
    from lms.tokens import service as tokens

    app = create_app()
    now = datetime.now(UTC)
    suffix = secrets.token_hex(3)
    with app.app_context(), db.begin() as session:
        company = Company(name=f"API-Bench {suffix} GmbH", short_name=f"api-bench-{suffix}")
        session.add(company)
        session.flush()
        departments = [Department(company_id=company.id, name=n) for n in ("Lager", "Büro")]
        session.add_all(departments)
        session.flush()
        rows = [
            {
                "email": f"api-bench-{suffix}-{n}@example.com",
                "display_name": f"Person {n:05d}",
                "personnel_number": f"P{n:05d}",
                "company_id": company.id,
                "department_id": departments[n % 2].id,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(people)
        ]
        for start in range(0, people, 1000):
            session.execute(insert(User), rows[start : start + 1000])
        ids = session.scalars(select(User.id).where(User.company_id == company.id)).all()
        session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
        created = tokens.create(session, Actor.command(), TokenKind.API, company, "Bench", now,
                                scope=TokenScope.READ)  # fmt: skip
        print(json.dumps({"token": created.value, "company_id": company.id}))


# --- The run --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="REST API: people in cursor pages (issue 20).")
    sub = parser.add_subparsers(dest="command")
    seeding = sub.add_parser("seed", help="(internal) seed in the servers' environment")
    seeding.add_argument("--people", type=int, required=True)
    parser.add_argument("--people", type=int, default=5000, help="people in the company (5000)")
    parser.add_argument("--concurrency", type=int, default=8, help="threads walking (8)")
    parser.add_argument("--walks", type=int, default=40, help="counted walks in all (40)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default 2 × CPU + 1)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LMS_DATABASE_URL"),
        help="e.g. a PostgreSQL URL (default: LMS_DATABASE_URL, else SQLite in a temp dir)",
    )
    args = parser.parse_args(argv)
    if args.command != "seed" and args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    return args


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> Walks:
    env = server_env(instance, args.database_url)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(
        f"{args.people} people, pages of {PAGE}, {args.concurrency} threads, {args.walks} walks; "
        f"{args.workers} workers on {os.cpu_count()} CPUs, {database}; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    seeded, port = seeded_server(
        env, instance, stack, [sys.executable, __file__, "seed", "--people", str(args.people)],
        args.workers,
    )
    started = time.perf_counter()
    result = run_walks(port, seeded["token"], args.people, args.concurrency, args.walks)
    elapsed = time.perf_counter() - started
    times = sorted(t * 1000 for t in result.times)
    if times:
        print(
            f"{len(times)} pages in {result.walks} walks: "
            f"median {statistics.median(times):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
            f"max {times[-1]:.1f} ms; {len(times) / elapsed:.0f} pages/s "
            f"(warm-up walks included in the wall time)"
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "seed":
        seed(args.people)
        return 0

    def run(instance: Path, stack: ExitStack) -> int:
        result = benchmark(args, instance, stack)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if result.problems:
            print("WRONG:\n  " + "\n  ".join(result.problems[:10]), file=sys.stderr)
            return 1
        return 0

    return in_throwaway_instance("lms-api-", run)


if __name__ == "__main__":
    sys.exit(main())
