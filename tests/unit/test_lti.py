"""The LTI protocol's small parts: the score address of a line item, the deployment IDs
typed by an admin, finding a platform by issuer (and client ID), the audience rules of
a launch's token, and Lernwerk's key (made once, its private part sealed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from joserfc import jwt

from lms.audit.service import Actor
from lms.lti import keys, protocol, service
from lms.lti.protocol import Expected, LtiRefused
from tests.lti_platform import CLAIM, _keys

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_score_address_keeps_the_line_items_query():
    assert protocol.scores_url("https://lms.example/li/7?type_id=3") == (
        "https://lms.example/li/7/scores?type_id=3"
    )
    assert protocol.scores_url("https://lms.example/li/7/") == "https://lms.example/li/7/scores"


def test_deployment_ids_are_read_one_per_line_or_by_commas():
    assert service.parse_deployments(" 1 \n2, 3\n\n1") == ("1", "2", "3")


def _fields(issuer, client_id="tool"):
    return service.PlatformFields(
        name="P", issuer=issuer, client_id=client_id, deployment_ids=("d",),
        auth_login_url="https://p.example/auth", token_url="https://p.example/token",
        jwks_url="https://p.example/jwks",
    )  # fmt: skip


def test_a_platform_is_found_by_issuer_and_client_id(app, db, world):
    actor = Actor(world.admin)
    with app.app_context():
        one = service.create_platform(db, actor, world.a.company, _fields("https://one"), NOW)
        service.create_platform(db, actor, world.a.company, _fields("https://two", "a"), NOW)
        service.create_platform(db, actor, world.b.company, _fields("https://two", "b"), NOW)
        with pytest.raises(service.LtiError):
            service.create_platform(db, actor, world.b.company, _fields("https://one"), NOW)
    assert service.find_platform(db, "https://one", "") is one
    assert service.find_platform(db, "https://one", "tool") is one
    assert service.find_platform(db, "https://one", "other") is None
    assert service.find_platform(db, "https://two", "") is None  # ambiguous without client ID
    assert service.find_platform(db, "https://two", "b").company_id == world.b.company.id


def _token(**claims):
    key, _other = _keys()
    issued = int(time.time())
    body = {
        "iss": "https://p", "aud": "tool", "sub": "u1", "iat": issued, "exp": issued + 60,
        "nonce": "n", CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0", CLAIM + "deployment_id": "d",
        CLAIM + "resource_link": {"id": "r"},
    } | claims  # fmt: skip
    public = {"keys": [key.as_dict(private=False)]}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key), public


EXPECTED = Expected(issuer="https://p", client_id="tool", nonce="n", deployment_ids=("d",))


def test_several_audiences_need_us_as_the_authorised_party():
    token, public = _token(aud=["tool", "other"], azp="tool")
    claims = protocol.verify_launch(token, public, EXPECTED, datetime.now(UTC))
    assert claims["sub"] == "u1"
    for bad in ({"aud": ["tool", "other"]}, {"azp": "other"}, {"aud": "other"}):
        token, public = _token(**bad)
        with pytest.raises(LtiRefused) as refused:
            protocol.verify_launch(token, public, EXPECTED, datetime.now(UTC))
        assert refused.value.code == "wrong-audience"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"nonce": "other"}, "nonce"),
        # Issued or valid only in an hour (clocks differ by a minute at most).
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "bad-token"),
        ({"nbf": int(time.time()) + 3600}, "bad-token"),
        ({"sub": ""}, "bad-token"),
        ({CLAIM + "resource_link": None}, "bad-token"),
    ],
)
def test_launch_claims_are_checked(claims, code):
    token, public = _token(**claims)
    with pytest.raises(LtiRefused) as refused:
        protocol.verify_launch(token, public, EXPECTED, datetime.now(UTC))
    assert refused.value.code == code


def test_lernwerks_key_is_made_once_and_its_private_part_sealed(app, db):
    with app.app_context():
        first = keys.signing_key(db, NOW)
        assert keys.signing_key(db, NOW) is first
        assert "PRIVATE KEY" not in first.private_key
        published = keys.published_keys(db)
    (public,) = published["keys"]
    assert public["kid"] == first.kid and "d" not in public


def test_secrets_rotate_reseals_lernwerks_lti_key(app, db):
    from cryptography.fernet import Fernet

    from lms import secret_box

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = old
    try:
        with app.app_context():
            key = keys.signing_key(db, NOW)
            private = secret_box.open_sealed(key.private_key)
        app.config["ENCRYPTION_KEYS"] = f"{new},{old}"
        result = app.test_cli_runner().invoke(args=["secrets", "rotate"])
        assert result.exit_code == 0, result.output
        db.expire_all()
        app.config["ENCRYPTION_KEYS"] = new
        with app.app_context():
            assert secret_box.open_sealed(db.get(type(key), key.id).private_key) == private
    finally:
        app.config["ENCRYPTION_KEYS"] = None
