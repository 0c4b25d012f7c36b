"""What the connected systems stand on (issue 20): secrets encrypted at rest with keys
from the environment, bearer tokens kept only as digests, and the refusal of addresses
inside the server's own network."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import select

from lms import outbound, secret_box
from lms.audit.service import Actor
from lms.models import ApiToken, AuditEntry, SsoSettings, TokenKind, TokenScope, User
from lms.tokens import service as tokens
from tests import factories

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


# --- Secrets at rest ------------------------------------------------------------------


def test_a_sealed_secret_is_not_readable_in_the_database_and_opens_again(app):
    with app.app_context():
        sealed = secret_box.seal("client-secret-value")
        assert "client-secret-value" not in sealed
        assert secret_box.open_sealed(sealed) == "client-secret-value"


def test_without_a_key_setting_the_key_is_derived_from_the_secret_key(app):
    with app.app_context():
        assert secret_box.keys() == [secret_box.derived_key(app.config["SECRET_KEY"])]


def test_a_new_key_put_first_still_opens_old_secrets_and_rotate_reseals_them(app):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with app.app_context():
        app.config["ENCRYPTION_KEYS"] = old
        try:
            sealed = secret_box.seal("whsec_abc")
            app.config["ENCRYPTION_KEYS"] = f"{new},{old}"
            assert secret_box.open_sealed(sealed) == "whsec_abc"
            resealed = secret_box.reseal(sealed)
            app.config["ENCRYPTION_KEYS"] = new
            assert secret_box.open_sealed(resealed) == "whsec_abc"
            with pytest.raises(secret_box.SecretUnreadable):
                secret_box.open_sealed(sealed)
        finally:
            app.config["ENCRYPTION_KEYS"] = None


def test_production_refuses_a_malformed_encryption_key():
    from config import ProductionConfig

    settings = {"SECRET_KEY": "x" * 40, "SESSION_COOKIE_SECURE": True,
                "REMEMBER_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
                "REMEMBER_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
                "WTF_CSRF_ENABLED": True, "MAIL_BACKEND": "none"}  # fmt: skip
    assert ProductionConfig.validate({**settings, "ENCRYPTION_KEYS": Fernet.generate_key().decode()}) == []
    problems = ProductionConfig.validate({**settings, "ENCRYPTION_KEYS": "not-a-key"})
    assert any("LMS_ENCRYPTION_KEYS" in problem for problem in problems)


def test_secrets_rotate_command_reseals_every_stored_secret(app, db):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    company = factories.make_company(db)
    app.config["ENCRYPTION_KEYS"] = old
    try:
        with app.app_context():
            settings = SsoSettings(company_id=company.id, issuer="https://login.example",
                                   client_id="lernwerk", client_secret=secret_box.seal("s3cret"))  # fmt: skip
            db.add(settings)
            db.flush()
        app.config["ENCRYPTION_KEYS"] = f"{new},{old}"
        result = app.test_cli_runner().invoke(args=["secrets", "rotate"])
        assert result.exit_code == 0, result.output
        assert "1 secrets encrypted" in result.output
        db.expire_all()
        app.config["ENCRYPTION_KEYS"] = new
        with app.app_context():
            assert secret_box.open_sealed(db.get(SsoSettings, company.id).client_secret) == "s3cret"
        check = app.test_cli_runner().invoke(args=["secrets", "check"])
        assert check.exit_code == 0, check.output
    finally:
        app.config["ENCRYPTION_KEYS"] = None


def test_secrets_new_key_prints_a_usable_key(app):
    result = app.test_cli_runner().invoke(args=["secrets", "new-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())


# --- Tokens --------------------------------------------------------------------------


def _admin(db) -> User:
    return factories.make_user(db, None, factories.Role.ADMIN)


def test_a_token_is_stored_only_as_its_digest_and_signs_in_until_revoked(db):
    company = factories.make_company(db)
    admin = _admin(db)
    created = tokens.create(db, Actor(admin), TokenKind.API, company, "HR-Sync", NOW,
                            scope=TokenScope.READ_WRITE)  # fmt: skip
    assert created.value.startswith("lw_api_") and len(created.value) >= 40
    stored = db.scalars(select(ApiToken).where(ApiToken.id == created.token.id)).one()
    assert created.value not in (stored.token_hash, stored.prefix)
    assert created.value.startswith(stored.prefix)
    header = f"Bearer {created.value}"
    assert tokens.authenticate(db, TokenKind.API, header, NOW) is stored
    # A SCIM endpoint does not take an API token, nor anything that is not a bearer.
    assert tokens.authenticate(db, TokenKind.SCIM, header, NOW) is None
    assert tokens.authenticate(db, TokenKind.API, f"Basic {created.value}", NOW) is None
    assert tokens.authenticate(db, TokenKind.API, header + "x", NOW) is None
    tokens.revoke(db, Actor(admin), stored, NOW)
    assert tokens.authenticate(db, TokenKind.API, header, NOW) is None
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == stored.id)).all()
    assert set(actions) >= {"api_token.create", "api_token.revoke"}
    entries = db.scalars(select(AuditEntry).where(AuditEntry.subject_id == stored.id)).all()
    assert all(created.value not in str(entry.changes) + entry.subject for entry in entries)


def test_an_expired_token_or_one_of_a_suspended_company_is_refused(db):
    company = factories.make_company(db)
    created = tokens.create(db, Actor(_admin(db)), TokenKind.SCIM, company, "Entra ID", NOW,
                            expires_at=NOW + timedelta(days=1))  # fmt: skip
    header = f"Bearer {created.value}"
    assert created.token.scope == TokenScope.READ_WRITE.value  # provisioning writes
    assert tokens.authenticate(db, TokenKind.SCIM, header, NOW + timedelta(hours=23)) is not None
    assert tokens.authenticate(db, TokenKind.SCIM, header, NOW + timedelta(days=1)) is None
    company.is_active = False
    assert tokens.authenticate(db, TokenKind.SCIM, header, NOW) is None


def test_only_api_tokens_may_belong_to_the_provider(db):
    with pytest.raises(ValueError):
        tokens.create(db, Actor(_admin(db)), TokenKind.SCIM, None, "all", NOW)


def test_the_last_use_is_written_at_most_once_a_minute(db):
    company = factories.make_company(db)
    created = tokens.create(db, Actor(_admin(db)), TokenKind.API, company, "BI", NOW)
    assert tokens.touch(db, created.token, NOW)
    db.refresh(created.token)
    assert created.token.last_used_at == NOW
    assert not tokens.touch(db, created.token, NOW + timedelta(seconds=30))
    assert tokens.touch(db, created.token, NOW + timedelta(minutes=2))


def test_a_token_acts_under_its_name_in_the_audit_log(db):
    company = factories.make_company(db)
    created = tokens.create(db, Actor(_admin(db)), TokenKind.SCIM, company, "Entra ID", NOW)
    assert tokens.actor_for(created.token, "203.0.113.0/24").name == "SCIM: Entra ID"


# --- Addresses the server may call ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_addresses_inside_the_servers_own_network_are_refused(app, url):
    with app.test_request_context():
        problem = outbound.address_problem(url, allow_private=False)
    assert problem is not None


def test_plain_http_and_addresses_with_credentials_are_refused(app):
    with app.test_request_context():
        assert outbound.address_problem("http://93.184.215.14/hook", allow_private=False)
        assert outbound.address_problem("https://user:pw@93.184.215.14/", allow_private=False)
        assert outbound.address_problem("ftp://example.org/", allow_private=False)
        assert outbound.address_problem("hooks.example.org", allow_private=False)


def test_a_public_https_address_is_allowed(app, monkeypatch):
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: public)
    with app.test_request_context():
        assert outbound.address_problem("https://hooks.example.org/x", allow_private=False) is None


def test_a_name_that_resolves_to_a_private_address_is_refused(app, monkeypatch):
    mixed = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: mixed)
    with app.test_request_context():
        assert outbound.address_problem("https://hooks.example.org/x", allow_private=False)


def test_the_operator_may_allow_private_endpoints(app):
    with app.test_request_context():
        assert outbound.address_problem("http://127.0.0.1:8080/hook", allow_private=True) is None


def test_the_outbound_session_never_follows_a_redirect(app):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            # Even a caller that asks for redirects gets the 302 itself.
            response = outbound.session().get(
                f"http://127.0.0.1:{server.server_port}/", timeout=5, allow_redirects=True
            )
        assert response.status_code == 302
    finally:
        server.shutdown()
        server.server_close()


# --- "Changed since" -----------------------------------------------------------------


def test_a_login_does_not_count_as_a_change_of_the_persons_data(app, db):
    from lms.services import accounts

    person = factories.make_user(db, factories.make_company(db), factories.Role.LEARNER)
    db.flush()
    before = person.updated_at
    with app.test_request_context():
        accounts.record_login(db, person, NOW + timedelta(days=3), "203.0.113.5", "Firefox")
    db.expire(person)
    assert person.last_login_at == NOW + timedelta(days=3)
    assert person.updated_at == before
    person.display_name = "Neuer Name"
    db.flush()
    db.expire(person)
    assert person.updated_at is not None and person.updated_at > before


# --- Connecting to the address that was checked (no DNS rebinding) ---------------------


def _self_signed(tmp_path, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_a_name_is_resolved_once_and_its_checked_address_is_the_one_connected_to(
    app, tmp_path, monkeypatch
):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen: list[str] = []

    class Answering(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    cert_file, key_file = _self_signed(tmp_path, "hooks.test")
    server = HTTPServer(("127.0.0.1", 0), Answering)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host, *args, **kwargs):
        if host == "hooks.test":
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    try:
        with app.app_context():
            http = outbound.session()
            http.verify = str(cert_file)
            # TLS still checks the certificate against the name, not the address.
            answer = http.get(f"https://hooks.test:{port}/hook", timeout=5)
            assert answer.status_code == 204
            assert seen == [f"hooks.test:{port}"] and lookups == ["hooks.test"]
            # With private networks refused, the same name never gets a connection.
            app.config["ALLOW_PRIVATE_ENDPOINTS"] = False
            with pytest.raises(requests.ConnectionError, match=r"privates Netz|private network"):
                http.get(f"https://hooks.test:{port}/hook", timeout=5)
            assert len(seen) == 1
    finally:
        app.config["ALLOW_PRIVATE_ENDPOINTS"] = True
        server.shutdown()
        server.server_close()
