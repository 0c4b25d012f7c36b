"""Two instances of Lernwerk on one PostgreSQL and one Redis, as behind a load balancer.

Each instance is a real `lms serve` (gunicorn, two workers) in a process of its own,
sharing the database and Redis and nothing else. A throttle counted on one counts on
the other; a change made through one (a deactivation) or by a command (a new course
version) shows on the other at its next request. Runs when LMS_DATABASE_URL names a
PostgreSQL database and LMS_REDIS_URL a Redis (`.ci/run` starts both); its tables live
in a schema of their own, dropped afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from config import TestingConfig
from lms import secret_box
from lms.content.importer import import_course
from lms.models import Course, Role
from tests.conftest import database_of_its_own, make_test_app, reset_database
from tests.factories import PASSWORD, make_company, make_user
from tests.two_factor_helpers import TOTP_SECRET
from tests.unit.test_course_parser import write_course

pytestmark = pytest.mark.skipif(
    not os.environ.get("LMS_DATABASE_URL", "").startswith("postgres")
    or not os.environ.get("LMS_REDIS_URL"),
    reason="needs LMS_DATABASE_URL (PostgreSQL) and LMS_REDIS_URL, as .ci/run sets them",
)

LMS = str(Path(sys.executable).with_name("lms"))
EN = {"Accept-Language": "en"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """A browser of one person: cookies, no redirects followed, the CSRF token read."""

    def __init__(self, network: str) -> None:
        self.jar = CookieJar()
        # The instances trust one proxy (LMS_PROXY_COUNT=1): this is where "we" come from.
        self.headers = {**EN, "X-Forwarded-For": network}

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url, headers=self.headers))

    def post(self, url: str, fields: dict[str, str], token_from: str) -> tuple[int, str]:
        _status, page = self.get(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None, f"no CSRF token on {token_from}"
        body = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        return self._open(urllib.request.Request(url, data=body, headers=self.headers))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def world_on_two_instances(tmp_path: Path) -> Iterator[dict[str, object]]:
    with database_of_its_own(tmp_path) as url:
        app = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(app)
        database = app.extensions["db"]
        folder = write_course(tmp_path / "courses", {}, slug="zwei-instanzen")
        with database.begin() as session, app.test_request_context():
            company = make_company(session, "Zwei Instanzen GmbH")
            learner = make_user(session, company, Role.LEARNER, email="lerner@zwei.example")
            make_user(session, company, Role.LEARNER, email="ziel@zwei.example")
            admin = make_user(session, None, Role.ADMIN, email="admin@zwei.example")
            import_course(session, folder, datetime.now(UTC))
            session.scalar(select(Course).where(Course.slug == "zwei-instanzen")).shared = True
            ids = {"company": company.id, "learner": learner.id}
            emails = {"learner": learner.email, "admin": admin.email}
        app.extensions["db"].engine.dispose()

        env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
        env.update(
            LMS_ENV="development",
            LMS_INSTANCE_PATH=str(tmp_path / "instance"),
            LMS_SECRET_KEY="two-instances-share-this-secret-key-0123456789",
            # The key the admin's second factor was sealed with here (the testing one's).
            LMS_ENCRYPTION_KEYS=secret_box.derived_key(TestingConfig.SECRET_KEY).decode(),
            LMS_DATABASE_URL=url,
            LMS_REDIS_URL=os.environ["LMS_REDIS_URL"],
            LMS_MAIL_BACKEND="log",
            LMS_LOGIN_LIMIT_PER_IP="3 per minute",
            LMS_PROXY_COUNT="1",
        )
        servers, bases = [], []
        try:
            for name in ("a", "b"):
                port = _free_port()
                with (tmp_path / f"serve-{name}.log").open("w") as log:  # the child keeps it
                    servers.append(
                        subprocess.Popen(
                            [LMS, "serve", "--port", str(port), "--workers", "2",
                             "--no-access-log"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                        )
                    )  # fmt: skip
                bases.append(f"http://127.0.0.1:{port}")
            for base in bases:
                _wait_until_live(base)
            yield {"a": bases[0], "b": bases[1], "ids": ids, "emails": emails,
                   "env": env, "course": folder}  # fmt: skip
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
            for server in servers:
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()


def _wait_until_live(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz/live", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


def test_two_instances_share_throttling_and_see_each_others_changes(world_on_two_instances):
    w = world_on_two_instances
    a, b = w["a"], w["b"]
    emails: dict[str, str] = w["emails"]  # type: ignore[assignment]
    ids: dict[str, int] = w["ids"]  # type: ignore[assignment]

    def sign_in(browser: Browser, base: str, email: str, password: str) -> tuple[int, str]:
        return browser.post(
            f"{base}/login", {"email": email, "password": password}, f"{base}/login"
        )

    # Failed sign-ins of one network, counted in Redis: three on A (each for another
    # address, so no account's budget is reached), and the fourth, on B, is refused.
    guesser = Browser("198.51.100.7")
    for n in range(3):
        status, page = sign_in(guesser, a, f"niemand{n}@zwei.example", "falsch")
        assert status == 200 and "password is not correct" in page
    assert sign_in(guesser, b, "niemand9@zwei.example", "falsch")[0] == 429

    # An account's budget, counted in the database: ten guesses on A from ten
    # networks, and the eleventh, on B from yet another one, is refused.
    for n in range(10):
        status, page = sign_in(Browser(f"100.64.{n}.9"), a, "ziel@zwei.example", "falsch")
        assert status == 200 and "password is not correct" in page
    assert sign_in(Browser("100.64.99.9"), b, "ziel@zwei.example", PASSWORD)[0] == 429

    # Signed in on B, the session is good on A too (the same secret key).
    learner = Browser("203.0.113.5")
    assert sign_in(learner, b, emails["learner"], PASSWORD)[0] == 302
    for base in (a, b):
        status, page = learner.get(f"{base}/learn/courses/zwei-instanzen")
        assert status == 200 and "Testkurs" in page and "Testkurs neu" not in page

    # A new version, imported by a command, shows on both at their next request.
    course_md = Path(w["course"]) / "course.md"  # type: ignore[arg-type]
    course_md.write_text(course_md.read_text().replace("Testkurs", "Testkurs neu"))
    subprocess.run(
        [LMS, "courses", "import", str(w["course"])], env=w["env"], check=True,
        capture_output=True,
    )  # fmt: skip
    for base in (a, b):
        status, page = learner.get(f"{base}/learn/courses/zwei-instanzen")
        assert status == 200 and "Testkurs neu" in page

    # The admin deactivates the learner on A: B ends the learner's session at once.
    admin = Browser("192.0.2.5")
    assert sign_in(admin, a, emails["admin"], PASSWORD)[0] == 302
    # The admin's second factor (lms/two_factor): the code of their app.
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert admin.post(f"{a}/login/code", {"code": code}, f"{a}/login/code")[0] == 302
    people = f"{a}/admin/companies/{ids['company']}/people"
    status, _page = admin.post(
        f"{people}/{ids['learner']}/deactivate", {}, f"{people}/{ids['learner']}/edit"
    )
    assert status == 302
    status, _page = learner.get(f"{b}/learn/")
    assert status == 302  # to the login page
