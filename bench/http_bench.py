"""HTTP benchmark of Lernwerk against a bare Flask app, plus the cost of logging in.

Run from the project root:

    .venv/bin/python bench/http_bench.py            # 10 s per measurement
    .venv/bin/python bench/http_bench.py --quick    # 2 s, a smoke check

What it does, all on 127.0.0.1 and in a throw-away instance folder:

1. seeds the demo data (`lms demo`) and starts `lms serve` (gunicorn);
2. starts bench/bare_app.py under gunicorn with the same number of workers;
3. logs in as the demo user of each page profile and keeps its session cookie;
4. for each page, learns its body size, then runs wrk at each concurrency
   against the page and against the bare app answering the same body size;
5. hands in knowledge checks (quiz-submit): every request a POST that submits
   its own open attempt, prepared by bench/quiz_pool.py, beside POSTs of the
   same bodies to the bare app;
6. times argon2 password verification in this process and POST /login end to
   end, sequentially;
7. prints a table (and, with --json, writes the results to a file).

See bench/README.md for what each figure means. New pages: add a `Profile`
to PROFILES.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from email.message import Message
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from types import FrameType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
LUA_SCRIPT = BENCH_DIR / "report.lua"
SUBMIT_SCRIPT = BENCH_DIR / "quiz_submit.lua"
QUIZ_POOL = BENCH_DIR / "quiz_pool.py"
HOST = "127.0.0.1"
SESSION_COOKIE = "lms_session"
# Shared by every gunicorn worker, so a cookie signed by one is valid in all.
SECRET_KEY = "lernwerk-benchmark-secret-key-not-for-production-0123456789abcdef"
DEFAULT_PASSWORD = "Lernwerk-Demo-2026"
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 30.0
WRK_TIMEOUT = "10s"  # a request slower than this counts as a wrk timeout


@dataclass(frozen=True)
class Profile:
    """One page to measure: a name for the table and --urls, the path, and the
    demo account whose session requests it (None: anonymous)."""

    name: str
    path: str
    email: str | None


PROFILES: tuple[Profile, ...] = (
    Profile("learn", "/learn/", "jonas.becker@mueller-metallbau.example"),
    # A lesson of the demo learner's course (the page of issue 4's lesson target).
    Profile(
        "lesson",
        "/learn/courses/it-sicherheit/passwoerter",
        "jonas.becker@mueller-metallbau.example",
    ),
    Profile("team", "/team/", "sabine.krueger@mueller-metallbau.example"),
    Profile("admin", "/admin/", "admin@zukunftszentrum.example"),
    Profile("login", "/login", None),
)

# Handing in a knowledge check: the IT security course's quiz (see bench/quiz_pool.py).
SUBMIT = "quiz-submit"
SUBMIT_PATH = "POST /learn/courses/it-sicherheit/wissenscheck/attempts/N"
# Submits per second assumed before the warm-up has measured them (sizes its pool).
SUBMIT_RATE_GUESS = 150
# Open attempts prepared per run: the rate the warm-up (or the last run) saw, times
# the run's duration, times this margin.
SUBMIT_POOL_MARGIN = 1.5
SUBMIT_TRIES = 3
BARE_SUBMITS = 40  # bodies the bare app's runs repeat


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


# --- Results ------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run reported (times in milliseconds)."""

    requests: int
    duration_s: float
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    bytes_read: int
    non2xx: int
    login_redirects: int
    socket_errors: dict[str, int]
    # quiz-submit only: requests sent after the run's open attempts were used up.
    exhausted: int = 0

    @property
    def error_count(self) -> int:
        """Answers that are not 2xx plus connections that failed or timed out."""
        return self.non2xx + sum(self.socket_errors.values())


@dataclass(frozen=True)
class Row:
    """One page at one concurrency, measured on Lernwerk and on the bare app."""

    profile: str
    path: str
    body_bytes: int
    concurrency: int
    app: WrkResult
    bare: WrkResult

    @property
    def ratio(self) -> float:
        """Lernwerk's throughput as a fraction of the bare app's."""
        return self.app.rps / self.bare.rps if self.bare.rps else float("nan")


