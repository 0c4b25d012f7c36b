"""The code before issue 17's work and the code after it, side by side (issue 17's figures).

Run from the project root:

    .venv/bin/python bench/compare.py                 # old = 8c08cf4^, new = the working tree
    .venv/bin/python bench/compare.py --quick         # 3 s runs, 2 rounds: a smoke check
    .venv/bin/python bench/compare.py --new HEAD --pages lesson,matrix --json out.json
    .venv/bin/python bench/compare.py --database-url postgresql+psycopg://lms_ci:…@127.0.0.1/db

What it does, all on 127.0.0.1 and in a throw-away folder:

1. extracts the old commit (and `--new`, if given) with `git archive | tar -x`: the
   repository is only read; without `--new` the new side is the working tree as it is;
2. gives each side an instance folder and a database of its own (SQLite in the
   instance folder, or a schema of its own in the `--database-url` database), and
   checks that a Python started with that side's environment imports `lms` and
   `config` from that side's tree (PYTHONPATH at the tree; the virtualenv's
   editable install of the working tree comes after it);
3. seeds each side with its own code, the same way: its own `bench/matrix_bench.py`
   seed (one company of `--people` × `--courses`, the manager's matrix) on the empty
   database, then its own `lms demo` (its own migrations and courses), then, during
   the runs, its own `bench/quiz_pool.py` (open attempts of the IT security quiz);
4. starts both with their own `lms serve` (gunicorn, the same workers and options),
   both running the whole time;
5. per page and concurrency, alternates the sides in rounds (old-new, new-old, …)
   with wrk, after a warm-up of each side;
6. prints per page and concurrency p50 / p95 and req/s of both (median of the
   rounds), the ratio new/old of the throughput and whether each budget is met, and
   the lines of code in `lms/` of both trees.

See bench/README.md ("Old and new side by side") for what the columns mean.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import http_bench  # noqa: E402  (servers, logins, wrk, the open attempts of quiz_pool.py)
import matrix_bench  # noqa: E402  (the matrix's manager and password)

DEFAULT_OLD = "8c08cf4^"  # the commit before issue 17's work
PASSWORD = http_bench.DEFAULT_PASSWORD  # every demo account's
THROUGHPUT_BUDGET = 0.75  # new req/s at least this share of old's, at concurrency 8
THROUGHPUT_CONCURRENCY = 8
SEED_TIMEOUT_S = 1800
# After a run, how long to leave a server once it has answered a request queued behind
# wrk's last ones (see settle()).
SETTLE_S = 0.5

# Run in each side's environment (PYTHONPATH = its tree): which `lms` does it import?
CHECK_IMPORT = "import config, lms; print(lms.__file__); print(config.__file__)"
# Run in each side's environment: that tree's own bench/matrix_bench.py seeds the matrix.
SEED_MATRIX = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
    "import matrix_bench; url, instance, people, courses = sys.argv[2:6]; "
    "matrix_bench.seed(url or None, Path(instance), int(people), int(courses)); "
    "import lms; print('lms from', lms.__file__)"
)


@dataclass(frozen=True)
class Page:
    """A page measured on both sides: the p95 budget (ms) per concurrency."""

    name: str
    label: str
    budgets_ms: dict[int, float]


PAGES: tuple[Page, ...] = (
    Page("learn", "learner start page", {8: 25.0, 32: 80.0}),
    Page("lesson", "lesson page", {8: 25.0, 32: 80.0}),
    Page("quiz", "quiz page (an open attempt)", {8: 25.0, 32: 80.0}),
    Page("quiz-submit", "quiz hand-in", {8: 100.0}),
    Page("matrix", "manager's matrix", {8: 150.0}),
)
PAGE_NAMES = tuple(p.name for p in PAGES)
LEARNER = next(p.email or "" for p in http_bench.PROFILES if p.name == "learn")
LESSON_PATH = next(p.path for p in http_bench.PROFILES if p.name == "lesson")
MATRIX_PATH = "/team/"


# --- Results ------------------------------------------------------------------------


@dataclass
class Comparison:
    """One page at one concurrency: every round of both sides."""

    page: str
    concurrency: int
    budget_ms: float
    old: list[http_bench.WrkResult] = field(default_factory=list)
    new: list[http_bench.WrkResult] = field(default_factory=list)

    def median(self, side: str, name: str) -> float:
        return statistics.median(getattr(r, name) for r in getattr(self, side))

    def errors(self, side: str) -> int:
        return sum(r.error_count for r in getattr(self, side))

    @property
    def ratio(self) -> float:
        """The new side's throughput as a share of the old side's (medians of the rounds)."""
        old = self.median("old", "rps")
        return self.median("new", "rps") / old if old else float("nan")

    @property
    def p95_met(self) -> bool:
        """The new side's p95 (median of the rounds) is under the budget, and no round
        went without a single answer (wrk reports 0 ms then)."""
        answered = all(r.requests for r in self.new)
        return answered and self.median("new", "p95_ms") < self.budget_ms

    @property
    def throughput_met(self) -> bool | None:
        if self.concurrency != THROUGHPUT_CONCURRENCY:
            return None
        return self.ratio >= THROUGHPUT_BUDGET

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for side in ("old", "new"):
            data[f"{side}_median"] = {
                name: round(self.median(side, name), 2) for name in ("rps", "p50_ms", "p95_ms")
            }
        data.update(
            ratio=round(self.ratio, 4), p95_met=self.p95_met, throughput_met=self.throughput_met
        )
        return data


@dataclass
class Report:
    settings: dict[str, Any]
    sides: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: list[Comparison] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "sides": self.sides,
            "rows": [row.as_dict() for row in self.rows],
        }


# --- The two trees --------------------------------------------------------------------


def git(*arguments: str) -> str:
    """A git command that only reads the repository; its output, stripped."""
    done = subprocess.run(
        ["git", "--no-optional-locks", *arguments],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise http_bench.BenchError(f"git {' '.join(arguments)} failed:\n{done.stderr}")
    return done.stdout.strip()


def resolve(ref: str) -> str:
    """The full commit id of `ref` (e.g. 8c08cf4^)."""
    return git("rev-parse", "--verify", f"{ref}^{{commit}}")


def working_tree_label() -> str:
    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "lms", "migrations", "config.py", "courses")
    return f"working tree (HEAD {head}{', with uncommitted changes' if changed else ''})"


def extract(commit: str, target: Path) -> Path:
    """The files of `commit` in `target` (`git archive | tar -x`; no worktree, no checkout)."""
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=PROJECT_DIR, stdout=subprocess.PIPE)
    assert archive.stdout is not None
    untar = subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=False)
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        raise http_bench.BenchError(f"Could not extract {commit} into {target}.")
    return target


@contextmanager
def schema_of_its_own(database_url: str, prefix: str) -> Iterator[str]:
    """A new schema in the PostgreSQL database of `database_url`, dropped afterwards;
    yields the URL that makes it the connections' search path."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(database_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        try:
            url = make_url(database_url).update_query_dict({"options": f"-csearch_path={name}"})
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()


