"""The ID token's checks (lms.sso.oidc.verify_id_token) with tokens made here: each
way a token can be wrong is refused with its own reason. The real provider's tokens
are checked end to end in tests/web/test_sso.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from lms.sso.oidc import SsoFailure, read_provider, same_issuer, verify_id_token

ISSUER = "https://login.example.com/tenant/v2.0"
CLIENT = "lernwerk"
NONCE = "n-0S6_WzA2Mj"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
JWKS = {"keys": [KEY.as_dict(private=False)]}


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "248289761001",
        "nonce": NONCE,
        "iat": int(NOW.timestamp()) - 10,
        "exp": int(NOW.timestamp()) + 300,
        "email": "ada@example.com",
        "email_verified": True,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims(**changes), key)


def check(id_token: str, now: datetime = NOW) -> dict[str, Any]:
    return verify_id_token(id_token, JWKS, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=now)


def refused(id_token: str, now: datetime = NOW) -> str:
    with pytest.raises(SsoFailure) as caught:
        check(id_token, now)
    return caught.value.code


def test_a_good_token_gives_its_claims():
    assert check(token())["sub"] == "248289761001"


def test_a_token_for_several_audiences_needs_us_as_authorised_party():
    assert check(token(aud=[CLIENT, "other"], azp=CLIENT))["sub"]
    assert refused(token(aud=[CLIENT, "other"])) == "wrong-audience"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "wrong-issuer"),
        ({"aud": "another-app"}, "wrong-audience"),
        ({"nonce": "replayed-nonce"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": int(NOW.timestamp()) - 3600}, "expired"),
        ({"email_verified": False}, "unverified-email"),
        ({"email_verified": None}, "unverified-email"),
        ({"sub": None}, "bad-token"),
    ],
)
def test_a_wrong_claim_is_refused(changes, reason):
    assert refused(token(**changes)) == reason


def test_entra_ids_verified_domain_claim_counts_as_a_verified_address():
    # Entra ID sends no email_verified; its optional claim xms_edov vouches instead.
    assert check(token(email_verified=None, xms_edov=True))["email"]
    assert check(token(email_verified=None, xms_edov="1"))["email"]
    assert refused(token(email_verified=None, xms_edov=False)) == "unverified-email"


def test_a_token_signed_by_another_key_is_refused():
    assert refused(token(OTHER_KEY)) == "bad-signature"


def test_an_unsigned_token_is_refused():
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    body = token().split(".")[1]
    assert refused(f"{header}.{body}.") == "unsigned"


def test_a_token_signed_with_a_shared_secret_is_refused():
    secret = OctKey.import_key("a-client-secret-that-is-long-enough-for-hs256")
    assert refused(token(secret, alg="HS256")) == "unsigned"


def test_clocks_may_differ_by_a_minute():
    assert check(token(), now=NOW + timedelta(seconds=330))["sub"]
    assert refused(token(), now=NOW + timedelta(seconds=400)) == "expired"


def test_garbage_is_refused():
    assert refused("not-a-token") in ("bad-token", "unsigned")


def test_the_discovery_document_must_name_the_issuer_entered():
    document = {
        "issuer": ISSUER + "/",
        "authorization_endpoint": "https://login.example.com/auth",
        "token_endpoint": "https://login.example.com/token",
        "jwks_uri": "https://login.example.com/keys",
    }
    assert read_provider(document, ISSUER).end_session_endpoint is None
    assert same_issuer(ISSUER, ISSUER + "/")
    with pytest.raises(SsoFailure) as caught:
        read_provider(document | {"issuer": "https://other.example.com"}, ISSUER)
    assert caught.value.code == "wrong-issuer"
    with pytest.raises(SsoFailure) as caught:
        read_provider({k: v for k, v in document.items() if k != "jwks_uri"}, ISSUER)
    assert caught.value.code == "bad-discovery"