@dataclass(frozen=True)
class Timing:
    """Summary of repeated sequential timings, in milliseconds."""

    count: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            count=len(ms),
            median_ms=statistics.median(ms),
            p95_ms=percentile(ms, 95),
            min_ms=ms[0],
            max_ms=ms[-1],
        )


@dataclass
class Report:
    """Everything one run measured; written as JSON with --json."""

    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    argon2: dict[str, Any] = field(default_factory=dict)
    login: Timing | None = None

    def as_dict(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            data = asdict(row)
            data["ratio"] = round(row.ratio, 4)
            rows.append(data)
        return {
            "settings": self.settings,
            "rows": rows,
            "argon2": self.argon2,
            "login": asdict(self.login) if self.login else None,
        }


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The pct-th percentile of already sorted values, interpolating linearly."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# --- Processes ----------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def venv_tool(name: str) -> str:
    """The path of a console script installed next to this Python."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name!r} is not installed next to {sys.executable} nor on PATH.")
    return found


class Server:
    """A gunicorn server in its own process group, logging to a file."""

    def __init__(
        self,
        label: str,
        command: list[str],
        env: dict[str, str],
        log: Path,
        cwd: Path = PROJECT_DIR,
    ) -> None:
        self.label = label
        self.log = log
        with log.open("wb") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: we stop master and workers together
            )

    def wait_ready(self, url: str) -> None:
        """Wait until `url` answers 200, or fail with the end of the server log."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        opener = plain_opener()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise BenchError(f"{self.label} exited with {code}.\n{self.tail()}")
            try:
                with opener.open(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.label} did not answer {url} in time.\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL if it is still there after a while."""
        if self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, SERVER_STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Stop the server when the block ends, however it ends."""
    try:
        yield server
    finally:
        server.stop()


def seeded_server(
    env: dict[str, str],
    instance: Path,
    stack: ExitStack,
    seed_command: Sequence[str],
    workers: int,
) -> tuple[dict[str, Any], int]:
    """Migrate the database, run `seed_command` in the servers' environment (it prints
    JSON as its last line) and start `lms serve` on a free port, stopped when `stack`
    closes. The seed's JSON and the port."""
    for command in ([venv_tool("lms"), "db", "upgrade"], list(seed_command)):
        done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip
        if done.returncode != 0:
            raise BenchError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    seeded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    port = free_port()
    command = [venv_tool("lms"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log"]
    server = stack.enter_context(running(Server("lms serve", command, env, instance / "serve.log")))
    server.wait_ready(f"http://{HOST}:{port}/healthz")
    return seeded, port


def in_throwaway_instance(prefix: str, run: Callable[[Path, ExitStack], int]) -> int:
    """Call `run` with a temporary instance folder and an ExitStack for the servers it
    starts; everything is stopped and removed however it ends (SIGTERM included). The
    exit status: `run`'s, 1 after a BenchError, 130 when interrupted."""
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp, ExitStack() as stack:
            return run(Path(tmp), stack)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130


def seed_demo(env: dict[str, str], password: str, cwd: Path = PROJECT_DIR) -> None:
    """`lms demo` in the servers' environment, every account with `password` (`cwd`:
    the project folder whose courses it imports)."""
    print("Seeding demo data (lms demo) …", flush=True)
    seeded = subprocess.run(
        [venv_tool("lms"), "demo", "--password", password],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        raise BenchError(f"lms demo failed:\n{seeded.stdout}{seeded.stderr}")


def lms_serve(
    port: int,
    workers: int,
    env: dict[str, str],
    log: Path,
    cwd: Path = PROJECT_DIR,
    label: str = "lms serve",
) -> Server:
    """Lernwerk under gunicorn (`lms serve`) on 127.0.0.1:`port`, without access log."""
    command = [venv_tool("lms"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log"]
    return Server(label, command, env, log, cwd)


def gunicorn_app(
    label: str, app: str, port: int, workers: int, env: dict[str, str], log: Path
) -> Server:
    """A WSGI app of bench/ (`module:attribute`) under gunicorn on 127.0.0.1:`port`."""
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(BENCH_DIR)]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--timeout", "60", app]
    return Server(label, command, env, log)


def _raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


# --- HTTP client ------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the caller instead of following them."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def plain_opener(jar: CookieJar | None = None) -> urllib.request.OpenerDirector:
    """An opener that ignores proxy settings and does not follow redirects."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({}), _NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes


def request(
    opener: urllib.request.OpenerDirector,
    url: str,
    *,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """GET (or POST, with data) `url`; any status, redirects included, is an answer."""
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=encoded, headers=headers or {})
    try:
        with opener.open(req, timeout=HTTP_TIMEOUT_S) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.headers, exc.read())


class _CsrfFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and self.token is None:
            self.token = values.get("value")


def csrf_token(html: bytes) -> str:
    finder = _CsrfFinder()
    finder.feed(html.decode("utf-8", errors="replace"))
    if not finder.token:
        raise BenchError("GET /login has no csrf_token field.")
    return finder.token


def log_in(base: str, email: str, password: str) -> tuple[str, float]:
    """Log in as `email`; return the session cookie value and the seconds the POST took."""
    jar = CookieJar()
    opener = plain_opener(jar)
    page = request(opener, f"{base}/login")
    if page.status != 200:
        raise BenchError(f"GET /login answered {page.status}.")
    form = {"email": email, "password": password, "csrf_token": csrf_token(page.body), "next": ""}
    started = time.perf_counter()
    answer = request(opener, f"{base}/login", data=form)
    elapsed = time.perf_counter() - started
    location = answer.headers.get("Location", "")
    if answer.status != 302 or "/login" in location:
        raise BenchError(
            f"Logging in as {email} failed: {answer.status} {location or '(no redirect)'}. "
            "Wrong password, or throttled?"
        )
    cookie = next((c.value for c in jar if c.name == SESSION_COOKIE), None)
    if not cookie:
        raise BenchError(f"Logging in as {email} set no {SESSION_COOKIE} cookie.")
    return cookie, elapsed


def probe(url: str, cookie: str | None) -> int:
    """Fetch `url` once; return its body size. A redirect or error stops the benchmark."""
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
    answer = request(plain_opener(), url, headers=headers)
    if answer.status != 200:
        location = answer.headers.get("Location", "")
        hint = " (the session cookie was not accepted)" if "/login" in location else ""
        raise BenchError(f"GET {url} answered {answer.status} {location}{hint}.")
    return len(answer.body)


# --- wrk --------------------------------------------------------------------------

_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)


def wrk_threads(concurrency: int) -> int:
    return min(concurrency, 2)


def run_wrk(
    url: str,
    concurrency: int,
    duration_s: int,
    cookie: str | None,
    script: Path = LUA_SCRIPT,
    script_args: Sequence[str] = (),
) -> WrkResult:
    """One wrk run with the report.lua script (or `script`, given `script_args`);
    fail loudly on redirects to the login."""
    command = [
        "wrk",
        f"--threads={wrk_threads(concurrency)}",
        f"--connections={concurrency}",
        f"--duration={duration_s}s",
        f"--timeout={WRK_TIMEOUT}",
        f"--script={script}",
    ]
    if cookie:
        command.append(f"--header=Cookie: {SESSION_COOKIE}={cookie}")
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    match = _BENCH_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({done.returncode}) on {url}:\n{done.stdout}{done.stderr}")
    values = {key: float(value) for key, value in (p.split("=") for p in match.group(1).split())}
    duration = values["duration_us"] / 1e6
    result = WrkResult(
        requests=int(values["requests"]),
        duration_s=round(duration, 3),
        rps=values["requests"] / duration if duration else 0.0,
        mean_ms=values["mean_us"] / 1000,
        p50_ms=values["p50_us"] / 1000,
        p95_ms=values["p95_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        bytes_read=int(values["bytes"]),
        non2xx=int(values["non2xx"]),
        login_redirects=int(values["login_redirects"]),
        socket_errors={
            name: int(values[name])
            for name in ("connect_errors", "read_errors", "write_errors", "timeouts")
        },
        exhausted=int(values.get("exhausted", 0)),
    )
    if result.login_redirects:
        raise BenchError(
            f"{result.login_redirects} of {result.requests} requests to {url} were redirected "
            "to the login page: the session cookie is not accepted."
        )
    return result


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).splitlines()[0].strip() if done.stdout + done.stderr else "?"


# --- Login cost --------------------------------------------------------------------


def measure_argon2(rounds: int, password: str) -> dict[str, Any]:
    """Median time to verify a password with the default (production) argon2 settings."""
    from argon2 import PasswordHasher

    from config import ProductionConfig

    hasher = PasswordHasher(
        time_cost=ProductionConfig.ARGON2_TIME_COST,
        memory_cost=ProductionConfig.ARGON2_MEMORY_COST,
        parallelism=ProductionConfig.ARGON2_PARALLELISM,
    )
    hashed = hasher.hash(password)
    hasher.verify(hashed, password)  # warm-up: the first call allocates the memory
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(hashed, password)
        seconds.append(time.perf_counter() - started)
    return {
        "time_cost": hasher.time_cost,
        "memory_cost_kib": hasher.memory_cost,
        "parallelism": hasher.parallelism,
        "verify": asdict(Timing.of(seconds)),
    }


def measure_logins(base: str, email: str, password: str, count: int) -> Timing:
    """Time `count` sequential POST /login requests (each after its own GET /login)."""
    return Timing.of([log_in(base, email, password)[1] for _ in range(count)])


# --- Handing in a knowledge check ----------------------------------------------------


@dataclass(frozen=True)
class Submit:
    """One prepared request: hands in one open attempt (a line of bench/quiz_pool.py)."""

    path: str
    cookie: str
    body: str

    @classmethod
    def parse(cls, line: str) -> Submit:
        path, cookie, body = line.split("\t")
        return cls(path, cookie, body)

    def line(self) -> str:
        return f"{self.path}\t{self.cookie}\t{self.body}\n"


class SubmitPool:
    """Open attempts, each handed out once; more are prepared when needed.

    bench/quiz_pool.py runs in the servers' environment and writes the database
    the servers read; it needs a few milliseconds per attempt, so runs are
    sized from the rate measured before.
    """

    def __init__(self, env: dict[str, str], folder: Path, project_dir: Path = PROJECT_DIR) -> None:
        self.env = env
        self.folder = folder
        # The tree whose bench/quiz_pool.py (and so whose `lms`) prepares the attempts.
        self.project_dir = project_dir
        self.ready: list[Submit] = []
        self.prepared = 0

    def take(self, count: int) -> list[Submit]:
        self.reserve(count)
        taken, self.ready = self.ready[:count], self.ready[count:]
        return taken

    def reserve(self, count: int) -> None:
        """Have at least `count` open attempts ready (preparing costs a start-up each time)."""
        if len(self.ready) < count:
            self._prepare(count - len(self.ready))

    def _prepare(self, count: int) -> None:
        out = self.folder / f"attempts-{self.prepared}.tsv"
        print(f"  preparing {count} open attempts (bench/quiz_pool.py) …", flush=True)
        script = self.project_dir / QUIZ_POOL.relative_to(PROJECT_DIR)
        done = subprocess.run(
            [sys.executable, str(script), "--count", str(count), "--out", str(out)],
            cwd=self.project_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600 + count,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"bench/quiz_pool.py failed:\n{done.stdout}{done.stderr}")
        self.ready += [Submit.parse(line) for line in out.read_text().splitlines()]
        self.prepared += count


def write_submits(submits: Sequence[Submit], prefix: Path, threads: int) -> None:
    """One request file per wrk thread (see bench/quiz_submit.lua)."""
    for thread in range(threads):
        Path(f"{prefix}.{thread}").write_text("".join(s.line() for s in submits[thread::threads]))


def post_submit(url: str, submit: Submit) -> Answer:
    req = urllib.request.Request(
        url,
        data=submit.body.encode(),
        headers={
            "Cookie": f"{SESSION_COOKIE}={submit.cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with plain_opener().open(req, timeout=HTTP_TIMEOUT_S) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.headers, exc.read())


def run_submits(
    base: str, concurrency: int, duration_s: int, submits: Sequence[Submit], prefix: Path
) -> WrkResult:
    """wrk handing in each of `submits` at most once (quiz_submit.lua, app mode)."""
    threads = wrk_threads(concurrency)
    if len(submits) < threads:
        raise BenchError("Fewer open attempts than wrk threads.")
    write_submits(submits, prefix, threads)
    return run_wrk(base, concurrency, duration_s, None, SUBMIT_SCRIPT, [str(prefix), "app"])


def measure_submits(
    args: argparse.Namespace, app_base: str, bare_base: str, pool: SubmitPool, folder: Path
) -> list[Row]:
    """Hand in knowledge checks at each concurrency, beside the bare app answering POSTs
    of the same bodies with as many bytes as Lernwerk's redirect to the result page."""
    rate = float(SUBMIT_RATE_GUESS)
    pool.reserve(1 + BARE_SUBMITS + (_pool_size(rate, args.warmup) if args.warmup else 0))
    first = pool.take(1)[0]
    # The bare app gets POSTs of these bodies, again and again: it grades nothing.
    bare_submits = pool.take(BARE_SUBMITS)
    answer = post_submit(app_base + first.path, first)
    location = answer.headers.get("Location", "")
    if answer.status != 302 or not location.endswith("/result"):
        hint = " (the session was not accepted)" if "/login" in location else ""
        raise BenchError(
            f"Handing in {first.path} answered {answer.status} {location}{hint}, "
            "not a redirect to the result page."
        )
    size = len(answer.body)
    bare_url = f"{bare_base}/?bytes={size}"
    if len(post_submit(bare_url, first).body) != size:
        raise BenchError(f"The bare app did not answer {size} bytes.")
    print(f"{SUBMIT}: {SUBMIT_PATH} as prepared learners, {size} bytes", flush=True)

    prefix = folder / "submits"
    if args.warmup:
        warm = run_submits(
            app_base,
            max(args.concurrency),
            args.warmup,
            pool.take(_pool_size(rate, args.warmup)),
            prefix,
        )
        rate = warm.rps
    results: dict[str, list[WrkResult]] = {"app": [], "bare": []}
    for concurrency in args.concurrency:
        for _attempt in range(SUBMIT_TRIES):
            result = run_submits(
                app_base,
                concurrency,
                args.duration,
                pool.take(_pool_size(rate, args.duration)),
                prefix,
            )
            if not result.exhausted:
                rate = max(rate, result.rps)  # the most seen sizes the next run
                break
            rate = max(result.rps, rate * 2)
            print(f"  c={concurrency}: open attempts ran out; again with more", flush=True)
        else:
            raise BenchError(f"{SUBMIT} c={concurrency}: open attempts ran out each time.")
        _report("app", concurrency, result)
        results["app"].append(result)

    write_submits(bare_submits, prefix, wrk_threads(max(args.concurrency)))
    bare_args = [str(prefix), "bare", f"/?bytes={size}"]
    if args.warmup:
        run_wrk(bare_base, max(args.concurrency), args.warmup, None, SUBMIT_SCRIPT, bare_args)
    for concurrency in args.concurrency:
        result = run_wrk(bare_base, concurrency, args.duration, None, SUBMIT_SCRIPT, bare_args)
        _report("bare", concurrency, result)
        results["bare"].append(result)
    return [
        Row(SUBMIT, SUBMIT_PATH, size, concurrency, app_result, bare_result)
        for concurrency, app_result, bare_result in zip(
            args.concurrency, results["app"], results["bare"], strict=True
        )
    ]


def _pool_size(rate: float, duration_s: int) -> int:
    return int(max(rate, 1.0) * duration_s * SUBMIT_POOL_MARGIN) + 20


def _report(label: str, concurrency: int, result: WrkResult) -> None:
    print(
        f"  {label:4} c={concurrency:<3} {result.rps:8.1f} req/s  "
        f"p99 {result.p99_ms:7.1f} ms  errors {result.error_count}",
        flush=True,
    )


# --- Output ------------------------------------------------------------------------


def format_table(rows: Sequence[Row]) -> str:
    """The wrk results as an aligned text table."""
    headers = (
        "page",
        "path",
        "bytes",
        "conc",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "bare req/s",
        "bare p99",
        "app/bare",
    )
    table = [headers]
    for row in rows:
        app, bare = row.app, row.bare
        table.append(
            (
                row.profile,
                row.path,
                str(row.body_bytes),
                str(row.concurrency),
                f"{app.rps:.1f}",
                f"{app.p50_ms:.1f}",
                f"{app.p95_ms:.1f}",
                f"{app.p99_ms:.1f}",
                str(app.error_count),
                f"{bare.rps:.1f}",
                f"{bare.p99_ms:.1f}",
                f"{row.ratio:.3f}",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    left = {0, 1}
    lines = [
        "  ".join(c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(r))
        for r in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_login(report: Report) -> str:
    lines = []
    if report.argon2:
        a = report.argon2
        v = a["verify"]
        lines.append(
            f"argon2id verify (t={a['time_cost']}, m={a['memory_cost_kib']} KiB, "
            f"p={a['parallelism']}), in-process, {v['count']} rounds: "
            f"median {v['median_ms']:.1f} ms (min {v['min_ms']:.1f}, max {v['max_ms']:.1f})"
        )
    if report.login:
        t = report.login
        lines.append(
            f"POST /login end to end, sequential, {t.count} logins: median {t.median_ms:.1f} ms, "
            f"p95 {t.p95_ms:.1f} ms (min {t.min_ms:.1f}, max {t.max_ms:.1f})"
        )
    return "\n".join(lines)


# --- Main ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = ", ".join([*(p.name for p in PROFILES), SUBMIT])
    parser = argparse.ArgumentParser(
        description="Benchmark Lernwerk pages against a bare Flask app with wrk.",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target (2)")
    parser.add_argument(
        "--concurrency", default="1,8,32", help="comma-separated connection counts (1,8,32)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default 2 × CPU + 1)"
    )
    parser.add_argument("--urls", default=None, help=f"comma-separated pages to measure: {names}")
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 s warm-up (smoke check)")
    parser.add_argument("--json", dest="json_out", type=Path, help="also write results as JSON")
    parser.add_argument(
        "--database-url", default=None, help="e.g. a PostgreSQL URL (default: SQLite in a temp dir)"
    )
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="demo account password")
    parser.add_argument("--logins", type=int, default=20, help="sequential POST /login to time")
    parser.add_argument(
        "--argon2-rounds", type=int, default=20, help="argon2 verifications to time (20)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 2, 1
    try:
        args.concurrency = sorted({int(c) for c in args.concurrency.split(",") if c.strip()})
    except ValueError:
        parser.error("--concurrency takes numbers such as 1,8,32")
    if not args.concurrency or min(args.concurrency) < 1:
        parser.error("--concurrency needs at least one number >= 1")
    if args.urls:
        wanted = [u.strip() for u in args.urls.split(",") if u.strip()]
        unknown = [u for u in wanted if u not in {p.name for p in PROFILES} | {SUBMIT}]
        if unknown:
            parser.error(f"unknown page(s) {', '.join(unknown)}; choose from {names}")
        args.profiles = [p for p in PROFILES if p.name in wanted]
        args.submits = SUBMIT in wanted
    else:
        args.profiles = list(PROFILES)
        args.submits = True
    if args.workers is None:
        args.workers = (os.cpu_count() or 1) * 2 + 1
    if args.workers < 1 or args.duration < 1 or args.warmup < 0:
        parser.error("--workers and --duration must be >= 1, --warmup >= 0")
    return args


def server_env(instance: Path, database_url: str | None) -> dict[str, str]:
    """This process's environment without any LMS_* setting, plus the benchmark's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        {
            "LMS_ENV": "development",
            "LMS_INSTANCE_PATH": str(instance),
            "LMS_SECRET_KEY": SECRET_KEY,
            "LMS_RATELIMIT_ENABLED": "0",
            "LMS_MAIL_BACKEND": "log",
        }
    )
    if database_url:
        env["LMS_DATABASE_URL"] = database_url
    return env


def benchmark(args: argparse.Namespace, instance: Path, stack: ExitStack) -> Report:
    """Seed, start both servers, measure everything; the stack stops the servers."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk).")
    env = server_env(instance, args.database_url)
    report = Report(
        settings={
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "database": "postgresql/other (--database-url)" if args.database_url else "sqlite",
            "wrk": wrk_version(),
            "python": sys.version.split()[0],
        }
    )
    print(
        f"Workers {args.workers} on {os.cpu_count()} CPUs, {args.duration} s per run, "
        f"{report.settings['database']}; {report.settings['wrk']}",
        flush=True,
    )

    print("Measuring argon2 verification …", flush=True)
    report.argon2 = measure_argon2(args.argon2_rounds, args.password)

    report.settings["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
    busy = report.settings["loadavg_before"][0]
    if busy > (os.cpu_count() or 1) / 2:
        print(
            f"warning: load average is {busy} before the servers start; other processes "
            "compete for the CPU and the figures will be noisy.",
            flush=True,
        )

    seed_demo(env, args.password)

    app_port, bare_port = free_port(), free_port()
    while bare_port == app_port:
        bare_port = free_port()
    app_base, bare_base = f"http://{HOST}:{app_port}", f"http://{HOST}:{bare_port}"
    app = stack.enter_context(
        running(lms_serve(app_port, args.workers, env, instance / "lms-serve.log"))
    )
    bare = stack.enter_context(
        running(
            gunicorn_app(
                "bare app", "bare_app:app", bare_port, args.workers, env, instance / "bare-app.log"
            )
        )
    )
    app.wait_ready(f"{app_base}/healthz")
    bare.wait_ready(f"{bare_base}/?bytes=1")
    print(f"Lernwerk on {app_base}, bare app on {bare_base}", flush=True)

    for profile in args.profiles:
        cookie = log_in(app_base, profile.email, args.password)[0] if profile.email else None
        url = app_base + profile.path
        size = probe(url, cookie)
        bare_url = f"{bare_base}/?bytes={size}"
        if probe(bare_url, None) != size:
            raise BenchError(f"The bare app did not answer {size} bytes.")
        who = profile.email or "anonymous"
        print(f"{profile.name}: {profile.path} as {who}, {size} bytes", flush=True)
        results: dict[str, list[WrkResult]] = {}
        for label, target, target_cookie in (("app", url, cookie), ("bare", bare_url, None)):
            if args.warmup:
                run_wrk(target, max(args.concurrency), args.warmup, target_cookie)
            results[label] = []
            for concurrency in args.concurrency:
                result = run_wrk(target, concurrency, args.duration, target_cookie)
                print(
                    f"  {label:4} c={concurrency:<3} {result.rps:8.1f} req/s  "
                    f"p99 {result.p99_ms:7.1f} ms  errors {result.error_count}",
                    flush=True,
                )
                results[label].append(result)
        for concurrency, app_result, bare_result in zip(
            args.concurrency, results["app"], results["bare"], strict=True
        ):
            report.rows.append(
                Row(profile.name, profile.path, size, concurrency, app_result, bare_result)
            )

    if args.submits:
        # Last: its prepared learners (a company of their own) stay in the database.
        pool = SubmitPool(env, instance)
        report.rows += measure_submits(args, app_base, bare_base, pool, instance)

    login_email = next((p.email for p in PROFILES if p.email), None)
    if login_email and args.logins > 0:
        print(f"Timing {args.logins} sequential logins as {login_email} …", flush=True)
        report.login = measure_logins(app_base, login_email, args.password, args.logins)
    report.settings["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp, ExitStack() as stack:
            report = benchmark(args, Path(tmp), stack)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    print()
    print(format_table(report.rows))
    print()
    print(format_login(report))
    print(
        "Load average (1, 5, 15 min) before the servers started: "
        f"{report.settings['loadavg_before']}, at the end: {report.settings['loadavg_after']}"
    )
    errors = [r for r in report.rows if r.app.error_count or r.bare.error_count]
    for row in errors:
        print(
            f"warning: {row.profile} c={row.concurrency}: app {row.app.non2xx} non-2xx, "
            f"{row.app.socket_errors}; bare {row.bare.non2xx} non-2xx, {row.bare.socket_errors}"
        )
    if args.json_out:
        args.json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
        print(f"Results written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