@dataclass
class Side:
    """One version of the code: its tree, instance folder, database and server."""

    name: str  # "old" or "new"
    label: str  # commit id, or "working tree (…)"
    tree: Path
    folder: Path
    database_url: str | None
    env: dict[str, str] = field(default_factory=dict)
    base: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    pool: http_bench.SubmitPool | None = None
    submit_rate: float = float(http_bench.SUBMIT_RATE_GUESS)

    @property
    def instance(self) -> Path:
        return self.folder / "instance"

    def prepare(self) -> None:
        """The servers' environment for this tree, checked to import this tree's code."""
        self.instance.mkdir(parents=True, exist_ok=True)
        # gunicorn ≥ 25.1 opens a control socket in $XDG_RUNTIME_DIR unless told not to
        # (the old commit's `lms serve` does not say so): keep it in the temp folder.
        runtime = self.folder / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env = http_bench.server_env(self.instance, self.database_url)
        self.env["PYTHONPATH"] = str(self.tree)
        self.env["XDG_RUNTIME_DIR"] = str(runtime)
        done = subprocess.run(
            [sys.executable, "-c", CHECK_IMPORT],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        files = [Path(line) for line in done.stdout.splitlines()]
        if done.returncode != 0 or len(files) != 2:
            raise http_bench.BenchError(f"{self.name}: cannot import lms:\n{done.stderr}")
        for file in files:
            if not file.resolve().is_relative_to(self.tree.resolve()):
                raise http_bench.BenchError(
                    f"{self.name}: imports {file}, not the code in {self.tree}."
                )
        print(f"{self.name}: {self.label}; lms from {files[0]}", flush=True)

    def seed(self, people: int, courses: int) -> dict[str, float]:
        """The matrix company (this tree's matrix_bench), then `lms demo` (this tree's)."""
        seconds = {}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", SEED_MATRIX, str(self.tree / "bench"),
             self.database_url or "", str(self.instance), str(people), str(courses)],
            cwd=self.tree, env=self.env, capture_output=True, text=True,
            timeout=SEED_TIMEOUT_S, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise http_bench.BenchError(
                f"{self.name}: seeding the matrix failed:\n{done.stdout}{done.stderr}"
            )
        loaded = done.stdout.strip().splitlines()[-1].removeprefix("lms from ")
        if not Path(loaded).resolve().is_relative_to(self.tree.resolve()):
            raise http_bench.BenchError(f"{self.name}: the matrix seed used {loaded}.")
        seconds["matrix"] = time.perf_counter() - started
        started = time.perf_counter()
        http_bench.seed_demo(self.env, PASSWORD, cwd=self.tree)
        seconds["demo"] = time.perf_counter() - started
        print(
            f"{self.name}: seeded in {seconds['matrix']:.1f} s (matrix) "
            f"+ {seconds['demo']:.1f} s (lms demo)",
            flush=True,
        )
        return seconds

    def serve(self, workers: int, stack: ExitStack) -> None:
        port = http_bench.free_port()
        self.base = f"http://{http_bench.HOST}:{port}"
        server = http_bench.lms_serve(
            port, workers, self.env, self.folder / "lms-serve.log", self.tree, f"{self.name} server"
        )
        stack.enter_context(http_bench.running(server))
        server.wait_ready(f"{self.base}/healthz")
        print(f"{self.name}: lms serve on {self.base}", flush=True)

    def sign_in(self, pages: Sequence[str]) -> None:
        """Session cookies and paths of each page; each fetched once (must be 200)."""
        learner = http_bench.log_in(self.base, LEARNER, PASSWORD)[0]
        if {"learn", "lesson"} & set(pages):
            self.cookies |= {"learn": learner, "lesson": learner}
            self.paths |= {"learn": "/learn/", "lesson": LESSON_PATH}
        if "matrix" in pages:
            self.cookies["matrix"] = http_bench.log_in(
                self.base, matrix_bench.MANAGER, matrix_bench.PASSWORD
            )[0]
            self.paths["matrix"] = MATRIX_PATH
        if {"quiz", "quiz-submit"} & set(pages):
            self.pool = http_bench.SubmitPool(self.env, self.folder, self.tree)
        if "quiz" in pages:
            assert self.pool is not None
            shown = self.pool.take(1)[0]  # an open attempt that is only ever shown
            self.cookies["quiz"], self.paths["quiz"] = shown.cookie, shown.path
        for page, path in self.paths.items():
            if page in pages:
                self.sizes[page] = http_bench.probe(self.base + path, self.cookies[page])


