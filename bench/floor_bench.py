"""How much of a bare Flask route's throughput is left at each step to a Lernwerk page.

Issue 4 asks for the lesson page at concurrency 8 to reach half the throughput
of a bare Flask route answering the same bytes. This benchmark measures the
steps in between (bench/floor_app.py), all under gunicorn with the same workers,
in interleaved rounds so that a busy moment of the machine hits every target:

    bare      bench/bare_app.py: the body, nothing else
    session   + reading the signed session cookie
    row       + the user's row through SQLAlchemy Core (one statement)
    lernwerk  Lernwerk's own app, a route that only needs a logged-in user
    lesson    the lesson page of issue 4

Run from the project root (Debian's `wrk` installed):

    .venv/bin/python bench/floor_bench.py                # 3 rounds of 5 s at concurrency 8
    .venv/bin/python bench/floor_bench.py --rounds 5 --concurrency 8,32

It prints each target's median req/s and p95 over the rounds and its share of
the bare route's median throughput.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from http_bench import (
    DEFAULT_PASSWORD,
    HOST,
    BenchError,
    Server,
    WrkResult,
    _raise_on_sigterm,
    free_port,
    gunicorn_app,
    lms_serve,
    log_in,
    probe,
    run_wrk,
    running,
    seed_demo,
    server_env,
)

LESSON = "/learn/courses/it-sicherheit/passwoerter"
LEARNER = "jonas.becker@mueller-metallbau.example"
# (name, gunicorn app) of the steps; the lesson comes from `lms serve`.
STEPS = (
    ("bare", "bare_app:app"),
    ("session", "floor_app:session_app"),
    ("row", "floor_app:row_app"),
    ("lernwerk", "floor_app:lernwerk_app"),
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--concurrency", default="8", help="comma-separated connections (8)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args(argv)
    args.concurrency = sorted({int(c) for c in args.concurrency.split(",") if c.strip()})
    if args.rounds < 1 or args.duration < 1 or not args.concurrency:
        parser.error("--rounds, --duration and --concurrency must be at least 1")
    return args


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> None:
    env = server_env(instance, args.database_url)
    seed_demo(env, DEFAULT_PASSWORD)

    bases: dict[str, str] = {}
    servers: list[Server] = []
    for name, app in STEPS:
        port = free_port()
        server = gunicorn_app(name, app, port, args.workers, env, instance / f"{name}.log")
        servers.append(stack.enter_context(running(server)))
        bases[name] = f"http://{HOST}:{port}"
    port = free_port()
    lms = stack.enter_context(running(lms_serve(port, args.workers, env, instance / "lms.log")))
    bases["lesson"] = f"http://{HOST}:{port}"
    lms.wait_ready(f"{bases['lesson']}/healthz")
    for server, (name, _app) in zip(servers, STEPS, strict=True):
        server.wait_ready(f"{bases[name]}/?bytes=1" if name == "bare" else f"{bases[name]}/healthz")

    cookie = log_in(bases["lesson"], LEARNER, DEFAULT_PASSWORD)[0]
    size = probe(bases["lesson"] + LESSON, cookie)
    urls = {name: f"{bases[name]}/floor?bytes={size}" for name, _app in STEPS}
    urls["bare"] = f"{bases['bare']}/?bytes={size}"
    urls["lesson"] = bases["lesson"] + LESSON
    for name, url in urls.items():
        if probe(url, cookie) != size:
            raise BenchError(f"{name} did not answer {size} bytes.")
    print(f"{len(urls)} servers, {args.workers} workers each; body {size} bytes", flush=True)
    print(f"load average before: {[round(x, 2) for x in os.getloadavg()]}", flush=True)

    results: dict[tuple[str, int], list[WrkResult]] = {}
    for round_no in range(1, args.rounds + 1):
        for concurrency in args.concurrency:
            for name, url in urls.items():
                run_wrk(url, concurrency, 1, cookie)  # warm-up
                result = run_wrk(url, concurrency, args.duration, cookie)
                if result.error_count:
                    raise BenchError(f"{name} answered with errors: {result}")
                results.setdefault((name, concurrency), []).append(result)
                print(
                    f"  round {round_no} c={concurrency:<3} {name:9} {result.rps:8.1f} req/s"
                    f"  p95 {result.p95_ms:6.1f} ms",
                    flush=True,
                )

    print()
    print("target    conc  median req/s  median p95 ms  share of bare")
    for concurrency in args.concurrency:
        bare = statistics.median(r.rps for r in results[("bare", concurrency)])
        for name in urls:
            runs = results[(name, concurrency)]
            rps = statistics.median(r.rps for r in runs)
            p95 = statistics.median(r.p95_ms for r in runs)
            print(f"{name:9} {concurrency:4}  {rps:12.1f}  {p95:13.1f}  {rps / bare:13.2f}")
    print(f"load average after: {[round(x, 2) for x in os.getloadavg()]}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-floor-") as tmp, ExitStack() as stack:
            benchmark(args, Path(tmp), stack)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
