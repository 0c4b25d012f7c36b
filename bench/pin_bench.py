"""A shift change on the shop floor: 300 PIN sign-ins in 60 s against `lms serve` (issue 19).

Run from the project root:

    .venv/bin/python bench/pin_bench.py                      # SQLite, 300 sign-ins in 60 s
    .venv/bin/python bench/pin_bench.py --quick              # 60 sign-ins in 12 s
    .venv/bin/python bench/pin_bench.py --database-url postgresql+psycopg://…/lms_bench

What it does, on loopback addresses and in a throw-away instance folder:

1. seeds the demo data (`lms demo`) and a company "PIN Bench GmbH" whose people have no
   e-mail address, only a personnel number and a PIN (argon2id with the production
   parameters; one hash shared by all, which costs the same to check as 300);
2. starts `lms serve` (its own number of workers, sign-in throttling on, the limiter
   counting in each worker unless --redis-url) behind one trusted proxy
   (LMS_PROXY_COUNT=1): each sign-in comes from one of 30 tablets, an X-Forwarded-For
   address in one of three sites (three /24 networks, ten tablets each);
3. the shift change: 300 people sign in, evenly spread over 60 s (GET /pin/ for the
   form, then POST it); one in twenty types a wrong PIN first, as people do;
4. the same again while one address guesses: 2 wrong PINs a second for the company's
   personnel numbers from one more network. The guesser should soon get 429, the shift
   nothing but sign-ins;
5. prints, per run (after 10 sign-ins to warm the workers up), the POST's p50/p95/max
   and every answer counted (signed in, wrong PIN, throttled 429, others).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (servers, demo data, percentiles)
from rush_bench import in_process_app, run_scheduled  # noqa: E402

HOST = http_bench.HOST
PIN = "482913"
COMPANY = ("pin-bench", "PIN Bench GmbH")
TABLETS = 30
SITES = 3
GUESSER = "203.0.113.66"
TYPO_EVERY = 20  # one in twenty types a wrong PIN first


@dataclass(frozen=True)
class Outcome:
    label: str  # "signed in", "wrong PIN", "throttled (429)", other
    seconds: float  # the POST


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=300, help="sign-ins per run (300)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of a run (60)")
    parser.add_argument("--quick", action="store_true", help="60 sign-ins in 12 s")
    parser.add_argument("--guesses-per-second", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32, help="client threads (32)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (lms serve's)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="the limiter's storage")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.seconds = 60, 12.0
    return args


def seed_people(app: Any, count: int) -> tuple[str, list[str]]:
    """The bench company (new) with `count` people signing in by PIN: its sign-in code
    and their personnel numbers."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from lms.db import db
    from lms.models import Company, Role, User
    from lms.services.passwords import hash_password

    now = datetime.now(UTC)
    with app.app_context():
        if db.session.scalar(select(Company.id).where(Company.short_name == COMPANY[0])):
            raise http_bench.BenchError(
                f"The database already has {COMPANY[1]!r}: give a fresh one."
            )
        db.session.rollback()
        with app.test_request_context():
            pin_hash = hash_password(PIN)
        with db.begin() as session:
            company = Company(short_name=COMPANY[0], name=COMPANY[1])
            session.add(company)
            session.flush()
            numbers = [f"S{index:04d}" for index in range(count)]
            for number in numbers:
                person = User(
                    email=None, display_name=f"Werker {number}", personnel_number=number,
                    company_id=company.id, pin_hash=pin_hash, pin_set_at=now, created_at=now,
                )  # fmt: skip
                person.grant(Role.LEARNER)
                session.add(person)
            code = str(company.sign_in_code)
    return code, numbers


def tablet_address(index: int) -> str:
    """Tablet `index` of 30: ten in each of three sites (/24 networks)."""
    return f"10.20.{index % SITES}.{10 + index // SITES}"


def sign_in(port: int, forwarded_for: str, code: str, number: str, pin: str) -> Outcome:
    """GET /pin/, then POST the form; the POST's answer and duration."""
    headers = {"Accept-Language": "en", "User-Agent": "pin-bench", "X-Forwarded-For": forwarded_for}
    connection = http.client.HTTPConnection(HOST, port, timeout=http_bench.HTTP_TIMEOUT_S)
    started = time.perf_counter()
    try:
        connection.request("GET", "/pin/", headers=headers)
        page = connection.getresponse()
        body = page.read()
        if page.status != 200:
            return Outcome(f"GET /pin/ {page.status}", time.perf_counter() - started)
        jar: SimpleCookie = SimpleCookie()
        for value in page.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        form = urllib.parse.urlencode(
            {"code": code, "number": number, "pin": pin, "next": "",
             "csrf_token": http_bench.csrf_token(body)}
        )  # fmt: skip
        post_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        cookie = jar.get(http_bench.SESSION_COOKIE)
        if cookie is not None:
            post_headers["Cookie"] = f"{http_bench.SESSION_COOKIE}={cookie.value}"
        started = time.perf_counter()
        connection.request("POST", "/pin/", body=form, headers=post_headers)
        answer = connection.getresponse()
        body = answer.read()
        elapsed = time.perf_counter() - started
    except (OSError, http.client.HTTPException, http_bench.BenchError) as exc:
        return Outcome(f"error ({type(exc).__name__})", time.perf_counter() - started)
    finally:
        connection.close()
    if answer.status == 302:
        return Outcome("signed in", elapsed)
    if answer.status == 429:
        return Outcome("throttled (429)", elapsed)
    if answer.status == 200 and b"The details are not correct" in body:
        return Outcome("wrong PIN", elapsed)
    return Outcome(str(answer.status), elapsed)