def lines_of_code(tree: Path) -> dict[str, dict[str, int]]:
    """Files, lines and non-blank lines in lms/: Python (and of those, lines that are
    neither blank nor only a comment) and templates."""
    package = tree / "lms"
    groups = {
        "python": sorted(package.rglob("*.py")),
        "templates": sorted(p for p in (package / "templates").rglob("*") if p.is_file()),
    }
    counts: dict[str, dict[str, int]] = {}
    for name, files in groups.items():
        lines = [
            line.strip()
            for file in files
            if "__pycache__" not in file.parts
            for line in file.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
        nonblank = [line for line in lines if line]
        counts[name] = {
            "files": sum(1 for f in files if "__pycache__" not in f.parts),
            "lines": len(lines),
            "nonblank": len(nonblank),
        }
        if name == "python":
            counts[name]["code"] = sum(1 for line in nonblank if not line.startswith("#"))
    return counts


# --- Measuring ----------------------------------------------------------------------


def settle(*bases: str) -> None:
    """Wait until each server has worked off what wrk left when it stopped.

    When wrk stops, the requests of its last connections are still queued at the
    server, which answers them into closed sockets; the next run (of the other side,
    or of the next concurrency) would share the CPU with them. gunicorn's sync
    workers take connections in turn, so a request sent now is answered once those
    ahead of it are being worked on; a short pause lets the last of them finish.
    """
    for base in bases:
        http_bench.request(http_bench.plain_opener(), f"{base}/healthz/live")
    time.sleep(SETTLE_S)


def rounds_in_turn(sides: Sequence[Side], rounds: int) -> Iterator[Side]:
    """old, new, then new, old, …: neither side always runs first."""
    for number in range(rounds):
        yield from (sides if number % 2 == 0 else list(reversed(sides)))


def _line(side: Side, concurrency: int, result: http_bench.WrkResult) -> None:
    print(
        f"  {side.name:3} c={concurrency:<3} {result.rps:8.1f} req/s  p50 {result.p50_ms:6.1f}  "
        f"p95 {result.p95_ms:7.1f} ms  errors {result.error_count}",
        flush=True,
    )


def measure_page(args: argparse.Namespace, sides: Sequence[Side], page: Page) -> list[Comparison]:
    """A GET page: warm-up of each side, then the rounds at each concurrency."""
    for side in sides:
        url = side.base + side.paths[page.name]
        print(f"{page.name}: {side.name} {side.paths[page.name]} ({side.sizes[page.name]} bytes)")
        if args.warmup:
            # At the lowest concurrency: enough to reach every worker, little left queued.
            http_bench.run_wrk(url, min(page.budgets_ms), args.warmup, side.cookies[page.name])
            settle(side.base)
    rows = []
    for concurrency, budget in page.budgets_ms.items():
        row = Comparison(page.name, concurrency, budget)
        for side in rounds_in_turn(sides, args.rounds):
            url = side.base + side.paths[page.name]
            result = http_bench.run_wrk(url, concurrency, args.duration, side.cookies[page.name])
            settle(side.base)
            getattr(row, side.name).append(result)
            _line(side, concurrency, result)
        rows.append(row)
    return rows


def hand_in(side: Side, concurrency: int, duration: int, folder: Path) -> http_bench.WrkResult:
    """One run of hand-ins, each of its own open attempt; again with more if they ran out."""
    assert side.pool is not None
    for _attempt in range(http_bench.SUBMIT_TRIES):
        submits = side.pool.take(http_bench._pool_size(side.submit_rate, duration))
        result = http_bench.run_submits(
            side.base, concurrency, duration, submits, folder / f"submits-{side.name}"
        )
        settle(side.base)
        if not result.exhausted:
            side.submit_rate = max(side.submit_rate, result.rps)
            return result
        side.submit_rate = max(result.rps, side.submit_rate * 2)
        print(f"  {side.name} c={concurrency}: open attempts ran out; again with more")
    raise http_bench.BenchError(f"quiz-submit c={concurrency}: open attempts ran out each time.")


def measure_hand_in(
    args: argparse.Namespace, sides: Sequence[Side], page: Page, folder: Path
) -> list[Comparison]:
    """Hand-ins (bench/quiz_submit.lua): every request hands in an attempt of its own."""
    for side in sides:
        assert side.pool is not None
        first = side.pool.take(1)[0]
        answer = http_bench.post_submit(side.base + first.path, first)
        if answer.status != 302 or not answer.headers.get("Location", "").endswith("/result"):
            raise http_bench.BenchError(
                f"{side.name}: handing in {first.path} answered {answer.status}, "
                "not the redirect to the result."
            )
        print(f"{page.name}: {side.name} POST {first.path} ({len(answer.body)} bytes)")
        if args.warmup:
            side.submit_rate = hand_in(side, min(page.budgets_ms), args.warmup, folder).rps
    rows = []
    for concurrency, budget in page.budgets_ms.items():
        row = Comparison(page.name, concurrency, budget)
        order = list(rounds_in_turn(sides, args.rounds))
        for number in range(0, len(order), len(sides)):
            # Prepared before the round, so that no side waits for the other's pool.
            for side in order[number : number + len(sides)]:
                assert side.pool is not None
                side.pool.reserve(http_bench._pool_size(side.submit_rate, args.duration))
            for side in order[number : number + len(sides)]:
                result = hand_in(side, concurrency, args.duration, folder)
                getattr(row, side.name).append(result)
                _line(side, concurrency, result)
        rows.append(row)
    return rows


# --- Output ---------------------------------------------------------------------------


def _yes(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "NO")


def format_table(rows: Sequence[Comparison]) -> str:
    headers = ("page", "conc", "old req/s", "old p50", "old p95", "new req/s", "new p50",
               "new p95", "new/old", "errors o/n", "p95 budget", "p95 met", "≥ 0.75")  # fmt: skip
    table = [headers]
    for row in rows:
        table.append(
            (
                row.page,
                str(row.concurrency),
                f"{row.median('old', 'rps'):.1f}",
                f"{row.median('old', 'p50_ms'):.1f}",
                f"{row.median('old', 'p95_ms'):.1f}",
                f"{row.median('new', 'rps'):.1f}",
                f"{row.median('new', 'p50_ms'):.1f}",
                f"{row.median('new', 'p95_ms'):.1f}",
                f"{row.ratio:.2f}",
                f"{row.errors('old')}/{row.errors('new')}",
                f"< {row.budget_ms:.0f} ms",
                _yes(row.p95_met),
                _yes(row.throughput_met),
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_lines_of_code(sides: dict[str, dict[str, Any]]) -> str:
    old, new = sides["old"]["lines_of_code"], sides["new"]["lines_of_code"]
    out = ["Lines of code in lms/ (files, lines, non-blank lines; Python also without comments):"]
    for kind in ("python", "templates"):
        for label, counts in (("old", old[kind]), ("new", new[kind])):
            extra = f", {counts['code']:,} code" if "code" in counts else ""
            out.append(
                f"  {kind:9} {label}: {counts['files']:4} files, {counts['lines']:7,} lines, "
                f"{counts['nonblank']:7,} non-blank{extra}"
            )
        change = new[kind]["lines"] - old[kind]["lines"]
        out.append(f"  {kind:9} new − old: {change:+,} lines")
    return "\n".join(out)


# --- Main -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Old and new code side by side under the same gunicorn settings (wrk)."
    )
    add = parser.add_argument
    add("--old", default=DEFAULT_OLD, help=f"the old commit (default {DEFAULT_OLD})")
    add("--new", default=None, help="the new commit (default: the working tree as it is)")
    add("--database-url", default=None,
        help="PostgreSQL; each side gets a schema of its own (default: SQLite)")  # fmt: skip
    add("--pages", default=",".join(PAGE_NAMES), help=f"pages: {', '.join(PAGE_NAMES)}")
    add("--rounds", type=int, default=3, help="rounds per page and concurrency (3)")
    add("--duration", type=int, default=10, help="seconds per wrk run (10)")
    add("--warmup", type=int, default=2, help="seconds of warm-up per page and side (2)")
    add("--workers", type=int, default=None, help="gunicorn workers per side (2 × CPU + 1)")
    add("--people", type=int, default=1000, help="people in the matrix's company (1000)")
    add("--courses", type=int, default=40, help="courses assigned to each of them (40)")
    add("--quick", action="store_true", help="3 s runs, 1 s warm-up, 2 rounds")
    add("--json", dest="json_out", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 3, 1, 2
    args.pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = set(args.pages) - set(PAGE_NAMES)
    if unknown or not args.pages:
        parser.error(f"--pages takes some of {', '.join(PAGE_NAMES)}")
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    if min(args.rounds, args.duration, args.workers, args.people, args.courses) < 1:
        parser.error("--rounds, --duration, --workers, --people and --courses must be >= 1")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL database (SQLite is the default)")
    return args


def benchmark(args: argparse.Namespace, folder: Path, stack: ExitStack) -> Report:
    if shutil.which("wrk") is None:
        raise http_bench.BenchError("wrk is not installed (Debian: apt-get install wrk).")
    old_commit = resolve(args.old)
    new_commit = resolve(args.new) if args.new else None
    trees = {"old": extract(old_commit, folder / "old" / "tree")}
    labels = {"old": f"{old_commit[:10]} ({args.old})"}
    if new_commit:
        trees["new"] = extract(new_commit, folder / "new" / "tree")
        labels["new"] = f"{new_commit[:10]} ({args.new})"
    else:
        trees["new"] = PROJECT_DIR
        labels["new"] = working_tree_label()
    sides = []
    for name in ("old", "new"):
        url = None
        if args.database_url:
            url = stack.enter_context(schema_of_its_own(args.database_url, f"compare_{name}"))
        sides.append(Side(name, labels[name], trees[name], folder / name, url))
    report = Report(
        settings={
            "old": labels["old"],
            "new": labels["new"],
            "database": "postgresql (a schema per side)" if args.database_url else "sqlite",
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "people": args.people,
            "courses": args.courses,
            "wrk": http_bench.wrk_version(),
            "python": sys.version.split()[0],
        }
    )
    for side in sides:
        side.prepare()
        report.sides[side.name] = {
            "label": side.label,
            "lines_of_code": lines_of_code(side.tree),
            "seed_s": side.seed(args.people, args.courses),
        }
    report.settings["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
    for side in sides:
        side.serve(args.workers, stack)
    for side in sides:
        side.sign_in(args.pages)
        report.sides[side.name]["bytes"] = side.sizes
    for page in PAGES:
        if page.name not in args.pages:
            continue
        if page.name == "quiz-submit":
            report.rows += measure_hand_in(args, sides, page, folder)
        else:
            report.rows += measure_page(args, sides, page)
    report.settings["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, http_bench._raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-compare-") as tmp, ExitStack() as stack:
            report = benchmark(args, Path(tmp), stack)
    except http_bench.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    s = report.settings
    print()
    print(f"old: {s['old']}\nnew: {s['new']}")
    print(
        f"{s['database']}, {s['workers']} workers per side on {s['cpus']} CPUs, "
        f"{s['rounds']} rounds of {s['duration_s']} s, matrix {s['people']} × {s['courses']}"
    )
    print()
    print(format_table(report.rows))
    print()
    print(format_lines_of_code(report.sides))
    print(f"Load average (1, 5, 15 min) before the servers started: {s['loadavg_before']}, "
          f"at the end: {s['loadavg_after']}")  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
        print(f"Results written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
