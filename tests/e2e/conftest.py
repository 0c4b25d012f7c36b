"""Browser tests: the real app on a live server, driven by headless Chromium.

The live server has its own database (never the one of the in-process tests):
a SQLite file in a temporary folder, or, when LMS_DATABASE_URL points at
PostgreSQL, a separate database `<name>_e2e` that is dropped and created for
the run. CSRF is on, as in production: the browser submits real forms.

Needs Debian's Chromium (`apt-get install chromium`) and the Python package
`playwright` (dev extras). Without them the tests are skipped, unless
LMS_E2E_REQUIRED=1 is set (CI), in which case they fail.

Screenshots of failed tests are written to tests/e2e/artifacts/<test>.png.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = E2E_DIR / "artifacts"
SCREENS = ARTIFACTS / "screens"

CHROMIUM = os.environ.get("LMS_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# Playwright waits at most this long for an element or a navigation (ms).
TIMEOUT_MS = 10_000

_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


# --- Marker and availability ------------------------------------------------


def _missing_requirements() -> list[str]:
    """What is missing to run browser tests, each with how to install it; empty if nothing."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
            "(or point LMS_E2E_CHROMIUM at a Chromium binary)"
        )
    try:
        found = importlib.util.find_spec("playwright.sync_api") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        missing.append(
            "Python package playwright not installed: install the dev extras with "
            "`pip install -e '.[dev]'` (the browser itself comes from `apt-get install chromium`, "
            "not from `playwright install`)"
        )
    return missing


