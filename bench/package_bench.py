"""Packages: 100 learners committing SCORM data every 10 s (issue 21), and a package's
film seeked by many players at once.

Run from the project root:

    .venv/bin/python bench/package_bench.py                    # SQLite
    LMS_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/package_bench.py
    .venv/bin/python bench/package_bench.py --learners 100 --every 10 --duration 60

What it does, all on 127.0.0.1 and in a throw-away instance folder:

1. migrates the database and, in the servers' environment (`package_bench.py seed`),
   imports the demo course with a package unit (courses/brandschutz-unterweisung),
   adds a company of its own with `--learners` learners, enrols each and opens the
   package's player once (`runtime.launch`: an attempt and a launch token), and makes
   each learner's session cookie the way the login makes it;
2. starts `lms serve` (gunicorn, `--workers`, rate limit off as in bench/http_bench.py);
3. paced: every learner commits its SCORM 2004 runtime data every `--every` seconds
   (the learners spread evenly over the period), for `--duration` seconds; the
   commits go out through `--concurrency` connections at once (a pool of threads), as
   the player's POST to `/learn/package-commits/<token>` with a growing
   `commitSequence`, location, suspend data and session time. Each commit is timed
   from its planned moment to the last byte of the answer, so a queue in front of a
   busy server counts;
4. saturated: the same commits, `--concurrency` at a time as fast as they are
   answered, for `--burst` seconds: how many commits per second the machine takes;
5. seeking: the package also holds a film of `--film-mib` MiB (random bytes, as
   incompressible as a real one); `--concurrency` players fetch 1 MiB byte ranges of
   it at random places, as a video player does while it is seeked, for `--seeks`
   seconds (each answer must be 206 with exactly the bytes asked for); then the
   largest peak memory (VmHWM) of a server worker;
6. checks in the servers' environment (`package_bench.py check`) that each attempt
   holds its learner's last commit (sequence, location and suspend data), and prints
   the commit times (median, p95, p99, max) and the errors of every phase.

Exit status 0 when no request failed and every attempt holds its last commit; 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    HOST,
    PROJECT_DIR,
    SESSION_COOKIE,
    BenchError,
    in_throwaway_instance,
    percentile,
    seeded_server,
    server_env,
)

COURSE = "brandschutz-unterweisung"
PACKAGE_UNIT = "brandschutz-paket"
REQUEST_TIMEOUT_S = 60.0
FILM = "media/film.mp4"
SEEK_BYTES = 1024 * 1024


@dataclass
class Learner:
    """One learner's session and launch, and what it sent last."""

    cookie: str
    token: str
    sequence: int = 0

    def body(self) -> bytes:
        """The next commit: the SCO's runtime data as the player sends it."""
        self.sequence += 1
        page = 1 + self.sequence % 4
        return json.dumps(commit_body(self.sequence, page)).encode()


def commit_body(sequence: int, page: int) -> dict[str, Any]:
    """A SCORM 2004 commit of scorm-again (`renderCommitCMI`, JSON) after `sequence`
    steps: on page `page`, with the answers so far as suspend data."""
    answers = {f"f{n}": "ab"[n % 2] for n in range(1, 1 + sequence % 4)}
    seconds = 10 * sequence
    return {
        "cmi": {
            "completion_status": "incomplete",
            "success_status": "unknown",
            "exit": "suspend",
            "location": str(page),
            "progress_measure": f"{page / 4:.2f}",
            "session_time": f"PT{seconds // 60}M{seconds % 60}S",
            "suspend_data": json.dumps({"answers": answers, "seen": list(range(1, page + 1))}),
            "score": {"scaled": "", "raw": "", "min": "", "max": ""},
            "interactions": {},
        },
        "commitSequence": sequence,
    }


@dataclass
class Measured:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times.append(seconds)
            if error:
                self.errors.append(error)


