"""The OpenID Connect client against a provider that misbehaves (a stub HTTP server on
loopback): a huge or odd discovery document, a token endpoint answering HTML, a list
or a huge body, and tokens naming keys nobody published. Each ends in an SsoFailure
(a clear page), never in another exception (a 500) or a read without end."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from lms.cache import cache
from lms.sso import oidc
from lms.sso.oidc import SsoFailure

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})


class Stub:
    """A provider whose answers the test sets: path -> (status, content type, body)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        self.calls: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                stub.calls.append(path)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, kind, body = stub.answers.get(path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may stop reading early, as it should for a huge body.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path: str, document: Any, status: int = 200) -> None:
        self.answers[path] = (status, "application/json", json.dumps(document).encode())

    def discovery(self, **changes: Any) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/auth",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
        } | changes
        self.json("/.well-known/openid-configuration", document)
        return document

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub(app) -> Iterator[Stub]:
    running = Stub()
    with app.test_request_context():
        cache.clear()
        yield running
        cache.clear()
    running.close()


def failure_of(call: Any) -> str:
    with pytest.raises(SsoFailure) as caught:
        call()
    return caught.value.code


def test_a_huge_discovery_document_is_not_read_whole(stub):
    document = stub.discovery()
    padded = json.dumps(document | {"padding": "x" * (3 * 1024 * 1024)}).encode()
    stub.answers["/.well-known/openid-configuration"] = (200, "application/json", padded)
    assert failure_of(lambda: oidc.discover(stub.issuer, fresh=True)) == "bad-discovery"


def test_odd_values_in_the_discovery_document_are_refused_not_a_500(stub):
    stub.discovery(code_challenge_methods_supported=5)
    assert failure_of(lambda: oidc.discover(stub.issuer, fresh=True)) == "bad-discovery"
    stub.discovery(end_session_endpoint=["https://x"])
    assert oidc.discover(stub.issuer, fresh=True).end_session_endpoint is None


def _exchange(stub: Stub) -> str:
    provider = oidc.read_provider(stub.discovery(), stub.issuer)
    return oidc.exchange_code(provider, "client", "secret", "https://lms/cb", "code", "v" * 43)


@pytest.mark.parametrize(
    "answer",
    [
        (500, "text/html", b"<html><h1>Internal Server Error</h1></html>"),
        (200, "text/html", b"<html>Sign in</html>"),
        (200, "application/json", b"[1, 2, 3]"),
        (200, "application/json", b'"just a string"'),
        (200, "application/json", b'{"access_token": "a", "token_type": "Bearer"}'),
        (200, "application/json", b'{"id_token": 5, "token_type": "Bearer"}'),
        (400, "application/json", b'{"error": "invalid_grant"}'),
        (200, "application/json", b"{" + b" " * (3 * 1024 * 1024) + b"}"),
    ],
)
def test_an_odd_token_endpoint_gives_a_clear_failure(stub, answer):
    stub.answers["/token"] = answer
    assert failure_of(lambda: _exchange(stub)) in ("token-refused", "unreachable", "bad-discovery")


def _signed(kid: str, **claims: Any) -> str:
    base = {
        "iss": "https://idp.example",
        "aud": "client",
        "sub": "s1",
        "nonce": "n",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "email": "a@example.com",
        "email_verified": True,
    } | claims
    return jwt.encode({"alg": "RS256", "kid": kid}, base, KEY)


def test_tokens_naming_unknown_keys_do_not_make_lernwerk_fetch_the_keys_each_time(stub):
    stub.discovery()
    stub.json("/jwks", {"keys": [KEY.as_dict(private=False)]})
    provider = oidc.discover(stub.issuer)
    for attempt in range(5):
        token = _signed(f"unknown-{attempt}", iss=stub.issuer)
        assert (
            failure_of(
                lambda token=token: oidc.check_id_token(
                    provider, token, client_id="client", nonce="n", now=NOW
                )
            )
            == "bad-signature"
        )
    # Once when first needed, once more for the unknown key; not once per token.
    assert stub.calls.count("/jwks") <= 2
    # A rotation is still followed: the new key is read once and then kept.
    new_key = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
    stub.json("/jwks", {"keys": [new_key.as_dict(private=False)]})
    cache.clear()  # the minute of rest has passed
    token = jwt.encode(
        {"alg": "RS256", "kid": "k2"},
        {"iss": stub.issuer, "aud": "client", "sub": "s1", "nonce": "n",
         "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 300,
         "email": "a@example.com", "email_verified": True},
        new_key,
    )  # fmt: skip
    before = stub.calls.count("/jwks")
    for _ in range(3):
        assert oidc.check_id_token(provider, token, client_id="client", nonce="n", now=NOW)
    assert stub.calls.count("/jwks") - before <= 2


def test_an_authorised_party_other_than_lernwerk_is_refused():
    keys = {"keys": [KEY.as_dict(private=False)]}
    token = _signed("k1", azp="another-app")
    with pytest.raises(SsoFailure) as caught:
        oidc.verify_id_token(
            token, keys, issuer="https://idp.example", client_id="client", nonce="n", now=NOW
        )
    assert caught.value.code == "wrong-audience"


def test_a_token_issued_in_the_future_is_refused():
    keys = {"keys": [KEY.as_dict(private=False)]}
    token = _signed("k1", iat=int(NOW.timestamp()) + 3600, exp=int(NOW.timestamp()) + 7200)
    with pytest.raises(SsoFailure) as caught:
        oidc.verify_id_token(
            token, keys, issuer="https://idp.example", client_id="client", nonce="n", now=NOW
        )
    assert caught.value.code == "bad-token"


@pytest.mark.parametrize("field", ["authorization_endpoint", "end_session_endpoint"])
def test_the_provider_sends_browsers_only_to_web_addresses(field):
    document = {
        "issuer": "https://idp.example",
        "authorization_endpoint": "https://idp.example/auth",
        "token_endpoint": "https://idp.example/token",
        "jwks_uri": "https://idp.example/jwks",
        field: "javascript:alert(document.cookie)",
    }
    with pytest.raises(SsoFailure) as caught:
        oidc.read_provider(document, "https://idp.example")
    assert caught.value.code == "bad-discovery"


@pytest.mark.parametrize("keys", [{"keys": 5}, {"keys": "abc"}, {"nokeys": []}, {"keys": [1, "x"]}])
def test_odd_keys_are_a_clear_failure(stub, keys):
    stub.discovery()
    stub.json("/jwks", keys)
    provider = oidc.discover(stub.issuer)
    token = _signed("k1", iss=stub.issuer)
    code = failure_of(
        lambda: oidc.check_id_token(provider, token, client_id="client", nonce="n", now=NOW)
    )
    assert code in ("bad-discovery", "bad-signature")