def shift(
    port: int, code: str, numbers: Sequence[str], seconds: float
) -> list[tuple[float, Callable[[], list[Outcome]]]]:
    """Each person at an even interval on their tablet; every twentieth mistypes first."""
    tasks = []
    step = seconds / len(numbers)
    for index, number in enumerate(numbers):
        tablet = tablet_address(index % TABLETS)

        def person(
            number: str = number, tablet: str = tablet, typo: bool = index % TYPO_EVERY == 7
        ):
            tries = [sign_in(port, tablet, code, number, "950274")] if typo else []
            return [*tries, sign_in(port, tablet, code, number, PIN)]

        tasks.append((index * step, person))
    return tasks


def guesser(
    port: int, code: str, numbers: Sequence[str], per_second: float, stop: threading.Event
) -> Callable[[], list[Outcome]]:
    def guess() -> list[Outcome]:
        outcomes, index = [], 0
        while not stop.wait(1 / per_second):
            number = numbers[(index * 37) % len(numbers)]
            outcomes.append(sign_in(port, GUESSER, code, number, f"{700001 + index:06d}"))
            index += 1
        return outcomes

    return guess


def figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    times = sorted(o.seconds * 1000 for o in outcomes)
    return {
        "count": len(outcomes),
        "answers": dict(Counter(o.label for o in outcomes).most_common()),
        "p50_ms": round(http_bench.percentile(times, 50), 1) if times else None,
        "p95_ms": round(http_bench.percentile(times, 95), 1) if times else None,
        "max_ms": round(times[-1], 1) if times else None,
    }


def show(title: str, result: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"  POSTs: {result['count']}, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms,"
          f" max {result['max_ms']} ms")  # fmt: skip
    for label, count in result["answers"].items():
        print(f"    {label:<18} {count}")


def run(
    args: argparse.Namespace, port: int, code: str, numbers: Sequence[str], guessing: bool
) -> dict[str, Any]:
    stop = threading.Event()
    background = [guesser(port, code, numbers, args.guesses_per_second, stop)] if guessing else []
    started = time.monotonic()
    results, side, late = run_scheduled(
        shift(port, code, numbers, args.seconds), args.concurrency, stop, background
    )
    took = time.monotonic() - started
    posts = [outcome for tries in results for outcome in tries]
    report = {
        "seconds": round(took, 1),
        "latest_start_s": round(late, 2),
        "shift": figures(posts),
        "people_signed_in": sum(tries[-1].label == "signed in" for tries in results),
    }
    if guessing:
        report["guesser"] = figures(side[0])
    return report


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> None:
    env = http_bench.server_env(instance, args.database_url)
    env.update({"LMS_RATELIMIT_ENABLED": "1", "LMS_PROXY_COUNT": "1"})
    if args.redis_url:
        env["LMS_REDIS_URL"] = env["LMS_RATELIMIT_STORAGE_URL"] = args.redis_url
    http_bench.seed_demo(env, http_bench.DEFAULT_PASSWORD)
    app = in_process_app(env)
    code, numbers = seed_people(app, args.people)
    print(f"{len(numbers)} people of {COMPANY[1]} (sign-in code {code}), {TABLETS} tablets")

    port = http_bench.free_port()
    command = [http_bench.venv_tool("lms"), "serve", "--host", HOST, "--port", str(port),
               "--no-access-log"]  # fmt: skip
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = http_bench.Server("lms serve", command, env, instance / "serve.log")
    stack.enter_context(http_bench.running(server))
    server.wait_ready(f"http://{HOST}:{port}/healthz")
    log = (instance / "serve.log").read_text(errors="replace")
    workers = next((line for line in log.splitlines() if "workers" in line), "")
    print(f"lms serve on port {port}, {os.cpu_count()} cores; {workers.strip()}")

    # Warm-up, not counted: every worker opens its connections and checks a PIN once.
    for index in range(10):
        sign_in(port, tablet_address(index), code, numbers[index], PIN)
    first = run(args, port, code, numbers, guessing=False)
    show(f"Shift change: {args.people} sign-ins in {args.seconds:.0f} s ({first['seconds']} s,"
         f" {first['people_signed_in']} signed in)", first["shift"])  # fmt: skip
    # A new minute for the limiter, and the first run's failures stay (they count per day).
    time.sleep(5)
    second = run(args, port, code, numbers, guessing=True)
    show(f"Again, while {GUESSER} guesses {args.guesses_per_second:g} PINs a second"
         f" ({second['people_signed_in']} signed in)", second["shift"])  # fmt: skip
    show(f"The guesser at {GUESSER}", second["guesser"])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, http_bench._raise_on_sigterm)
    try:
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pin-bench-") as folder:
            benchmark(args, Path(folder), stack)
    except http_bench.BenchError as exc:
        print(f"pin_bench: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
