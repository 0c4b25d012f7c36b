"""Configuration profiles, fed by environment variables.

`LMS_ENV` picks the profile (development, production, testing); every other
setting comes from an `LMS_*` variable with a safe default. Production refuses
to start when a setting would leave the install open (see `validate`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any


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


class Config:
    """Settings shared by every profile."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    # Database: a SQLite file in the instance folder unless a URL is given.
    DATABASE_URL: str | None = _env("LMS_DATABASE_URL")
    SQLITE_BUSY_TIMEOUT_MS = _env_int("LMS_SQLITE_BUSY_TIMEOUT_MS", 15_000)

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

    # Login throttling (Flask-Limiter). memory:// is per process; give a
    # redis:// URL so that several workers and instances share the counts.
    RATELIMIT_STORAGE_URI = _env("LMS_RATELIMIT_STORAGE_URL", "memory://")
    RATELIMIT_ENABLED = _env_bool("LMS_RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_IP = _env("LMS_LOGIN_LIMIT_PER_IP", "30 per minute;300 per day")
    LOGIN_LIMIT_PER_ACCOUNT = _env("LMS_LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;50 per day")

    # Mail: "log" writes messages to the log; "smtp" sends them.
    MAIL_BACKEND = _env("LMS_MAIL_BACKEND", "log")
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

    @classmethod
    def validate(cls, settings: dict[str, Any]) -> list[str]:
        """Return the reasons why these settings must not be used; empty means fine."""
        return []


class DevelopmentConfig(Config):
    ENV_NAME = "development"


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


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("LMS_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

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
        return problems


PROFILES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def profile_from_env() -> type[Config]:
    name = (_env("LMS_ENV", "development") or "development").lower()
    try:
        return PROFILES[name]
    except KeyError:
        raise RuntimeError(
            f"LMS_ENV={name!r} is unknown; use one of {', '.join(PROFILES)}."
        ) from None
