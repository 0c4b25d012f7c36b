"""Booking the last seats: many learners book one in-person session at the same moment (issue 6).

Run from the project root:

    .venv/bin/python bench/booking_bench.py                  # 100 learners, 20 seats, 3 rounds
    .venv/bin/python bench/booking_bench.py --database-url postgresql+psycopg://…

What it does, all on 127.0.0.1 and in a throw-away instance folder:

1. seeds the demo data (`lms demo`) and starts `lms serve` (gunicorn), as
   bench/http_bench.py does (its helpers are imported from there);
2. per round, bench/booking_pool.py, run in the servers' environment, adds new
   learners to a company of their own, enrols them on the IT security course,
   schedules one session of its in-person unit with the given number of seats and
   makes each learner a session cookie and CSRF token;
3. one thread per learner waits at a barrier; when the last one arrives, all
   send `POST /learn/sessions/<id>/book` at once, each on its own connection with
   its own cookie, and time it until the answer is read. Redirects are not
   followed: the redirect to the unit page is the answer of a booking;
4. reads back the session's bookings by status and its `booked` counter, and
   checks that exactly `seats` are confirmed and the rest wait.

Threads, not processes: a client thread spends a fraction of a millisecond of
Python per request (the body is prepared, the connection is opened after the
barrier) and otherwise waits in socket calls, which release the GIL. The
script prints how far apart the requests were sent; that spread is what the
GIL could distort, and it stays small beside the latencies, which are the
queue of 100 requests at a few workers.

The first round (`--warmup-rounds`, default 1) runs the same way but is not
counted: gunicorn's workers build the app when they start, and the first
requests of each worker pay for what it then keeps (compiled statements,
templates).

Exit status 0 when every counted and warm-up round confirmed exactly `seats`
and waitlisted the rest with every request answered by the redirect; 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from http_bench import (
    HOST,
    PROJECT_DIR,
    SESSION_COOKIE,
    BenchError,
    Server,
    free_port,
    percentile,
    running,
    server_env,
    venv_tool,
)

BOOKING_POOL = Path(__file__).resolve().parent / "booking_pool.py"
UNIT_PATH = "/learn/courses/it-sicherheit/workshop-phishing"
REQUEST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Shot:
    """One booking request: its answer and its times, in seconds after the barrier."""

    status: int
    location: str
    sent_s: float
    done_s: float
    error: str = ""

    @property
    def latency_s(self) -> float:
        return self.done_s - self.sent_s

    @property
    def booked(self) -> bool:
        """Answered as a booking is: the redirect back to the unit page."""
        return self.status == 302 and urllib.parse.urlsplit(self.location).path == UNIT_PATH


@dataclass(frozen=True)
class Round:
    """One burst and what the database holds afterwards."""

    label: str
    shots: list[Shot]
    counts: dict[str, Any]

    @property
    def errors(self) -> list[Shot]:
        return [shot for shot in self.shots if not shot.booked]

    def problems(self, seats: int) -> list[str]:
        """Why the round is wrong; empty if it is right."""
        statuses = self.counts["statuses"]
        learners = len(self.shots)
        expected = {"confirmed": min(seats, learners), "waitlisted": max(learners - seats, 0)}
        found = []
        if statuses != {k: v for k, v in expected.items() if v}:
            found.append(f"bookings {statuses}, expected {expected}")
        if self.counts["booked"] != expected["confirmed"]:
            found.append(f"the session's booked counter is {self.counts['booked']}")
        if self.counts["without_booking"] or self.counts["others"]:
            found.append(
                f"{self.counts['without_booking']} learners without a booking, "
                f"{self.counts['others']} bookings of others"
            )
        if self.errors:
            found.append(f"{len(self.errors)} requests not answered with the redirect")
        return found


def fire(base_host: str, port: int, round_: dict[str, Any]) -> list[Shot]:
    """Send every learner's booking at once (one thread each, released by a barrier)."""
    learners = round_["learners"]
    path = round_["path"]
    released: list[float] = []
    barrier = threading.Barrier(len(learners), action=lambda: released.append(time.perf_counter()))
    shots: list[Shot | None] = [None] * len(learners)

    def book(index: int, learner: dict[str, Any]) -> None:
        body = urllib.parse.urlencode({"csrf_token": learner["csrf_token"]})
        headers = {
            "Cookie": f"{SESSION_COOKIE}={learner['cookie']}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        connection = http.client.HTTPConnection(base_host, port, timeout=REQUEST_TIMEOUT_S)
        barrier.wait()
        sent = time.perf_counter()
        status, location, error = 0, "", ""
        try:
            connection.request("POST", path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            status, location = answer.status, answer.getheader("Location", "")
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        done = time.perf_counter()
        shots[index] = Shot(status, location, sent - released[0], done - released[0], error)

    threads = [
        threading.Thread(target=book, args=(i, learner), daemon=True)
        for i, learner in enumerate(learners)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [shot for shot in shots if shot is not None]


def pool(env: dict[str, str], *args: str) -> str:
    """Run bench/booking_pool.py in the servers' environment; return its output."""
    done = subprocess.run(
        [sys.executable, str(BOOKING_POOL), *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench/booking_pool.py {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def run_round(
    label: str, args: argparse.Namespace, env: dict[str, str], port: int, folder: Path
) -> Round:
    round_file = folder / f"round-{label}.json"
    pool(
        env,
        "prepare",
        f"--learners={args.learners}",
        f"--seats={args.seats}",
        f"--out={round_file}",
    )
    shots = fire(HOST, port, json.loads(round_file.read_text()))
    counts = json.loads(pool(env, "count", str(round_file)))
    return Round(label, shots, counts)


def latency_line(shots: Sequence[Shot]) -> str:
    ms = sorted(shot.latency_s * 1000 for shot in shots)
    return f"p50 {statistics.median(ms):7.1f}  p95 {percentile(ms, 95):7.1f}  max {ms[-1]:7.1f} ms"


def report(result: Round, seats: int) -> None:
    statuses = result.counts["statuses"]
    others = {k: v for k, v in statuses.items() if k not in ("confirmed", "waitlisted")}
    sent = [shot.sent_s * 1000 for shot in result.shots]
    wall = max(shot.done_s for shot in result.shots)
    print(
        f"{result.label:8} confirmed {statuses.get('confirmed', 0):3}  "
        f"waitlisted {statuses.get('waitlisted', 0):3}  other {others or 0}  "
        f"booked {result.counts['booked']}/{result.counts['capacity']}  "
        f"errors {len(result.errors)}  {latency_line(result.shots)}  "
        f"wall {wall * 1000:7.1f} ms  sent within {max(sent) - min(sent):5.1f} ms",
        flush=True,
    )
    for shot in result.errors[:5]:
        print(f"  error: {shot.status} {shot.location} {shot.error}".rstrip())
    for problem in result.problems(seats):
        print(f"  WRONG: {problem}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Many learners book one in-person session at once (issue 6)."
    )
    parser.add_argument("--learners", type=int, default=100, help="learners booking (100)")
    parser.add_argument("--seats", type=int, default=20, help="seats of the session (20)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="counted rounds, a new session each (3)"
    )
    parser.add_argument(
        "--warmup-rounds", type=int, default=1, help="rounds run first and not counted (1)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default 2 × CPU + 1)"
    )
    parser.add_argument(
        "--database-url", default=None, help="e.g. a PostgreSQL URL (default: SQLite in a temp dir)"
    )
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    if min(args.learners, args.seats, args.rounds, args.workers) < 1 or args.warmup_rounds < 0:
        parser.error("--learners, --seats, --rounds and --workers must be >= 1")
    return args


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> list[Round]:
    env = server_env(instance, args.database_url)
    database = "PostgreSQL/other (--database-url)" if args.database_url else "SQLite"
    print(
        f"{args.learners} learners book {args.seats} seats at once, {args.rounds} rounds "
        f"(+{args.warmup_rounds} warm-up); {args.workers} workers on {os.cpu_count()} CPUs, "
        f"{database}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    seeded = subprocess.run(
        [venv_tool("lms"), "demo"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        raise BenchError(f"lms demo failed:\n{seeded.stdout}{seeded.stderr}")
    port = free_port()
    command = [venv_tool("lms"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(args.workers), "--no-access-log"]
    server = stack.enter_context(running(Server("lms serve", command, env, instance / "serve.log")))
    server.wait_ready(f"http://{HOST}:{port}/healthz")

    rounds = []
    labels = [f"warm-up {n + 1}" for n in range(args.warmup_rounds)]
    labels += [f"round {n + 1}" for n in range(args.rounds)]
    for label in labels:
        result = run_round(label, args, env, port, instance)
        report(result, args.seats)
        rounds.append(result)
    return rounds


def _raise_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-booking-") as tmp, ExitStack() as stack:
            rounds = benchmark(args, Path(tmp), stack)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    counted = rounds[args.warmup_rounds :]
    shots = [shot for result in counted for shot in result.shots]
    print(f"all {len(counted)} rounds, {len(shots)} requests: {latency_line(shots)}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    wrong = [result.label for result in rounds if result.problems(args.seats)]
    if wrong:
        print(f"WRONG in {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
