"""Reading offline (issue 19): "Für unterwegs speichern" of a 10-unit module through the
service worker on a slow mobile connection.

    .venv/bin/python bench/offline_prefetch.py               # 1.5 Mbit/s down, 300 ms, 3 runs
    .venv/bin/python bench/offline_prefetch.py --runs 5 --down-kbit 750 --latency-ms 500

1. Creates a fresh instance (SQLite in a temporary folder), the demo's people, and a
   module of 10 lessons of about 500 words each; every lesson shows one of the demo's
   SVG pictures and every other one also a photo (JPEG, 800 × 500), as a shop-floor
   lesson would.
2. Serves the app on 127.0.0.1 (a thread, Werkzeug), signs the demo learner in with
   headless Chromium, enrols them and opens the module's page until the service
   worker controls it.
3. Throttles the network of the page and of the service worker. Network emulation set
   on the page does not slow the worker's own fetches: the script attaches to the
   worker's target through a browser-level CDP session (Target.attachToTarget) and
   sends Network.emulateNetworkConditions to it (Target.sendMessageToTarget).
4. Each run: empties the worker's caches, presses "Für unterwegs speichern" and waits
   for "Gespeichert für unterwegs ✓". Prints the time, the requests and the bytes the
   server sent (bodies and headers, counted in the WSGI layer), and the time the bytes
   alone need at the emulated rate. A run without throttling comes first, for reference.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SLUG = "bench-unterwegs"
LEARNER = "jonas.becker@mueller-metallbau.example"
DEMO_PICTURES = sorted(
    (ROOT / "courses").glob("*/assets/*.svg"), key=lambda path: path.name
)  # the demo's SVGs


class ByteCounter:
    """WSGI middleware: counts the requests and the bytes of status line, headers and body."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.file_bytes = 0  # of course files (/content/…): pictures

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.bytes = 0
            self.file_bytes = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        head = 0

        def counting_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            nonlocal head
            head = len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers) + 2
            return start_response(status, headers, *args)

        body = self.app(environ, counting_start)
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        with self.lock:
            self.requests += 1
            self.bytes += head + len(data)
            if environ.get("PATH_INFO", "").startswith("/content/"):
                self.file_bytes += head + len(data)
        return [data]


def photo(seed: int) -> bytes:
    """An 800 × 500 JPEG with the detail of a photo (a gradient with grain)."""
    from PIL import Image, ImageChops

    gradient = Image.linear_gradient("L").resize((800, 500)).rotate(seed * 37 % 360)
    grain = Image.effect_noise((800, 500), 40 + seed)
    grey = ImageChops.add(gradient, grain, scale=1.6)
    picture = Image.merge("RGB", (grey, gradient, grain))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=78)
    return out.getvalue()


def write_module(folder: Path) -> None:
    """The module: course.md and 10 lessons with pictures (the demo's SVGs, photos)."""
    assets = folder / "assets"
    assets.mkdir(parents=True)
    for picture in DEMO_PICTURES:
        shutil.copy(picture, assets / picture.name)
    (folder / "course.md").write_text(
        "---\ntitle: Sicher unterwegs in der Halle\nsummary: Zehn Lektionen für unterwegs.\n"
        "language: de\n---\nEin Lernmodul für den Benchmark.\n",
        encoding="utf-8",
    )
    sentence = (
        "In der Halle gilt: Wege frei halten, Staplern Vorrang lassen und bei Unklarheiten "
        "die Schichtleitung fragen. "
    )
    for number in range(1, 11):
        svg = DEMO_PICTURES[number % len(DEMO_PICTURES)].name
        lines = [
            "---",
            "type: lesson",
            f"title: Lektion {number}",
            "minutes: 5",
            "---",
            f"## Worum es in Lektion {number} geht",
            "",
            sentence * 12,
            "",
            f"![Schaubild zu Lektion {number}](assets/{svg})",
            "",
        ]
        for paragraph in range(4):
            lines += [f"### Abschnitt {paragraph + 1}", "", sentence * 6, ""]
        if number % 2:
            (assets / f"foto-{number}.jpg").write_bytes(photo(number))
            lines += [f"![Foto zu Lektion {number}](assets/foto-{number}.jpg)", ""]
        (folder / f"{number:02d}-lektion-{number}.md").write_text(
            "\n".join(lines), encoding="utf-8"
        )


