"""The LTI 1.3 protocol (IMS Security Framework, LTI Core, Assignment and Grade
Services) as plain functions: the platform's published keys, the launch's ID token,
Lernwerk's own signing key, the client assertion of the token request, the score.

joserfc checks and makes the tokens (as `lms.sso.oidc` does); every call to a platform
leaves through `lms.outbound` (the address checked, connected to the checked address,
no redirect followed, a timeout). The platform's keys are kept a few minutes in the one
cache and read again once when a token names a key not seen yet; an access token is
kept in the one cache until shortly before it expires. Failures raise `LtiRefused`
with a code the pages turn into a sentence; `detail` is for the log only.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from lms import outbound
from lms.cache import cache, key_of, remembered
from lms.sso import oidc

# As for single sign-on: an LTI launch is an OpenID Connect ID token.
ALGORITHMS = oidc.ALGORITHMS
KEYS_SECONDS = 300  # the platform's keys are read again after this long
KEYS_REFRESH_SECONDS = 60  # an unknown kid reads them again at most this often
ANSWER_BYTES = 512 * 1024

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

log = logging.getLogger("lms.lti")


class LtiRefused(Exception):
    """A launch or a call that did not work; `code` says why, `detail` is for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# --- Calls to the platform ----------------------------------------------------------


def _check_address(url: str) -> None:
    problem = outbound.address_problem(url)
    if problem is not None:
        raise LtiRefused("address", f"refused address {url}: {problem}")


def _body(response: requests.Response) -> bytes:
    """The answer's body, at most ANSWER_BYTES (a platform answering without end
    cannot tie up a worker)."""
    try:
        read = b""
        for chunk in response.iter_content(chunk_size=64 * 1024):
            read += chunk
            if len(read) > ANSWER_BYTES:
                raise LtiRefused("bad-answer", f"{response.url}: more than {ANSWER_BYTES} bytes")
        return read
    except requests.RequestException as exc:
        raise LtiRefused("unreachable", f"{response.url}: {type(exc).__name__}") from exc
    finally:
        response.close()


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        document = json.loads(_body(response))
    except ValueError as exc:
        raise LtiRefused("bad-answer", f"{response.url}: not JSON") from exc
    if not isinstance(document, dict):
        raise LtiRefused("bad-answer", f"{response.url}: not a JSON object")
    return document


