"""A real OpenID provider for the single sign-on tests: `oidc-provider` (the certified
Node.js implementation) from tests/oidc_provider/, started on a free loopback port.

`start_provider(settings, folder)` runs one (its clients and accounts in `settings`,
see tests/oidc_provider/provider.mjs) and waits for its discovery document;
`oidc_provider` (import `provider_fixture`) is the session's provider for the web tests (the Flask test client's
redirect address http://localhost/sso/callback). Without node or npm the tests are
skipped with the reason, unless LMS_E2E_REQUIRED=1 (CI), where they fail.

`through_provider(http, url, login)` plays the person at the provider: it follows the
provider's redirects with `requests`, fills in its sign-in form and returns the
address the provider sends the browser back to (Lernwerk's callback).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
STARTUP_SECONDS = 30
CLIENT_ID = "lernwerk-test"
CLIENT_SECRET = "test-client-secret-0123456789"
CALLBACK = "http://localhost/sso/callback"
AFTER_LOGOUT = "http://localhost/login"

# The session provider's people: `sub` is what is typed at its sign-in form.
ACCOUNTS: list[dict[str, Any]] = [
    {"sub": "ada", "email": "ada@alpha-sso.example", "name": "Ada Alpha",
     "groups": ["lager", "leads"]},
    {"sub": "bert", "email": "bert@alpha-sso.example", "name": "Bert Alpha", "groups": []},
    {"sub": "new", "email": "neu@alpha-sso.example", "name": "Nora Neu", "groups": ["lager"]},
    {"sub": "unverified", "email": "unverified@alpha-sso.example", "email_verified": False},
    {"sub": "eve", "email": "eve@beta-sso.example", "name": "Eve Beta"},
    {"sub": "staff", "email": "staff@alpha-sso.example", "name": "Staff"},
    # As Entra ID sends groups: up to 200 object ids in the ID token.
    {"sub": "many", "email": "many@alpha-sso.example", "name": "Manfred Many",
     "groups": [str(uuid.UUID(bytes=hashlib.sha256(bytes([n])).digest()[:16])) for n in range(150)]},
]  # fmt: skip


def _required() -> bool:
    return os.environ.get("LMS_E2E_REQUIRED") == "1"


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason} (LMS_E2E_REQUIRED=1)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _install() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed: the tests of single sign-on need a real provider")
        return
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        _unavailable(f"npm ci in {PROVIDER_DIR} failed: {result.stderr[-2000:]}")


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[bytes]
    log_path: Path
    settings: dict[str, Any] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_provider(settings: dict[str, Any], folder: Path) -> RunningProvider:
    """Run the provider with `settings` (clients, accounts; the port is chosen here)
    and wait until its discovery document answers."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed: the tests of single sign-on need a real provider")
    assert node is not None
    _install()
    port = free_port()
    settings = {**settings, "port": port}
    issuer = f"http://127.0.0.1:{port}"
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / f"provider-{port}.json"
    config_path.write_text(json.dumps(settings))
    log_path = folder / f"provider-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [node, str(PROVIDER_DIR / "provider.mjs"), "--config", str(config_path)],
            stdout=log_file, stderr=subprocess.STDOUT, cwd=PROVIDER_DIR,
        )  # fmt: skip
    running = RunningProvider(issuer, process, log_path, settings)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider stopped at once:\n{running.log()}")
        try:
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            if answer.status_code == 200:
                return running
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            running.stop()
            raise RuntimeError(f"the OpenID provider did not answer:\n{running.log()}")
        time.sleep(0.1)


def client_settings(
    redirect_uris: list[str], after_logout: list[str], accounts: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": after_logout,
            }
        ],
        "accounts": accounts,
    }


@pytest.fixture(scope="session", name="oidc_provider")
def provider_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    running = start_provider(
        client_settings([CALLBACK], [AFTER_LOGOUT], ACCOUNTS),
        tmp_path_factory.mktemp("oidc-provider"),
    )
    try:
        yield running
    finally:
        running.stop()


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)


def through_provider(http: requests.Session, url: str, login: str, back_to: str) -> str:
    """Follow the provider from `url` (its authorization address) as a browser would,
    signing in as `login` at its form, until it sends the browser to an address
    beginning with `back_to`; that address."""
    for _step in range(12):
        if url.startswith(back_to):
            return url
        answer = http.get(url, allow_redirects=False, timeout=10)
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            continue
        found = _FORM_ACTION.search(answer.text)
        if answer.status_code != 200 or found is None:
            raise AssertionError(f"the provider answered {answer.status_code}: {answer.text[:500]}")
        sent = http.post(
            urljoin(url, found.group(1).replace("&amp;", "&")),
            data={"prompt": "login", "login": login, "password": "any"},
            allow_redirects=False,
            timeout=10,
        )
        if not sent.is_redirect:
            raise AssertionError(f"the provider's sign-in answered {sent.status_code}")
        url = urljoin(url, sent.headers["Location"])
    raise AssertionError("the provider did not send the browser back")
