"""Course drafts (issue 9): the live check of a 300-line unit, and publishing a 10-unit course.

    .venv/bin/python bench/draft_bench.py            # 10 s wrk runs
    .venv/bin/python bench/draft_bench.py --quick    # 3 s runs

1. Creates a fresh instance (SQLite in a temporary folder, or `--database-url`), a
   trainer, and a draft of 10 units (9 lessons and a knowledge check); unit 05 is a
   lesson of 300 lines (headings, lists, tables, callouts, links).
2. Publishing, in the process: `drafts.publish` and the commit of the whole course as a
   new version, five times, each after changing one unit (so each makes a version).
3. Starts `lms serve` (gunicorn) as bench/http_bench.py does, makes the trainer's session
   cookie and CSRF token without an HTTP login (as bench/quiz_pool.py does), and runs
   wrk POSTing the 300-line unit to its live-check endpoint
   (`/author/drafts/<slug>/files/05-lang.md/check`) at each concurrency.

Targets on a 2-core machine: live check p95 < 100 ms at concurrency 8; publishing a
10-unit course < 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402

SLUG = "bench-entwurf"
POST_SCRIPT = BENCH_DIR / "post_body.lua"
TARGET_CHECK_P95_MS = 100.0
TARGET_PUBLISH_S = 2.0


def long_unit(lines: int = 300) -> str:
    """A lesson of about `lines` lines, in the course format."""
    parts = ["---", "type: lesson", "title: Eine lange Lektion", "minutes: 30", "---", ""]
    section = 0
    while len(parts) < lines:
        section += 1
        parts += [
            f"## Abschnitt {section}",
            "",
            "Ein Absatz mit **fetter** Schrift, *kursiv* und einem [Link](https://example.org).",
            "Noch ein Satz, damit der Absatz zwei Zeilen hat.",
            "",
            "- Erster Punkt",
            "- Zweiter Punkt mit `Code`",
            "- Dritter Punkt",
            "",
            "| Spalte A | Spalte B |",
            "| --- | --- |",
            f"| Wert {section} | Wert {section + 1} |",
            "",
            '!!! note "Hinweis"',
            "    Ein Hinweis in einem Kasten.",
            "",
        ]
    return "\n".join(parts[:lines]) + "\n"


def course_files() -> dict[str, bytes]:
    files = {
        "course.md": "---\ntitle: Benchmark-Kurs\nsummary: Zehn Einheiten.\nlanguage: de\n---\n"
        "Ein Kurs für den Benchmark.\n",
    }
    for number in range(1, 10):
        name = "05-lang.md" if number == 5 else f"{number:02d}-lektion-{number}.md"
        files[name] = (
            long_unit()
            if number == 5
            else f"---\ntype: lesson\ntitle: Lektion {number}\nminutes: 5\n---\n\n"
            + "## Worum es geht\n\nEin Absatz.\n\n- Ein Punkt\n- Noch einer\n" * 5
        )
    files["10-wissenscheck.md"] = (
        "---\ntype: quiz\ntitle: Wissenscheck\npass_mark: 50\n---\n\n"
        + "".join(
            f"## Frage {i}? {{#frage-{i}}}\n\n- (x) Richtig\n  > Ja.\n- ( ) Falsch\n  > Nein.\n\n"
            for i in range(1, 11)
        )
    )
    return {path: text.encode("utf-8") for path, text in files.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--quick", action="store_true", help="3 s wrk runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    missed: list[str] = []
    with ExitStack() as stack:
        instance = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lms-drafts-")))
        env = http_bench.server_env(instance, args.database_url)
        os.environ.update(env)
        from flask import session, url_for
        from flask_login import login_user
        from flask_wtf.csrf import generate_csrf

        from lms import create_app, migrate
        from lms.audit.service import Actor
        from lms.db import db
        from lms.models import CourseDraft, Role, User, UserRole
        from lms.services import drafts

        app = create_app()
        migrate.upgrade(app)
        with app.app_context(), db.begin() as s:
            trainer = User(email="trainerin@bench.example", display_name="Trainerin Bench",
                           password_hash="bench-no-login", is_active=True)  # fmt: skip
            s.add(trainer)
            s.flush()
            s.add(UserRole(user_id=trainer.id, role=Role.TRAINER.value))
            drafts.create_draft(s, SLUG, course_files(), trainer, datetime.now(UTC))
            trainer_id = trainer.id

        publish_times = []
        for round_ in range(5):
            with app.app_context(), app.test_request_context(), db.begin() as s:
                draft = s.query(CourseDraft).filter_by(slug=SLUG).one()
                me = s.get(User, trainer_id)
                assert me is not None
                text = f"---\ntype: lesson\ntitle: Lektion 1\nminutes: 5\n---\nRunde {round_}.\n"
                drafts.save_text(s, draft, "01-lektion-1.md", text, draft.revision, me,
                                 datetime.now(UTC))  # fmt: skip
            started = time.perf_counter()
            with app.app_context(), app.test_request_context(), db.begin() as s:
                draft = s.query(CourseDraft).filter_by(slug=SLUG).one()
                me = s.get(User, trainer_id)
                assert me is not None
                outcome = drafts.publish(s, Actor(me), draft, datetime.now(UTC))
                assert outcome.version is not None, outcome.problems
            publish_times.append(time.perf_counter() - started)

        with app.app_context(), app.test_request_context():
            me = db.session.get(User, trainer_id)
            login_user(me)
            session.permanent = True
            token = generate_csrf()
            serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            cookie = serializer.dumps(dict(session))
            path = url_for("author.check_file", slug=SLUG, path="05-lang.md")
            render_path = url_for("author.render_file", slug=SLUG, path="05-lang.md")
        body_file = instance / "check-body.txt"
        body_file.write_text(
            urllib.parse.urlencode({"csrf_token": token, "text": long_unit()}), encoding="utf-8"
        )

        port = http_bench.free_port()
        base = f"http://{http_bench.HOST}:{port}"
        command = [http_bench.venv_tool("lms"), "serve", "--host", http_bench.HOST, "--port",
                   str(port), "--workers", str(args.workers), "--no-access-log"]  # fmt: skip
        server = http_bench.Server("lms serve", command, env, instance / "server.log")
        stack.enter_context(http_bench.running(server))
        server.wait_ready(f"{base}/healthz")
        http_bench.run_wrk(base + path, 2, 2, cookie, POST_SCRIPT, [str(body_file)])  # warm-up
        rows = []
        for name, target in (("check", path), ("preview", render_path)):
            for concurrency in concurrencies:
                result = http_bench.run_wrk(
                    base + target, concurrency, args.duration, cookie, POST_SCRIPT,
                    [str(body_file)],
                )  # fmt: skip
                rows.append((name, concurrency, result))

    publish = statistics.median(publish_times)
    print("\nPublishing a 10-unit course (one unit of 300 lines), 5 times, in process:")
    slowest = max(publish_times)
    verdict = "ok" if slowest < TARGET_PUBLISH_S else "MISSED"
    target = f"target < {TARGET_PUBLISH_S:.0f} s: {verdict}"
    print(f"  median {publish:.2f} s, slowest {slowest:.2f} s  {target}")
    if slowest >= TARGET_PUBLISH_S:
        missed.append("publish")
    print(f"\nThe 300-line unit as typed, {args.workers} workers, {args.duration} s per run:")
    print(f"  {'endpoint':8} {'conc':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'non-2xx':>7}")  # fmt: skip
    for name, concurrency, result in rows:
        print(f"  {name:8} {concurrency:>4} {result.rps:>7.1f} {result.p50_ms:>7.1f} "
              f"{result.p95_ms:>7.1f} {result.p99_ms:>7.1f} {result.non2xx:>7}")  # fmt: skip
        if name == "check" and concurrency == 8 and result.p95_ms >= TARGET_CHECK_P95_MS:
            missed.append("live check p95")
        if result.non2xx:
            missed.append(f"{name}: non-2xx at {concurrency}")
    print(f"Load average at the end: {os.getloadavg()[0]:.2f}")
    if missed:
        print(f"Targets missed: {', '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
