"""The OpenID Connect protocol of a company's sign-in: the provider's discovery
document and keys, the authorization request (code flow with PKCE S256, state and
nonce), the code exchange, and the ID token's checks.

Authlib's OAuth2Session speaks OAuth 2.0 (the authorization URL with the PKCE
challenge, the token request with the client's secret); joserfc checks the ID token
(signature with the provider's published keys, issuer, audience, expiry, nonce).
Every call leaves through `lms.outbound` rules: the address is checked against
server-side request forgery first, no redirect is followed, and each call waits at
most the outbound timeout. A failure raises `SsoFailure` with a code the pages turn
into a sentence; its `detail` is for the log and never holds a secret or a token.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from lms import outbound
from lms.cache import cache, key_of, remembered

# What the sign-in asks the provider for: the person's id, address and name (and,
# where the provider's app is set up so, their groups in the ID token).
SCOPE = "openid email profile"
# Signatures of keys the provider publishes; never "none", never a shared secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Clocks of two servers differ a little.
LEEWAY_SECONDS = 60
# The discovery document and the keys are read again after this long: a provider
# that rotates its keys is followed within minutes.
DISCOVERY_SECONDS = 300
# A token naming a key Lernwerk has not seen makes it read the keys again, at most
# once in this many seconds per provider (tokens naming made-up keys cost nothing).
KEYS_REFRESH_SECONDS = 60
# A provider's answers (discovery document, keys, token response) are small; more
# than this is not read (a provider answering without end cannot tie up a worker).
ANSWER_BYTES = 512 * 1024


log = logging.getLogger("lms.sso")


class SsoFailure(Exception):
    """The sign-in through the provider did not work. `code` says why (see
    `lms.sso.views.FAILURE_TEXTS`); `detail` is for the log only."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ProviderInfo:
    """What Lernwerk uses of a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class Pending:
    """An authorization request on its way: kept in the person's session until the
    provider sends them back, then used once."""

    state: str
    nonce: str
    code_verifier: str


def discovery_url(issuer: str) -> str:
    return issuer.strip().rstrip("/") + "/.well-known/openid-configuration"


def same_issuer(configured: str, announced: str) -> bool:
    """The issuer the provider announces is the one the admin entered (a trailing
    slash aside, which admins add or leave out at will)."""
    return configured.strip().rstrip("/") == announced.strip().rstrip("/")


def _check_address(url: str) -> None:
    problem = outbound.address_problem(url)
    if problem is not None:
        raise SsoFailure("address", f"refused address {url}: {problem}")


def _read_capped(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
    """Read a streamed answer's body, at most ANSWER_BYTES of it (also a response hook,
    so Authlib's token request is capped the same way)."""
    # requests' own mark of a body already read (a private attribute, not in its stubs).
    if response._content_consumed:  # type: ignore[attr-defined]
        return response
    try:
        body = response.raw.read(ANSWER_BYTES + 1, decode_content=True)
    except Exception as exc:  # urllib3's errors while reading the body
        response.close()
        raise SsoFailure("unreachable", f"{response.url}: {type(exc).__name__}") from exc
    response.close()
    if len(body) > ANSWER_BYTES:
        raise SsoFailure("bad-discovery", f"{response.url}: more than {ANSWER_BYTES} bytes")
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    return response


