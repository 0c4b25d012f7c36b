"""SCIM: 1,000 deactivations by PATCH in a row, as an identity provider sends them when
a site closes or a season's temporary staff leave (issue 20).

Run from the project root:

    .venv/bin/python bench/scim_bench.py                       # SQLite, 1,000 PATCHes
    LMS_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/scim_bench.py
    .venv/bin/python bench/scim_bench.py --people 200          # a quick look

What it does, all on 127.0.0.1 and in a throw-away instance folder:

1. migrates the database (`lms db upgrade`) and, in the server's environment
   (`scim_bench.py seed`), adds a company with `--people` active learners and a SCIM
   token of that company;
2. starts `lms serve` (gunicorn, `--workers`, rate limit off as in bench/http_bench.py);
3. sends, one after the other on one client, Entra ID's form of a deactivation for
   each person: `PATCH /scim/v2/Users/<id>` with
   `{"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`;
4. checks that every answer was 200 with `"active": false` and that a GET of each
   person afterwards says so too, and prints the total time and the PATCH times
   (median, p95, max).

Exit status 0 when every deactivation took; 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
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

REQUEST_TIMEOUT_S = 60.0
DEACTIVATE = json.dumps({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
}).encode()  # fmt: skip


def call(
    connection: http.client.HTTPConnection, method: str, path: str, token: str,
    body: bytes | None = None,
) -> tuple[int, bytes, float]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    if body is not None:
        headers["Content-Type"] = "application/scim+json"
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started


# --- Seeding (runs in the server's environment) ---------------------------------------


def seed(people: int) -> None:
    """A company with `people` active learners and a SCIM token; prints the token and the
    people's ids as JSON."""
    sys.path.insert(0, str(PROJECT_DIR))
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from lms import create_app
    from lms.audit.service import Actor
    from lms.db import db
    from lms.models import Company, TokenKind, User, UserRole
    from lms.tokens import service as tokens

    app = create_app()
    now = datetime.now(UTC)
    suffix = secrets.token_hex(3)
    with app.app_context(), db.begin() as session:
        company = Company(name=f"SCIM-Bench {suffix} GmbH", short_name=f"scim-bench-{suffix}")
        session.add(company)
        session.flush()
        rows = [
            {
                "email": f"scim-bench-{suffix}-{n}@example.com",
                "display_name": f"Person {n:05d}",
                "company_id": company.id,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(people)
        ]
        for start in range(0, people, 1000):
            session.execute(insert(User), rows[start : start + 1000])
        ids = session.scalars(
            select(User.id).where(User.company_id == company.id).order_by(User.id)
        ).all()
        session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
        created = tokens.create(session, Actor.command(), TokenKind.SCIM, company, "Bench", now)
        print(json.dumps({"token": created.value, "ids": list(ids)}))


# --- The run --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SCIM: deactivations by PATCH (issue 20).")
    sub = parser.add_subparsers(dest="command")
    seeding = sub.add_parser("seed", help="(internal) seed in the server's environment")
    seeding.add_argument("--people", type=int, required=True)
    parser.add_argument("--people", type=int, default=1000, help="deactivations (1000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LMS_DATABASE_URL"),
        help="e.g. a PostgreSQL URL (default: LMS_DATABASE_URL, else SQLite in a temp dir)",
    )
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> list[str]:
    env = server_env(instance, args.database_url)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(
        f"{args.people} PATCH deactivations in a row, one client; {args.workers} workers on "
        f"{os.cpu_count()} CPUs, {database}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    seeded, port = seeded_server(
        env, instance, stack, [sys.executable, __file__, "seed", "--people", str(args.people)],
        args.workers,
    )
    token, ids = seeded["token"], seeded["ids"]
    problems: list[str] = []
    times: list[float] = []
    started = time.perf_counter()
    for user_id in ids:
        # A connection per request, as gunicorn's sync workers close it anyway.
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        try:
            status, body, seconds = call(
                connection, "PATCH", f"/scim/v2/Users/{user_id}", token, DEACTIVATE
            )
        finally:
            connection.close()
        times.append(seconds)
        if status != 200 or json.loads(body).get("active") is not False:
            problems.append(f"PATCH of {user_id} answered {status}: {body[:200]!r}")
    total = time.perf_counter() - started
    for user_id in ids:
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        try:
            status, body, _seconds = call(connection, "GET", f"/scim/v2/Users/{user_id}", token)
        finally:
            connection.close()
        if status != 200 or json.loads(body).get("active") is not False:
            problems.append(f"GET of {user_id} after the PATCH: {status} {body[:200]!r}")
    ms = sorted(t * 1000 for t in times)
    print(
        f"{len(ids)} deactivations in {total:.1f} s ({len(ids) / total:.0f} per second); "
        f"PATCH median {statistics.median(ms):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"max {ms[-1]:.1f} ms"
    )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "seed":
        seed(args.people)
        return 0

    def run(instance: Path, stack: ExitStack) -> int:
        problems = benchmark(args, instance, stack)
        if problems:
            print("WRONG:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
            return 1
        return 0

    return in_throwaway_instance("lms-scim-", run)


if __name__ == "__main__":
    sys.exit(main())
