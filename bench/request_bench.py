"""What one request to a page costs inside the process: CPU time, SQL statements, calls.

    .venv/bin/python bench/request_bench.py                       # every page of PROFILES
    .venv/bin/python bench/request_bench.py --urls lesson --requests 5000

Seeds the demo data in a temporary instance folder (as bench/http_bench.py does),
then requests each page with Flask's test client, logged in as the page's demo
user: no server, no network, no other process in the way. It prints, per page,
the SQL statements one request sends, the Python function calls one request makes
(counted with cProfile over 100 requests; a measure that does not depend on how
busy the machine is) and the CPU time per request (process time, the fastest and
the median of five batches). Use it to see what a change does to a page before
confirming it with bench/http_bench.py under gunicorn.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (profiles, demo password, the servers' environment)

BATCHES = 5
CALL_SAMPLE = 100


def measure(client: Any, engine: Any, path: str, requests: int) -> dict[str, Any]:
    """Statements, calls and CPU time of one GET of `path` (after a warm-up)."""
    from sqlalchemy import event

    for _ in range(50):
        answer = client.get(path)
        if answer.status_code != 200:
            raise http_bench.BenchError(f"GET {path} answered {answer.status_code}.")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    client.get(path)
    event.remove(engine, "before_cursor_execute", count)

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(CALL_SAMPLE):
        client.get(path)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]

    per_batch = max(requests // BATCHES, 1)
    batches = []
    for _ in range(BATCHES):
        started = time.process_time()
        for _ in range(per_batch):
            client.get(path)
        batches.append((time.process_time() - started) / per_batch * 1000)
    return {
        "statements": len(statements),
        "calls": calls / CALL_SAMPLE,
        "ms_min": min(batches),
        "ms_median": statistics.median(batches),
    }


def main(argv: list[str] | None = None) -> int:
    names = ", ".join(p.name for p in http_bench.PROFILES)
    parser = argparse.ArgumentParser(description="In-process cost of one request per page.")
    parser.add_argument("--urls", default=None, help=f"comma-separated pages: {names}")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per page")
    args = parser.parse_args(argv)
    wanted = {u.strip() for u in args.urls.split(",")} if args.urls else None
    profiles = [p for p in http_bench.PROFILES if wanted is None or p.name in wanted]
    if not profiles:
        parser.error(f"no such page; choose from {names}")

    with tempfile.TemporaryDirectory(prefix="lms-request-bench-") as tmp:
        env = http_bench.server_env(Path(tmp), None)
        password = http_bench.DEFAULT_PASSWORD
        seeded = subprocess.run(
            [http_bench.venv_tool("lms"), "demo", "--password", password],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if seeded.returncode != 0:
            print(f"lms demo failed:\n{seeded.stdout}{seeded.stderr}", file=sys.stderr)
            return 1
        os.environ.update({k: v for k, v in env.items() if k.startswith("LMS_")})
        from lms import create_app  # reads the LMS_* settings just set

        app = create_app()
        engine = app.extensions["db"].engine
        print(f"{'page':8} {'path':42} {'SQL':>4} {'calls':>7} {'ms min':>7} {'ms median':>9}")
        for profile in profiles:
            client = app.test_client()
            if profile.email:
                page = client.get("/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
                assert token is not None
                form = {"email": profile.email, "password": password, "csrf_token": token[1]}
                if client.post("/login", data=form).status_code != 302:
                    print(f"Logging in as {profile.email} failed.", file=sys.stderr)
                    return 1
            figures = measure(client, engine, profile.path, args.requests)
            print(
                f"{profile.name:8} {profile.path:42} {figures['statements']:4d} "
                f"{figures['calls']:7.0f} {figures['ms_min']:7.2f} {figures['ms_median']:9.2f}",
                flush=True,
            )
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