def ask(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[http.client.HTTPResponse, bytes] | str:
    """One request on a connection of its own: the response and its body, or what went
    wrong."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def post_commit(port: int, learner: Learner) -> str | None:
    """Send the learner's next commit; None when the server took it, else what went wrong."""
    headers = {"Content-Type": "application/json", "Cookie": f"{SESSION_COOKIE}={learner.cookie}"}
    asked = ask(port, "POST", f"/learn/package-commits/{learner.token}", headers, learner.body())
    if isinstance(asked, str):
        return asked
    response, answer = asked
    if response.status != 200:
        return f"status {response.status}: {answer[:200]!r}"
    try:
        result = json.loads(answer)
    except ValueError:
        return f"not JSON: {answer[:200]!r}"
    if result.get("result") is not True:
        return f"refused: {answer[:200]!r}"
    return None


def paced(port: int, learners: list[Learner], every: float, duration: float,
          concurrency: int) -> Measured:  # fmt: skip
    """Each learner commits every `every` seconds; `concurrency` connections at once."""
    measured = Measured()
    rounds = max(1, int(duration // every))
    moments = sorted(
        (round_ * every + index * every / len(learners), index)
        for index in range(len(learners))
        for round_ in range(rounds)
    )
    begun = time.perf_counter()
    # A learner's commits go out in order: one lock each, held while its commit runs.
    locks = [threading.Lock() for _ in learners]

    def send(moment: float, index: int) -> None:
        with locks[index]:
            error = post_commit(port, learners[index])
        measured.add(time.perf_counter() - (begun + moment), error)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for moment, index in moments:
            delay = begun + moment - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, moment, index)
    return measured


def saturated(port: int, learners: list[Learner], seconds: float, concurrency: int) -> Measured:
    """`concurrency` threads, each taking the next learner in turn, as fast as answered."""
    measured = Measured()
    stop = time.perf_counter() + seconds
    turn = [0]
    turn_lock = threading.Lock()
    locks = [threading.Lock() for _ in learners]

    def worker() -> None:
        while time.perf_counter() < stop:
            with turn_lock:
                index = turn[0] % len(learners)
                turn[0] += 1
            with locks[index]:
                started = time.perf_counter()
                error = post_commit(port, learners[index])
                measured.add(time.perf_counter() - started, error)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return measured


def fetch_range(port: int, token: str, start: int, film_size: int) -> str | None:
    """GET 1 MiB of the film from byte `start`, as a seeking player asks for it; None when
    the answer is exactly that range, else what went wrong."""
    stop = min(start + SEEK_BYTES, film_size) - 1
    asked = ask(port, "GET", f"/package-files/{token}/{FILM}", {"Range": f"bytes={start}-{stop}"})
    if isinstance(asked, str):
        return asked
    response, answer = asked
    if response.status != 206:
        return f"status {response.status}: {answer[:200]!r}"
    if len(answer) != stop - start + 1 or response.getheader("Content-Range") != (
        f"bytes {start}-{stop}/{film_size}"
    ):
        return f"wrong range: {len(answer)} bytes, {response.getheader('Content-Range')}"
    return None


def seeking(port: int, tokens: list[str], film_size: int, seconds: float,
            concurrency: int) -> Measured:  # fmt: skip
    """`concurrency` players, each fetching 1 MiB ranges at random places of the film."""
    measured = Measured()
    stop = time.perf_counter() + seconds

    def player(number: int) -> None:
        chance = random.Random(number)  # the same places in every run
        while time.perf_counter() < stop:
            start = chance.randrange(0, max(1, film_size - SEEK_BYTES))
            started = time.perf_counter()
            error = fetch_range(port, tokens[number % len(tokens)], start, film_size)
            measured.add(time.perf_counter() - started, error)

    threads = [threading.Thread(target=player, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return measured


def peak_worker_memory(port: int) -> int:
    """The largest peak resident memory (VmHWM, KiB) of the server's processes on `port`."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
            if b"serve" not in cmdline or str(port).encode() not in cmdline:
                continue
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak


# --- In the servers' environment ---------------------------------------------------------


def seed(count: int, film_mib: int) -> None:
    """Learners with an open package attempt and a film of `film_mib` MiB in the package;
    prints {"learners": [{cookie, token}, …], "film": its size} as JSON."""
    sys.path.insert(0, str(PROJECT_DIR))
    import secrets

    from flask import session
    from flask_login import login_user
    from sqlalchemy import select

    from lms import create_app
    from lms.audit.service import Actor
    from lms.clock import now
    from lms.content.importer import import_course
    from lms.db import db
    from lms.models import Company, PackageFile, Role, User
    from lms.packages import runtime, storage
    from lms.services import learning
    from lms.services.passwords import hash_password

    app = create_app()
    suffix = secrets.token_hex(3)
    learners = []
    with app.app_context():
        with db.begin() as s:
            moment = now()
            outcome = import_course(s, PROJECT_DIR / "courses" / COURSE, moment)
            if outcome.version is None:
                raise SystemExit(f"{COURSE} does not import: {outcome.problems}")
            course = outcome.version.course
            film = os.urandom(film_mib * 1024 * 1024)
            package = s.scalar(
                select(PackageFile.package).where(PackageFile.version_id == outcome.version.id)
            )
            known = s.scalar(
                select(PackageFile.id).where(
                    PackageFile.version_id == outcome.version.id, PackageFile.path == FILM
                )
            )
            if film and package and known is None:
                storage.store_package_files(s, outcome.version, package, {FILM: film})
            company = Company(short_name=f"paket-{suffix}", name=f"Paket-Bench {suffix} GmbH")
            s.add(company)
            users = []
            # Nobody logs in with it: the sessions are made below, as the login makes them.
            password_hash = hash_password(secrets.token_urlsafe(16))
            for number in range(count):
                user = User(
                    email=f"paket-{suffix}-{number:04d}@benchmark.example",
                    display_name=f"Lernende {number}",
                    company=company,
                    password_hash=password_hash,
                    created_at=moment,
                )
                user.grant(Role.LEARNER)
                s.add(user)
                s.flush()
                enrollment = learning.enroll(s, user, course, moment)
                units = learning.rendered_units(enrollment.version, enrollment.version.language)
                unit = next(u for u in units if u["id"] == PACKAGE_UNIT)
                item = unit["package"]["items"][0]["id"]
                launched = runtime.launch(s, Actor.command(), enrollment, unit, item, moment)
                users.append((user, launched.token))
        for user, token in users:
            with app.test_request_context():
                login_user(user)
                session.permanent = True
                serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
                learners.append({"cookie": serializer.dumps(dict(session)), "token": token})
    print(json.dumps({"learners": learners, "film": film_mib * 1024 * 1024}))


def check(expected_path: Path) -> None:
    """Compare each attempt with its learner's last commit; prints {"wrong": [...]}."""
    sys.path.insert(0, str(PROJECT_DIR))
    import hashlib

    from sqlalchemy import select

    from lms import create_app
    from lms.db import db
    from lms.models import PackageAttempt, PackageLaunch

    expected = json.loads(expected_path.read_text())
    app = create_app()
    wrong = []
    with app.app_context(), db.begin() as s:
        for entry in expected:
            digest = hashlib.sha256(entry["token"].encode()).hexdigest()
            attempt = s.scalar(
                select(PackageAttempt)
                .join(PackageLaunch, PackageLaunch.attempt_id == PackageAttempt.id)
                .where(PackageLaunch.token_digest == digest)
            )
            last = commit_body(entry["sequence"], 1 + entry["sequence"] % 4)["cmi"]
            if attempt is None:
                wrong.append(f"no attempt for a launch token …{entry['token'][-6:]}")
            elif attempt.commit_sequence != entry["sequence"] or (
                attempt.location,
                attempt.suspend_data,
            ) != (last["location"], last["suspend_data"]):
                wrong.append(
                    f"attempt {attempt.id}: sequence {attempt.commit_sequence}, "
                    f"location {attempt.location!r}; last sent {entry['sequence']}"
                )
    print(json.dumps({"wrong": wrong}))


# --- The run -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Packages: SCORM commits (issue 21).")
    sub = parser.add_subparsers(dest="command")
    seeding = sub.add_parser("seed", help="(internal) seed in the servers' environment")
    seeding.add_argument("--learners", type=int, required=True)
    seeding.add_argument("--film-mib", type=int, required=True)
    checking = sub.add_parser("check", help="(internal) check in the servers' environment")
    checking.add_argument("expected", type=Path)
    parser.add_argument("--learners", type=int, default=100, help="learners (100)")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between commits (10)")
    parser.add_argument("--duration", type=float, default=60.0, help="paced seconds (60)")
    parser.add_argument("--burst", type=float, default=15.0, help="saturated seconds (15)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once (8)")
    parser.add_argument("--film-mib", type=int, default=100, help="the film's size in MiB (100)")
    parser.add_argument("--seeks", type=float, default=15.0, help="seconds of seeking (15)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default 2 × CPU + 1)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LMS_DATABASE_URL"),
        help="e.g. a PostgreSQL URL (default: LMS_DATABASE_URL, else SQLite in a temp dir)",
    )
    args = parser.parse_args(argv)
    if args.command is None and args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    return args


def _summary(label: str, measured: Measured, seconds: float, what: str = "commits") -> str:
    times = sorted(t * 1000 for t in measured.times)
    if not times:
        return f"{label}: no {what}"
    return (
        f"{label}: {len(times)} {what} in {seconds:.0f} s ({len(times) / seconds:.1f}/s), "
        f"median {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
        f"p99 {percentile(times, 99):.1f} ms, max {times[-1]:.1f} ms; "
        f"{len(measured.errors)} errors"
    )


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> int:
    env = server_env(instance, args.database_url)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(
        f"{args.learners} learners committing every {args.every:g} s for {args.duration:g} s, "
        f"{args.concurrency} connections; {args.workers} workers on {os.cpu_count()} CPUs, "
        f"{database}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    seed_command = [sys.executable, __file__, "seed", "--learners", str(args.learners),
                    "--film-mib", str(args.film_mib)]  # fmt: skip
    seeded, port = seeded_server(env, instance, stack, seed_command, args.workers)
    learners = [Learner(cookie=s["cookie"], token=s["token"]) for s in seeded["learners"]]
    started = time.perf_counter()
    steady = paced(port, learners, args.every, args.duration, args.concurrency)
    print(_summary("paced", steady, time.perf_counter() - started), flush=True)
    started = time.perf_counter()
    burst = saturated(port, learners, args.burst, args.concurrency)
    print(_summary("saturated", burst, time.perf_counter() - started), flush=True)
    seeks = Measured()
    if seeded["film"]:
        started = time.perf_counter()
        tokens = [learner.token for learner in learners]
        seeks = seeking(port, tokens, seeded["film"], args.seeks, args.concurrency)
        print(
            _summary(f"seeking a {args.film_mib} MiB film, 1 MiB ranges", seeks,
                     time.perf_counter() - started, "ranges"),
            flush=True,
        )  # fmt: skip
        print(f"largest peak memory of a server worker: {peak_worker_memory(port) / 1024:.0f} MiB")
    expected = instance / "expected.json"
    expected.write_text(json.dumps([{"token": x.token, "sequence": x.sequence} for x in learners]))
    done = subprocess.run(
        [sys.executable, __file__, "check", str(expected)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"check failed:\n{done.stdout}{done.stderr}")
    wrong = json.loads(done.stdout.strip().splitlines()[-1])["wrong"]
    problems = steady.errors + burst.errors + seeks.errors + wrong
    print(f"attempts holding their last commit: {len(learners) - len(wrong)} of {len(learners)}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if problems:
        print("WRONG:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "seed":
        seed(args.learners, args.film_mib)
        return 0
    if args.command == "check":
        check(args.expected)
        return 0
    return in_throwaway_instance(
        "lms-package-", lambda instance, stack: benchmark(args, instance, stack)
    )


if __name__ == "__main__":
    sys.exit(main())