def _required() -> bool:
    return os.environ.get("LMS_E2E_REQUIRED", "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `e2e`; skip them all when the browser is unavailable."""
    ours = [item for item in items if E2E_DIR in item.path.resolve().parents]
    if not ours:
        return
    missing = _missing_requirements()
    skip = None
    if missing and not _required():
        skip = pytest.mark.skip(
            reason="browser tests need: "
            + "; ".join(missing)
            + ". Set LMS_E2E_REQUIRED=1 to make this a failure."
        )
    for item in ours:
        item.add_marker(pytest.mark.e2e)
        if skip is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def e2e_requirements() -> None:
    """Fail (LMS_E2E_REQUIRED=1) when Chromium or Playwright is missing; skipping is done above."""
    missing = _missing_requirements()
    if missing:
        pytest.fail(
            "LMS_E2E_REQUIRED=1 but the browser tests cannot run: " + "; ".join(missing) + ".",
            pytrace=False,
        )


# --- Failure reports and screenshots ----------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can see whether the test failed."""
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


def _failed(node: pytest.Item) -> bool:
    reports = node.stash.get(_report_key, {})
    return any(r.failed for r in reports.values())


def safe_name(text: str) -> str:
    """A file name from a test name: `test_login[learner]` -> `test_login-learner`."""
    name = re.sub(r"[^\w.-]+", "-", text).strip("-.")
    return name or "test"


# --- Live server ------------------------------------------------------------


def _postgres_url() -> str | None:
    url = os.environ.get("LMS_DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def _create_postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    """Create `<name>_e2e` beside the database of `url`; return its URL and a dropper."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_e2e"
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    conninfo = maintenance.render_as_string(hide_password=False)

    def run(*statements: sql.Composed) -> None:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    ident = sql.Identifier(name)
    run(
        sql.SQL("DROP DATABASE IF EXISTS {}").format(ident),
        sql.SQL("CREATE DATABASE {}").format(ident),
    )
    e2e_url = parsed.set(database=name).render_as_string(hide_password=False)
    return e2e_url, lambda: run(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))


@dataclass(frozen=True)
class LiveServer:
    url: str
    password: str
    accounts: tuple[Any, ...]  # lms.demo.DemoAccount
    app: Any = None  # the Flask app, for reading answer keys in tests

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _buffered(app: Any) -> Callable[..., list[bytes]]:
    """Read each response whole before it is sent.

    A browser may drop a connection mid-response (a favicon fetch it no longer
    wants). Werkzeug's development server then leaves a file response unclosed,
    and the ResourceWarning fails whichever test happens to be running.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(
    e2e_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app with demo data on http://127.0.0.1:<free port>, in a background thread."""
    from werkzeug.serving import make_server

    from config import TestingConfig
    from lms import create_app, demo, migrate
    from lms.clock import today

    tmp_dir = tmp_path_factory.mktemp("e2e")
    drop_database: Callable[[], None] | None = None
    pg_url = _postgres_url()
    if pg_url:
        database_url, drop_database = _create_postgres_database(pg_url)
    else:
        database_url = f"sqlite:///{tmp_dir / 'e2e.sqlite3'}"

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LMS_INSTANCE_PATH", str(tmp_dir / "instance"))
        app = create_app(
            TestingConfig,
            {
                "DATABASE_URL": database_url,
                "WTF_CSRF_ENABLED": True,
                "SERVER_NAME": None,
            },
        )
    database = app.extensions["db"]
    engine = database.engine
    migrate.upgrade(app)
    with app.app_context(), database.begin() as session:
        accounts = demo.seed(session, demo.DEFAULT_PASSWORD, datetime.now(UTC))
        # Admins must have a second factor (lms/two_factor): `log_in` enters its code.
        from tests.two_factor_helpers import give_admins_a_second_factor

        give_admins_a_second_factor(session)
    with app.test_request_context():
        from lms.content.cli import course_folders
        from lms.content.importer import import_course
        from tests.package_helpers import courses_with_packages

        # A copy, with the package ZIPs its units name built from tests/packages/.
        extra = courses_with_packages(Path(__file__).parent / "courses", tmp_dir / "courses")
        for folder in [*course_folders(Path(app.config["COURSES_DIR"])), *course_folders(extra)]:
            with database.begin() as session:
                import_course(session, folder, datetime.now(UTC))
        with database.begin() as session:
            demo.seed_progress(session, datetime.now(UTC))
        with database.begin() as session:
            demo.seed_assignments(session, datetime.now(UTC), today())

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    # Packages' files come from another origin of the same server (cookies are per host;
    # tests/e2e/test_packages.py).
    app.config["PACKAGE_ORIGIN"] = f"http://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, password=demo.DEFAULT_PASSWORD, accounts=tuple(accounts), app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()
        if drop_database is not None:
            drop_database()


# --- Browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance(e2e_requirements: None) -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright, live_server: LiveServer) -> Iterator[Browser]:
    # Depends on live_server so that the browser closes (and drops its
    # keep-alive connections) before the server shuts down.
    chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


PageFactory = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Open a page in a fresh browser context (own cookies): `new_page()` or `new_page(phone=True)`.

    German browser (de-DE, Accept-Language de); 1280x800, or 360x740 as a phone.
    Every context is closed after the test; if the test failed, each page is
    saved as a full-page screenshot in tests/e2e/artifacts/.
    """
    contexts: list[BrowserContext] = []

    def open_page(*, phone: bool = False) -> Page:
        options: dict[str, Any] = {
            "locale": "de-DE",
            "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"},
            "viewport": PHONE if phone else DESKTOP,
        }
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page

    try:
        if _failed(request.node):
            pages = [p for c in contexts for p in c.pages]
            for number, failed_page in enumerate(pages):
                suffix = f"-{number + 1}" if len(pages) > 1 else ""
                target = ARTIFACTS / f"{safe_name(request.node.name)}{suffix}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    failed_page.screenshot(path=str(target), full_page=True)
                except Exception as exc:  # the page may have crashed; the test already failed
                    print(f"could not save screenshot {target}: {exc}")
                else:
                    print(f"screenshot of the failed test: {target}")
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A desktop page (1280x800) in a fresh German browser context."""
    return new_page()


@pytest.fixture
def phone_page(new_page: PageFactory) -> Page:
    """A phone-sized page (360x740, touch) in a fresh German browser context."""
    return new_page(phone=True)


@pytest.fixture(scope="session")
def screens() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot for people to look at: tests/e2e/artifacts/screens/<name>.png."""

    def save(target_page: Page, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{safe_name(name)}.png"
        target_page.screenshot(path=str(path), full_page=True)
        return path

    return save