def _key_set(url: str) -> dict[str, Any]:
    _check_address(url)
    try:
        response = outbound.session().get(url, timeout=outbound.timeout(), stream=True)
    except requests.RequestException as exc:
        raise LtiRefused("unreachable", f"{url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        response.close()
        raise LtiRefused("unreachable", f"{url}: HTTP {response.status_code}")
    found = _json(response).get("keys")
    if not isinstance(found, list):
        raise LtiRefused("bad-answer", f"{url}: no list of keys")
    return {"keys": [key for key in found if isinstance(key, dict)]}


def platform_keys(jwks_url: str, *, fresh: bool = False) -> dict[str, Any]:
    """The platform's published keys, kept KEYS_SECONDS in the one cache."""
    parts = ("lti-jwks", jwks_url)
    if not fresh:
        return remembered(parts, lambda: _key_set(jwks_url), timeout=KEYS_SECONDS)
    keys = _key_set(jwks_url)
    try:
        cache.set(key_of(parts), (keys,), timeout=KEYS_SECONDS)  # as `remembered` keeps it
    except Exception:  # a cache that fails must not fail the launch
        log.warning("cache unreachable, not keeping the platform's keys", exc_info=True)
    return keys


def _may_read_keys_again(jwks_url: str) -> bool:
    try:
        return bool(cache.add(key_of(("lti-jwks-read", jwks_url)), (True,),
                              timeout=KEYS_REFRESH_SECONDS))  # fmt: skip
    except Exception:  # no cache: read again
        return True


def header_of(token: str) -> dict[str, Any]:
    header = oidc.token_part(token, 0)
    if header is None:
        raise LtiRefused("bad-token", "the ID token cannot be read")
    return header


@dataclass(frozen=True)
class Expected:
    """What a launch's ID token must say."""

    issuer: str
    client_id: str
    nonce: str
    deployment_ids: tuple[str, ...]


def verify_launch(
    id_token: str, keys: dict[str, Any], expected: Expected, now: datetime
) -> dict[str, Any]:
    """The launch's claims once the signature (one of the platform's keys), issuer,
    audience (and `azp`), times, nonce, deployment, message type and version are right."""
    algorithm = header_of(id_token).get("alg")
    if algorithm not in ALGORITHMS:
        raise LtiRefused("bad-signature", f"ID token signed with {algorithm!r}")
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise LtiRefused("bad-signature", f"signature not verified: {type(exc).__name__}") from exc
    claims: dict[str, Any] = dict(token.claims)
    problem = oidc.claims_problem(
        claims,
        issuer=expected.issuer,
        client_id=expected.client_id,
        nonce=expected.nonce,
        now=now,
        issued_at_required=True,
    )
    if problem is not None:
        code, detail = problem
        raise LtiRefused("expired" if code == "not-yet-valid" else code, detail)
    if claims.get(DEPLOYMENT_ID) not in expected.deployment_ids:
        raise LtiRefused("deployment", f"deployment {str(claims.get(DEPLOYMENT_ID))[:80]!r}")
    if claims.get(MESSAGE_TYPE) != "LtiResourceLinkRequest":
        raise LtiRefused("message-type", f"message type {str(claims.get(MESSAGE_TYPE))[:80]!r}")
    if claims.get(VERSION) != "1.3.0":
        raise LtiRefused("message-type", f"version {str(claims.get(VERSION))[:20]!r}")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise LtiRefused("bad-token", "no usable sub (an anonymous launch)")
    link = claims.get(RESOURCE_LINK)
    if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
        raise LtiRefused("bad-token", "no resource link id")
    return claims


def check_launch(id_token: str, jwks_url: str, expected: Expected, now: datetime) -> dict[str, Any]:
    """`verify_launch` with the platform's keys; read again once for an unknown kid
    (the platform rotated its keys)."""
    keys = platform_keys(jwks_url)
    kid = header_of(id_token).get("kid")
    known = {key.get("kid") for key in keys.get("keys", [])}
    if kid is not None and kid not in known and _may_read_keys_again(jwks_url):
        keys = platform_keys(jwks_url, fresh=True)
    return verify_launch(id_token, keys, expected, now)


# --- Lernwerk's key, the token request, the score ---------------------------------------


def new_key() -> tuple[str, str, str]:
    """A new RSA key: (kid, public JWK as JSON, private key as PEM)."""
    key = RSAKey.generate_key(2048, auto_kid=True)
    public = key.as_dict(private=False)
    public |= {"alg": "RS256", "use": "sig"}
    return str(key.kid), json.dumps(public, sort_keys=True), key.as_pem(private=True).decode()


def client_assertion(
    private_pem: str, kid: str, client_id: str, audience: str, now: datetime
) -> str:
    """The signed JWT with which Lernwerk authenticates at the platform's token
    endpoint (RFC 7523, as the IMS Security Framework asks)."""
    key = RSAKey.import_key(private_pem)
    issued = int(now.timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + 300,
        "jti": secrets.token_urlsafe(24),
    }
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key)


def access_token(
    http: requests.Session,
    token_url: str,
    client_id: str,
    assertion: Callable[[], str],
    scope: str = SCORE_SCOPE,
) -> str:
    """An access token for `scope`, kept in the one cache until shortly before it
    expires. `assertion` is called to sign the client assertion when one is needed."""
    parts = ("lti-token", token_url, client_id, scope)
    try:
        kept = cache.get(key_of(parts))
    except Exception:
        kept = None
    if kept is not None:
        return str(kept[0])
    _check_address(token_url)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion(),
        "scope": scope,
    }
    try:
        response = http.post(
            token_url, data=form, headers={"Accept": "application/json"},
            timeout=outbound.timeout(), stream=True,
        )  # fmt: skip
    except requests.Timeout as exc:
        raise LtiRefused("timeout", "token endpoint: no answer in time") from exc
    except requests.RequestException as exc:
        raise LtiRefused("unreachable", f"token endpoint: {type(exc).__name__}") from exc
    if response.status_code != 200:
        response.close()
        raise LtiRefused("token-refused", f"token endpoint answered HTTP {response.status_code}")
    answer = _json(response)
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise LtiRefused("token-refused", "no access token in the answer")
    expires_in = answer.get("expires_in")
    seconds = int(expires_in) if isinstance(expires_in, int | float) else 3600
    if seconds > 90:
        try:
            cache.set(key_of(parts), (token,), timeout=seconds - 60)
        except Exception:
            log.warning("cache unreachable, not keeping the access token", exc_info=True)
    return token


def forget_access_token(token_url: str, client_id: str, scope: str = SCORE_SCOPE) -> None:
    try:
        cache.delete(key_of(("lti-token", token_url, client_id, scope)))
    except Exception:
        log.warning("cache unreachable, access token not forgotten", exc_info=True)


def scores_url(lineitem: str) -> str:
    """The line item's score service: "/scores" added to its path, its query kept."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score(subject: str, given: float, maximum: float, at: datetime) -> dict[str, Any]:
    """A score of a completed module (AGS Score, version 2.0)."""
    return {
        "userId": subject,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": at.isoformat(timespec="milliseconds"),
    }
