"""Configuration profiles, fed by environment variables.

`LMS_ENV` picks the profile (development, production, testing), else the instance
folder's `profile` file (`lms demo` writes one for a trial install), else production.
Every other setting comes from an `LMS_*` variable with a safe default. Production
refuses to start when a setting would leave the install open (see `validate`).
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _fernet_key(key: str) -> bool:
    """Whether `key` is a Fernet key (32 bytes in URL-safe base64)."""
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, UnicodeError):
        return False


class Config:
    """Settings shared by every profile."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    # Database: a SQLite file in the instance folder unless a URL is given.
    DATABASE_URL: str | None = _env("LMS_DATABASE_URL")
    SQLITE_BUSY_TIMEOUT_MS = _env_int("LMS_SQLITE_BUSY_TIMEOUT_MS", 15_000)
    # /healthz/ready answers 503 when the instance folder or the SQLite file's folder
    # has less free space than this.
    HEALTH_MIN_FREE_MB = _env_int("LMS_HEALTH_MIN_FREE_MB", 100)

    # Secrets: development generates one and keeps it in the instance folder.
    SECRET_KEY: str | None = _env("LMS_SECRET_KEY")

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "lms_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("LMS_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("LMS_SESSION_HOURS", 12))
    REMEMBER_COOKIE_NAME = "lms_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    # Static files (stylesheet, icons) may be cached for an hour.
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(hours=1)

    # Requests larger than this answer 413.
    MAX_CONTENT_LENGTH = _env_int("LMS_MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

    # CSRF (Flask-WTF). Tokens live as long as the session, so a form left
    # open for hours still submits.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT: int | None = None

    # Languages and time (Flask-Babel).
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    # Passwords: argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane).
    ARGON2_TIME_COST = _env_int("LMS_ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = _env_int("LMS_ARGON2_MEMORY_KIB", 19_456)
    ARGON2_PARALLELISM = _env_int("LMS_ARGON2_PARALLELISM", 1)
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 1024

    # Single-use links sent by e-mail.
    RESET_TOKEN_HOURS = _env_int("LMS_RESET_TOKEN_HOURS", 2)
    # Audit and access log entries older than this are pruned by `lms retention`.
    LOG_RETENTION_DAYS = _env_int("LMS_LOG_RETENTION_DAYS", 3 * 365)
    INVITE_TOKEN_DAYS = _env_int("LMS_INVITE_TOKEN_DAYS", 14)
    # `lms db backup` writes to this folder (default: instance/backups) and deletes the
    # backups older than this many days, or than the shortest retention of any company.
    BACKUP_DIR = _env("LMS_BACKUP_DIR")
    BACKUP_KEEP_DAYS = _env_int("LMS_BACKUP_KEEP_DAYS", 30)

    # Redis, shared by every worker and instance (throttling counts per network).
    REDIS_URL = _env("LMS_REDIS_URL")

    # Sign-in throttling. Failures per account are counted in the database, so every
    # worker and instance sees the same count (lms/services/throttling.py). Failures
    # per network are counted by Flask-Limiter in its storage: Redis when
    # LMS_REDIS_URL (or LMS_RATELIMIT_STORAGE_URL) is set, else per process.
    RATELIMIT_STORAGE_URI = _env("LMS_RATELIMIT_STORAGE_URL") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _env_bool("LMS_RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    # If Redis cannot be reached, count in the process rather than fail every sign-in.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_IP = _env("LMS_LOGIN_LIMIT_PER_IP", "30 per minute;300 per day")
    # Per account, over every network, from browsers it never signed in on.
    LOGIN_LIMIT_PER_ACCOUNT = _env("LMS_LOGIN_LIMIT_PER_ACCOUNT", "10 per hour")
    # Per account and network (the shortened address, as in the login history).
    LOGIN_LIMIT_PER_ACCOUNT_NETWORK = _env(
        "LMS_LOGIN_LIMIT_PER_ACCOUNT_NETWORK", "5 per 15 minutes"
    )
    # Per account from browsers it has signed in on before (device cookie).
    LOGIN_LIMIT_PER_ACCOUNT_DEVICE = _env(
        "LMS_LOGIN_LIMIT_PER_ACCOUNT_DEVICE", "5 per 15 minutes;20 per day"
    )
    # The current-password check of a signed-in person (profile page).
    PASSWORD_CHECK_LIMIT = _env("LMS_PASSWORD_CHECK_LIMIT", "5 per 15 minutes;20 per day")
    # Wrong codes of the second factor (app or recovery code, lms/two_factor), per
    # account; the browsers it signed in on before have the same budget of their own.
    TOTP_LIMIT = _env("LMS_TOTP_LIMIT", "5 per 15 minutes;20 per day")
    # PIN sign-in (lms/pins), counting failures only. Per typed company code and
    # personnel number (known or not):
    PIN_LIMIT_PER_ACCOUNT = _env("LMS_PIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes;20 per day")
    # Per network, over every account: generous, since a shared tablet signs in a
    # whole shift from one address.
    PIN_LIMIT_PER_NETWORK = _env("LMS_PIN_LIMIT_PER_NETWORK", "30 per 15 minutes;200 per day")
    # Flask-Limiter's count per network, before the database is asked.
    PIN_LIMIT_PER_IP = _env("LMS_PIN_LIMIT_PER_IP", "30 per minute;300 per day")
    # Wrong PINs in a row after which a PIN is locked until a manager resets it.
    PIN_LOCK_AFTER = _env_int("LMS_PIN_LOCK_AFTER", 10)
    # Login cards' short codes typed wrong (lms/login_cards), per network: generous,
    # since a shared tablet signs in a whole shift from one address.
    CARD_CODE_LIMIT_PER_NETWORK = _env(
        "LMS_CARD_CODE_LIMIT_PER_NETWORK", "20 per 15 minutes;100 per day"
    )
    # Password-reset mails per account.
    RESET_MAILS_PER_HOUR = _env_int("LMS_RESET_MAILS_PER_HOUR", 3)
    DEVICE_COOKIE_NAME = "lms_device"
    # On a company's shared device (kiosk mode, lms/shared_devices) a session ends after
    # this many seconds without input; a countdown shows the last minute.
    KIOSK_IDLE_SECONDS = _env_int("LMS_KIOSK_IDLE_SECONDS", 180)

    # Mail: "smtp" sends it; "none" sends nothing; "console" prints whole messages to
    # the server's output (development only: reset links work like passwords); "log"
    # logs recipient and subject only. Production needs smtp or an explicit none.
    MAIL_BACKEND: str | None = _env("LMS_MAIL_BACKEND")
    MAIL_SERVER = _env("LMS_MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("LMS_MAIL_PORT", 587)
    MAIL_USERNAME = _env("LMS_MAIL_USERNAME")
    MAIL_PASSWORD = _env("LMS_MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("LMS_MAIL_USE_TLS", True)
    MAIL_USE_SSL = _env_bool("LMS_MAIL_USE_SSL", False)
    MAIL_SENDER = _env("LMS_MAIL_SENDER", "Lernwerk <no-reply@localhost>")

    # The public address used in e-mailed links (no request exists in `lms` commands).
    BASE_URL = _env("LMS_BASE_URL", "http://127.0.0.1:5000")
    # Number of trusted reverse proxies in front of the app (X-Forwarded-*).
    PROXY_COUNT = _env_int("LMS_PROXY_COUNT", 0)
    # Where the course folders (Markdown) live.
    COURSES_DIR = _env("LMS_COURSES_DIR", str(Path(__file__).resolve().parent / "courses"))
    # Name of the platform operator shown in the footer.
    PROVIDER_NAME = _env("LMS_PROVIDER_NAME", "Lernwerk")
    # Evaluations show results (page, filters, CSV) only from this many answer sheets on
    # (at least 3), so that no answer points to a person.
    EVALUATION_MIN_RESPONSES = _env_int("LMS_EVALUATION_MIN_RESPONSES", 5)
    # The provider's logo (a PNG, JPEG or WebP file) in the header of its staff's pages;
    # checked like a company's logo when served. Unset: the name "Lernwerk".
    PROVIDER_LOGO = _env("LMS_PROVIDER_LOGO")

    # Connected systems (issue 20, docs/integration.md).
    # Secrets Lernwerk must read again (an identity provider's client secret, webhook
    # signing secrets, TOTP seeds) are encrypted with these Fernet keys
    # (comma-separated; the first encrypts, every one decrypts, so a key is rotated by
    # putting a new one first and running `lms secrets rotate`). Unset: one key derived
    # from LMS_SECRET_KEY (changing that key then makes the stored secrets unreadable).
    ENCRYPTION_KEYS = _env("LMS_ENCRYPTION_KEYS")
    # Timeout in seconds for every call to a company's system (identity provider,
    # webhook receiver).
    OUTBOUND_TIMEOUT_SECONDS = _env_int("LMS_OUTBOUND_TIMEOUT_SECONDS", 10)
    # Whether webhooks and identity providers may be on private or loopback networks
    # (10.x, 192.168.x, 127.x, …). Off: refused, so no one makes the server call
    # into its own network (server-side request forgery). Tests and a provider on the
    # same host set it.
    ALLOW_PRIVATE_ENDPOINTS = _env_bool("LMS_ALLOW_PRIVATE_ENDPOINTS", False)
    # Requests per API or SCIM token (Flask-Limiter, counted in its storage).
    API_LIMIT_PER_TOKEN = _env("LMS_API_LIMIT_PER_TOKEN", "600 per minute")

    # Bought packages (SCORM, cmi5; issue 21): the origin their files are served from,
    # e.g. https://lernwerk-pakete.example – another host name pointing at this server
    # (best on another registrable domain), so that a package's scripts never run on
    # Lernwerk's origin. Not merely another port: cookies do not tell ports apart.
    # Unset: the files come from this origin, in a sandboxed frame without same-origin
    # rights.
    PACKAGE_ORIGIN = (_env("LMS_PACKAGE_ORIGIN") or "").rstrip("/") or None
    # Commits of a package's learner data per launch (Flask-Limiter): one a second passes.
    PACKAGE_COMMIT_LIMIT = _env("LMS_PACKAGE_COMMIT_LIMIT", "240 per minute")

    @classmethod
    def validate(cls, settings: dict[str, Any]) -> list[str]:
        """Return the reasons why these settings must not be used; empty means fine."""
        return package_origin_problems(settings, https_only=False)


def package_origin_problems(settings: dict[str, Any], *, https_only: bool) -> list[str]:
    """What is wrong with LMS_PACKAGE_ORIGIN: an http(s) origin without path, another
    origin than LMS_BASE_URL's (else packages would run on Lernwerk's), https in
    production."""
    origin = settings.get("PACKAGE_ORIGIN")
    if not origin:
        return []
    parts = urlsplit(str(origin))
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        return [
            f"LMS_PACKAGE_ORIGIN is {origin!r}: give an origin only, like "
            "https://pakete.example.org (scheme, host name, optional port; no path)."
        ]
    problems = []
    if https_only and parts.scheme != "https":
        problems.append(f"LMS_PACKAGE_ORIGIN is {origin!r}: packages must be served over https.")
    base = urlsplit(str(settings.get("BASE_URL") or ""))
    if base.hostname and base.hostname.lower() == parts.hostname.lower():
        # Another port is not enough: cookies are shared by every port of a host, so a
        # package with same-origin rights there could read and set Lernwerk's cookies.
        problems.append(
            "LMS_PACKAGE_ORIGIN is on the host of LMS_BASE_URL: give packages a host name "
            "of their own (best on another domain), or unset it to play them in a "
            "sandboxed frame."
        )
    return problems


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    MAIL_BACKEND = _env("LMS_MAIL_BACKEND", "console")
    # The demo's identity provider runs on this machine (docs/integration.md).
    ALLOW_PRIVATE_ENDPOINTS = _env_bool("LMS_ALLOW_PRIVATE_ENDPOINTS", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    MAIL_BACKEND = "memory"
    RATELIMIT_STORAGE_URI = "memory://"
    # Cheap hashes keep the suite fast; production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    # The test provider and webhook receivers listen on loopback; the tests of the
    # refusal switch it off.
    ALLOW_PRIVATE_ENDPOINTS = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("LMS_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # The __Host- prefix: the browser takes these cookies only over HTTPS, for the
    # whole site and from this host alone (no subdomain can set or shadow them).
    SESSION_COOKIE_NAME = "__Host-lms_session"
    REMEMBER_COOKIE_NAME = "__Host-lms_remember"
    DEVICE_COOKIE_NAME = "__Host-lms_device"

    @classmethod
    def validate(cls, settings: dict[str, Any]) -> list[str]:
        problems = []
        secret = settings.get("SECRET_KEY")
        if not secret:
            problems.append("LMS_SECRET_KEY is not set: give a long random value.")
        elif len(str(secret)) < 32:
            problems.append("LMS_SECRET_KEY is shorter than 32 characters.")
        if settings.get("DEBUG"):
            problems.append("Debug mode is on: never run production with debug.")
        if not settings.get("SESSION_COOKIE_SECURE") or not settings.get("REMEMBER_COOKIE_SECURE"):
            problems.append(
                "Cookies are not marked Secure: serve over HTTPS and unset LMS_COOKIE_SECURE=0."
            )
        if not settings.get("SESSION_COOKIE_HTTPONLY") or not settings.get(
            "REMEMBER_COOKIE_HTTPONLY"
        ):
            problems.append("Cookies are readable by scripts: HttpOnly must stay on.")
        if settings.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
            problems.append("SESSION_COOKIE_SAMESITE must be Lax or Strict.")
        if not settings.get("WTF_CSRF_ENABLED"):
            problems.append("CSRF protection is off.")
        for number, key in enumerate(str(settings.get("ENCRYPTION_KEYS") or "").split(","), 1):
            if key.strip() and not _fernet_key(key.strip()):
                problems.append(
                    f"LMS_ENCRYPTION_KEYS: key {number} is not a key of `lms secrets new-key`."
                )
        problems += package_origin_problems(settings, https_only=True)
        backend = settings.get("MAIL_BACKEND")
        if backend not in ("smtp", "none"):
            problems.append(
                f"LMS_MAIL_BACKEND is {backend or 'not set'}: set smtp (with LMS_MAIL_SERVER and "
                "LMS_MAIL_SENDER) so that invitations and password resets arrive, or none to "
                "send no mail at all (the admin's platform page then warns)."
            )
        return problems


PROFILES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


# The instance folder's file naming its profile, written by `lms demo` for a trial
# install; LMS_ENV wins over it.
PROFILE_FILE = "profile"


def chosen_profile(instance: Path | None = None) -> tuple[type[Config], str]:
    """The profile to run and where the choice came from.

    LMS_ENV first; else the instance folder's `profile` file (written by `lms demo`);
    else production, with every check it makes: an install that chose nothing does
    not start unsafe.
    """
    name, source = _env("LMS_ENV"), "LMS_ENV"
    if name is None and instance is not None and (instance / PROFILE_FILE).is_file():
        words = [
            line.strip()
            for line in (instance / PROFILE_FILE).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        name, source = (words[0] if words else ""), str(instance / PROFILE_FILE)
    if name is None:
        name, source = "production", "default"
    try:
        return PROFILES[name.lower()], source
    except KeyError:
        raise RuntimeError(
            f"The profile {name!r} ({source}) is unknown; use one of {', '.join(PROFILES)}."
        ) from None


def profile_from_env(instance: Path | None = None) -> type[Config]:
    return chosen_profile(instance)[0]