def prepare(instance: Path) -> tuple[Any, str]:
    """The app with the demo's people and the bench module; the demo password."""
    from sqlalchemy import select

    from config import DevelopmentConfig
    from lms import create_app, demo, migrate
    from lms.content.importer import import_course
    from lms.models import Course, User
    from lms.services import learning

    app = create_app(
        DevelopmentConfig,
        {
            "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-for-the-offline-prefetch-run",
            "RATELIMIT_ENABLED": False,
            "MAIL_BACKEND": "log",
        },
    )
    migrate.upgrade(app)
    database = app.extensions["db"]
    folder = instance / "courses" / SLUG
    write_module(folder)
    with app.app_context(), database.begin() as session:
        demo.seed(session, demo.DEFAULT_PASSWORD, datetime.now(UTC))
    with app.test_request_context(), database.begin() as session:
        import_course(session, folder, datetime.now(UTC))
    with app.app_context(), database.begin() as session:
        learner = session.scalar(select(User).where(User.email == LEARNER))
        course = session.scalar(select(Course).where(Course.slug == SLUG))
        learning.enroll(session, learner, course, datetime.now(UTC))
    return app, demo.DEFAULT_PASSWORD


@contextmanager
def serve(app: Any) -> Iterator[tuple[str, ByteCounter]]:
    from werkzeug.serving import make_server

    counter = ByteCounter(app)
    server = make_server("127.0.0.1", 0, counter, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", counter
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def until(check: Callable[[], Any], seconds: float, what: str, page: Any) -> Any:
    """Poll `check`; between tries the page waits, so Playwright delivers CDP events."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        page.wait_for_timeout(20)


class WorkerThrottle:
    """Network emulation for the service worker's own fetches, through the browser's
    CDP session (Playwright's CDPSession has no child sessions: the commands go
    through Target.sendMessageToTarget)."""

    def __init__(self, browser: Any, page: Any) -> None:
        self.page = page
        self.cdp = browser.new_browser_cdp_session()
        self.session_id: str | None = None
        self.next_id = 0
        self.answers: dict[int, dict[str, Any]] = {}
        self.cdp.on("Target.receivedMessageFromTarget", self._received)

    def _received(self, event: dict[str, Any]) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.answers[message["id"]] = message

    def attach(self, origin: str) -> str:
        def worker() -> str | None:
            targets = self.cdp.send("Target.getTargets")["targetInfos"]
            return next(
                (
                    t["targetId"]
                    for t in targets
                    if t["type"] == "service_worker" and t["url"].startswith(origin)
                ),
                None,
            )

        target = until(worker, 10, "the service worker's target", self.page)
        attached = self.cdp.send("Target.attachToTarget", {"targetId": target, "flatten": False})
        self.session_id = attached["sessionId"]
        return str(target)

    def send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        number = self.next_id
        message = json.dumps({"id": number, "method": method, "params": params})
        self.cdp.send(
            "Target.sendMessageToTarget", {"sessionId": self.session_id, "message": message}
        )
        answer: dict[str, Any] = until(
            lambda: self.answers.pop(number, None), 10, method, self.page
        )
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer


def conditions(down_kbit: float, up_kbit: float, latency_ms: float) -> dict[str, Any]:
    if down_kbit <= 0:  # no throttling
        return {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    return {
        "offline": False,
        "latency": latency_ms,
        "downloadThroughput": down_kbit * 1000 / 8,  # bytes per second
        "uploadThroughput": up_kbit * 1000 / 8,
    }


def save_once(page: Any, counter: ByteCounter) -> tuple[float, int, int, int]:
    """Empty the caches, press the button, wait for the saved state: seconds, requests,
    bytes, bytes of pictures."""
    page.evaluate(
        """async () => {
            for (const name of ["lernwerk-pages", "lernwerk-content"]) await caches.delete(name);
            localStorage.clear();
        }"""
    )
    page.reload()
    section = page.locator("[data-offline-save]")
    section.locator("button").wait_for(state="visible")
    counter.reset()
    started = time.perf_counter()
    section.locator("button").click()
    until(
        lambda: "offline-save--saved" in (section.get_attribute("class") or ""),
        300,
        "the saved state",
        page,
    )
    return time.perf_counter() - started, counter.requests, counter.bytes, counter.file_bytes


def run(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lms-offline-bench-") as tmp:
        instance = Path(tmp)
        os.environ["LMS_INSTANCE_PATH"] = str(instance / "instance")
        app, password = prepare(instance)
        with serve(app) as (origin, counter), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                figures = measure(browser, origin, counter, password, args)
            finally:
                browser.close()
    report(figures, args)
    return 0


def measure(
    browser: Any, origin: str, counter: ByteCounter, password: str, args: argparse.Namespace
) -> dict[str, list[tuple[float, int, int, int]]]:
    """Sign in, let the worker take the module's page, then save it: once at full speed,
    `args.runs` times throttled."""
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{origin}/login")
    page.get_by_label("E-Mail-Adresse").fill(LEARNER)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{origin}/learn/")
    page.goto(f"{origin}/learn/courses/{SLUG}")
    until(
        lambda: page.evaluate("() => Boolean(navigator.serviceWorker.controller)"),
        15,
        "the service worker",
        page,
    )
    throttle = WorkerThrottle(browser, page)
    throttle.attach(origin)
    throttle.send("Network.enable", {})
    page_cdp = context.new_cdp_session(page)
    page_cdp.send("Network.enable")
    # Every run fetches everything: course files are sent as immutable for a year, and
    # a second run would take them from the HTTP cache.
    throttle.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page_cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def emulate(settings: dict[str, Any]) -> None:
        if not args.page_only:
            throttle.send("Network.emulateNetworkConditions", settings)
        page_cdp.send("Network.emulateNetworkConditions", settings)

    figures: dict[str, list[tuple[float, int, int, int]]] = {}
    emulate(conditions(0, 0, 0))
    figures["unthrottled"] = [save_once(page, counter)]
    emulate(conditions(args.down_kbit, args.up_kbit, args.latency_ms))
    figures["throttled"] = [save_once(page, counter) for _ in range(args.runs)]
    return figures


def report(figures: dict[str, list[tuple[float, int, int, int]]], args: argparse.Namespace) -> None:
    print(
        f"'Für unterwegs speichern' of a 10-lesson module through the service worker"
        f" ({len(DEMO_PICTURES)} demo SVGs, 5 photos)"
    )
    print(
        f"throttled: {args.down_kbit:g} kbit/s down, {args.up_kbit:g} kbit/s up,"
        f" {args.latency_ms:g} ms latency"
        f" ({'the page only' if args.page_only else 'page and service worker'})"
    )
    print(
        f"{'run':<14}{'seconds':>9}{'requests':>10}{'kB sent':>10}{'of which pictures':>19}"
        f"{'kB/s':>8}{'bytes-only s':>14}"
    )
    rate = args.down_kbit * 1000 / 8
    for name, runs in figures.items():
        for number, (seconds, requests, sent, pictures) in enumerate(runs, 1):
            floor = sent / rate if name == "throttled" else 0
            print(
                f"{name + ' ' + str(number):<14}{seconds:>9.2f}{requests:>10}"
                f"{sent / 1000:>10.1f}{pictures / 1000:>19.1f}"
                f"{sent / 1000 / seconds:>8.1f}{floor:>14.2f}"
            )
    throttled = [run[0] for run in figures["throttled"]]
    print(
        f"throttled median: {statistics.median(throttled):.2f} s"
        f" (min {min(throttled):.2f}, max {max(throttled):.2f})"
    )


def parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="throttled runs (default 3)")
    parser.add_argument("--down-kbit", type=float, default=1500, help="download, kbit/s")
    parser.add_argument("--up-kbit", type=float, default=750, help="upload, kbit/s")
    parser.add_argument("--latency-ms", type=float, default=300, help="added round trip, ms")
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="throttle the page only, not the service worker (shows that it is not enough)",
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