def _get_json(url: str) -> dict[str, Any]:
    _check_address(url)
    try:
        response = outbound.session().get(
            url, timeout=outbound.timeout(), allow_redirects=False, stream=True
        )
    except requests.RequestException as exc:
        raise SsoFailure("unreachable", f"{url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        response.close()
        raise SsoFailure("unreachable", f"{url}: HTTP {response.status_code}")
    _read_capped(response)
    try:
        document = response.json()
    except ValueError as exc:
        raise SsoFailure("bad-discovery", f"{url}: not JSON") from exc
    if not isinstance(document, dict):
        raise SsoFailure("bad-discovery", f"{url}: not a JSON object")
    return document


def read_provider(document: dict[str, Any], issuer: str) -> ProviderInfo:
    """The discovery document's endpoints, after checking it is the issuer's own."""
    announced = document.get("issuer")
    if not isinstance(announced, str) or not same_issuer(issuer, announced):
        raise SsoFailure("wrong-issuer", f"discovery names issuer {announced!r}, not {issuer!r}")
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if any(not isinstance(document.get(name), str) for name in needed):
        raise SsoFailure("bad-discovery", "an endpoint is missing in the discovery document")
    methods = document.get("code_challenge_methods_supported", ["S256"])
    if not isinstance(methods, list) or "S256" not in methods:
        raise SsoFailure("bad-discovery", "the provider does not offer PKCE with S256")
    end_session = document.get("end_session_endpoint")
    # Browsers are sent to these two: web addresses only (never "javascript:" or "data:").
    for address in (document["authorization_endpoint"], end_session):
        if isinstance(address, str) and urlsplit(address).scheme not in ("https", "http"):
            raise SsoFailure("bad-discovery", "an endpoint is no web address")
    return ProviderInfo(
        issuer=announced,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        end_session_endpoint=end_session if isinstance(end_session, str) else None,
    )


def discover(issuer: str, *, fresh: bool = False) -> ProviderInfo:
    """The provider's endpoints from its discovery document (kept a few minutes in
    the one cache, keyed by the issuer; `fresh` reads it again)."""
    url = discovery_url(issuer)
    if fresh:
        document = _get_json(url)
    else:
        document = remembered(
            ("sso-discovery", issuer.strip()), lambda: _get_json(url), timeout=DISCOVERY_SECONDS
        )
    return read_provider(document, issuer)


def provider_keys(provider: ProviderInfo, *, fresh: bool = False) -> dict[str, Any]:
    """The provider's published signing keys (JWKS); `fresh` reads them again and
    keeps what was read for the next sign-ins."""
    parts = ("sso-jwks", provider.issuer, provider.jwks_uri)
    if fresh:
        keys = _key_set(provider.jwks_uri)
        _keep(parts, keys, DISCOVERY_SECONDS)
        return keys
    return remembered(parts, lambda: _key_set(provider.jwks_uri), timeout=DISCOVERY_SECONDS)


def _key_set(url: str) -> dict[str, Any]:
    """A JWKS document: {"keys": [ {...}, ... ]} (keys that are no objects left out)."""
    document = _get_json(url)
    found = document.get("keys")
    if not isinstance(found, list):
        raise SsoFailure("bad-discovery", f"{url}: no list of keys")
    return {"keys": [key for key in found if isinstance(key, dict)]}


def _keep(parts: tuple[str, ...], value: Any, seconds: int) -> None:
    try:
        cache.set(key_of(parts), (value,), timeout=seconds)  # as lms.cache.remembered keeps it
    except Exception:  # a cache that fails must not fail the sign-in
        log.warning("cache unreachable, not keeping %s", parts[0], exc_info=True)


def _may_read_keys_again(provider: ProviderInfo) -> bool:
    """Whether the keys may be read again now (at most once per KEYS_REFRESH_SECONDS)."""
    try:
        return bool(
            cache.add(key_of(("sso-jwks-read", provider.jwks_uri)), (True,),
                      timeout=KEYS_REFRESH_SECONDS)
        )  # fmt: skip
    except Exception:  # no cache: read again (the provider's own limits apply)
        return True


def _client(client_id: str, client_secret: str | None, redirect_uri: str) -> OAuth2Session:
    client = OAuth2Session(
        client_id,
        client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=outbound.timeout(),
    )
    # As `outbound.session()`: no redirects, no proxies from the environment; and no
    # answer read beyond ANSWER_BYTES.
    client.max_redirects = 0
    client.hooks["response"].append(_read_capped)
    client.trust_env = False
    outbound.pin(client)  # only to checked addresses
    client.headers["User-Agent"] = outbound.USER_AGENT
    return client


def authorization_request(
    provider: ProviderInfo, client_id: str, redirect_uri: str, login_hint: str = ""
) -> tuple[str, Pending]:
    """The provider's address to send the person to, and what to keep until they
    come back (state, nonce, PKCE verifier: fresh random values each time)."""
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=generate_token(64),
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    with _client(client_id, None, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            provider.authorization_endpoint,
            state=pending.state,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
            **extra,
        )
    return url, pending


def exchange_code(
    provider: ProviderInfo,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> str:
    """Trade the authorization code for the tokens; the ID token (compact JWS)."""
    _check_address(provider.token_endpoint)
    try:
        with _client(client_id, client_secret, redirect_uri) as client:
            token = client.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=outbound.timeout(),
                allow_redirects=False,
                stream=True,
            )
    except OAuthError as exc:
        # The provider's error code ("invalid_grant", "invalid_client"), no more.
        raise SsoFailure("token-refused", f"token endpoint answered {exc.error}") from exc
    except requests.RequestException as exc:
        raise SsoFailure("unreachable", f"token endpoint: {type(exc).__name__}") from exc
    except (ValueError, TypeError, AttributeError) as exc:  # not a token response
        raise SsoFailure("token-refused", "token endpoint gave no token response") from exc
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise SsoFailure("token-refused", "no ID token in the token response")
    return id_token


def token_part(token: str, index: int) -> dict[str, Any] | None:
    """Part `index` of a signed token (0: its header) as it reads, before any check;
    None when that part is no JSON object. Shared with lms/lti."""
    try:
        part = token.split(".")[index]
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _header(id_token: str) -> dict[str, Any]:
    header = token_part(id_token, 0)
    if header is None:
        raise SsoFailure("bad-token", "the ID token cannot be read")
    return header


def verify_id_token(
    id_token: str,
    keys: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
) -> dict[str, Any]:
    """The ID token's claims, once its signature (one of the provider's published
    keys), issuer, audience, expiry and nonce are right and the address is verified."""
    algorithm = _header(id_token).get("alg")
    if algorithm not in ALGORITHMS:
        raise SsoFailure("unsigned", f"ID token signed with {algorithm!r}")
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SsoFailure("bad-discovery", "the provider's keys cannot be read") from exc
    try:
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
    except BadSignatureError as exc:
        raise SsoFailure("bad-signature", "the ID token's signature does not match") from exc
    except (JoseError, ValueError) as exc:
        raise SsoFailure("bad-signature", "the ID token cannot be checked") from exc
    claims: dict[str, Any] = dict(token.claims)
    problem = claims_problem(claims, issuer=issuer, client_id=client_id, nonce=nonce, now=now)
    if problem is not None:
        code, detail = problem
        raise SsoFailure("bad-token" if code == "not-yet-valid" else code, detail)
    if not address_verified(claims):
        raise SsoFailure("unverified-email", "the provider has not verified the address")
    if not isinstance(claims.get("email"), str) or "@" not in claims["email"]:
        raise SsoFailure("unverified-email", "the ID token holds no e-mail address")
    return claims


def claims_problem(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
    issued_at_required: bool = False,
) -> tuple[str, str] | None:
    """What is wrong with the claims of an OpenID Connect ID token whose signature was
    checked (a provider's sign-in, an LTI platform's launch), as (code, detail), or None:
    issuer, audience (and `azp` when there are several or it is given), expiry (and the
    issue time) with a minute's leeway, subject and nonce. Codes: "expired",
    "not-yet-valid", "wrong-issuer", "wrong-audience", "nonce", "bad-token"."""
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": issued_at_required},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        return "expired", "the ID token has expired"
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        code = {"iss": "wrong-issuer", "aud": "wrong-audience", "nonce": "nonce"}.get(
            claim, "bad-token"
        )
        return code, f"ID token claim {claim!r} is wrong or missing"
    except JoseError as exc:  # issued in the future, not yet valid
        return "not-yet-valid", f"ID token refused: {exc.error}"
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        return "wrong-audience", "ID token for several audiences, not authorised for us"
    if "azp" in claims and claims["azp"] != client_id:
        return "wrong-audience", "ID token authorised for another party"
    return None


def address_verified(claims: dict[str, Any]) -> bool:
    """Whether the provider vouches for the e-mail address: `email_verified`, or
    Microsoft Entra ID's optional claim `xms_edov` (the address's domain is verified by
    the tenant that owns it), since Entra sends no `email_verified`."""
    verified = (True, "true", "True")
    return claims.get("email_verified") in verified or claims.get("xms_edov") in (*verified, 1, "1")


def check_id_token(
    provider: ProviderInfo, id_token: str, *, client_id: str, nonce: str, now: datetime
) -> dict[str, Any]:
    """`verify_id_token` with the provider's keys; keys read again once when the
    token names a key Lernwerk has not seen (the provider rotated its keys)."""
    keys = provider_keys(provider)
    kid = _header(id_token).get("kid")
    known = {key.get("kid") for key in keys.get("keys", []) if isinstance(key, dict)}
    if kid is not None and kid not in known and _may_read_keys_again(provider):
        keys = provider_keys(provider, fresh=True)
    return verify_id_token(
        id_token, keys, issuer=provider.issuer, client_id=client_id, nonce=nonce, now=now
    )


def logout_url(
    provider: ProviderInfo, id_token: str, client_id: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's sign-out address (RP-initiated logout), where it offers one."""
    if not provider.end_session_endpoint:
        return None
    hint = [("id_token_hint", id_token)] if id_token else []
    return add_params_to_uri(
        provider.end_session_endpoint,
        [
            *hint,
            ("post_logout_redirect_uri", post_logout_redirect_uri),
            ("client_id", client_id),
        ],
    )
