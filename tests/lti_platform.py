"""A learning platform for the LTI tests (what Moodle or ILIAS does as an LTI 1.3
platform): its own RSA keys, generated here, served as a JWKS; an OAuth 2.0 token
endpoint that grants client credentials to a client assertion signed with the tool's
key (checked against the tool's JWKS, handed to it by the test); and a line item's
score endpoint that wants the bearer token it gave out. A real HTTP server on a free
loopback port, in a thread, like tests/webhook_receiver.py.

    with LtiPlatformServer() as platform:
        platform.tool_keys = client.get("/lti/jwks").get_json()
        token = platform.id_token(nonce=..., sub="moodle-7", ...)
        ... launch, complete ...
        platform.scores[0]["userId"]
"""

from __future__ import annotations

import functools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "lernwerk-tool-1"
DEPLOYMENT_ID = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@functools.cache
def _keys() -> tuple[RSAKey, RSAKey]:
    """The platform's key and an attacker's, made once per test run (RSA is slow)."""
    return RSAKey.generate_key(2048, auto_kid=True), RSAKey.generate_key(2048, auto_kid=True)


class LtiPlatformServer:
    """The platform. `issuer` is its address; `key` signs its launches (an attacker's
    `other_key` does not); `scores` holds each score posted with a valid token,
    `token_requests` each token request and whether its assertion was valid."""

    def __init__(self) -> None:
        self.key, self.other_key = _keys()
        self.tool_keys: dict[str, Any] = {"keys": []}
        self.scores: list[dict[str, Any]] = []
        self.score_headers: list[dict[str, str]] = []
        self.token_requests: list[tuple[dict[str, list[str]], bool]] = []
        self.jwks_reads = 0
        self.tokens: set[str] = set()
        self._lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/jwks":
                    with platform._lock:
                        platform.jwks_reads += 1
                    public = platform.key.as_dict(private=False) | {"alg": "RS256", "use": "sig"}
                    self._answer(200, {"keys": [public]})
                else:
                    self._answer(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path == "/token":
                    self._token(parse_qs(body.decode()))
                elif self.path.startswith("/lineitems/") and self.path.split("?")[0].endswith(
                    "/scores"
                ):
                    self._score(body)
                else:
                    self._answer(404, {})

            def _token(self, form: dict[str, list[str]]) -> None:
                valid = platform.assertion_valid(form)
                with platform._lock:
                    platform.token_requests.append((form, valid))
                if not valid:
                    self._answer(401, {"error": "invalid_client"})
                    return
                token = secrets.token_urlsafe(16)
                with platform._lock:
                    platform.tokens.add(token)
                answer = {"access_token": token, "token_type": "bearer", "expires_in": 3600}
                self._answer(200, answer | {"scope": form.get("scope", [""])[0]})

            def _score(self, body: bytes) -> None:
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if bearer not in platform.tokens:
                    self._answer(401, {})
                    return
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    self._answer(415, {})
                    return
                with platform._lock:
                    platform.scores.append(json.loads(body))
                    platform.score_headers.append(dict(self.headers) | {"path": self.path})
                self._answer(200, {})

            def _answer(self, status: int, document: dict[str, Any]) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        return self.issuer + "/token"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    @property
    def auth_url(self) -> str:
        return self.issuer + "/auth"

    def lineitem(self, number: int = 1) -> str:
        return f"{self.issuer}/lineitems/{number}/lineitem?type_id=7"

    def assertion_valid(self, form: dict[str, list[str]]) -> bool:
        """A client-credentials request whose assertion the tool signed for this
        platform's token endpoint, asking for the score scope."""
        try:
            assertion = form["client_assertion"][0]
            token = jwt.decode(assertion, KeySet.import_key_set(self.tool_keys))  # type: ignore[arg-type]
        except Exception:
            return False
        claims = token.claims
        return (
            form.get("grant_type") == ["client_credentials"]
            and form.get("client_assertion_type")
            == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
            and SCORE_SCOPE in form.get("scope", [""])[0].split()
            and claims.get("iss") == CLIENT_ID
            and claims.get("sub") == CLIENT_ID
            and claims.get("aud") == self.token_url
            and int(claims.get("exp", 0)) > int(claims.get("iat", 0))
            and bool(claims.get("jti"))
        )

    def id_token(
        self,
        *,
        nonce: str,
        target: str,
        sub: str = "moodle-user-7",
        key: RSAKey | None = None,
        lineitem: str | None = None,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """A launch's ID token as the platform signs it; `claims` add to or replace the
        defaults (a value None removes the claim)."""
        issued = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": issued,
            "exp": issued + 300,
            "nonce": nonce,
            "name": "Mia Moodle",
            "email": "mia@moodle.example",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT_ID,
            CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": "resource-1", "title": "Brandschutz"},
            AGS: {
                "scope": [SCORE_SCOPE, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
                "lineitem": lineitem or self.lineitem(),
            },
        }
        for name, value in claims.items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": kid or signer.kid}, body, signer)

    def __enter__(self) -> LtiPlatformServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def redirect_params(location: str) -> dict[str, str]:
    """The query of the login's redirect to the platform, one value per name."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
