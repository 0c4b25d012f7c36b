"""Configuration profiles: safe defaults, and production that refuses unsafe settings."""

from __future__ import annotations

import pytest

from config import DevelopmentConfig, ProductionConfig
from lms import ConfigurationError, create_app


def prod(tmp_path, **overrides):
    settings = {"SECRET_KEY": "s" * 48, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    settings.update(overrides)
    return create_app(ProductionConfig, settings)


def test_production_starts_with_safe_settings(tmp_path):
    app = prod(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False


@pytest.mark.parametrize(
    "overrides,reason",
    [
        ({"SECRET_KEY": None}, "LMS_SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "shorter than 32"),
        ({"DEBUG": True}, "Debug mode is on"),
        ({"SESSION_COOKIE_SECURE": False}, "not marked Secure"),
        ({"REMEMBER_COOKIE_SECURE": False}, "not marked Secure"),
        ({"SESSION_COOKIE_HTTPONLY": False}, "HttpOnly"),
        ({"SESSION_COOKIE_SAMESITE": None}, "SAMESITE"),
        ({"WTF_CSRF_ENABLED": False}, "CSRF"),
    ],
)
def test_production_refuses_unsafe_settings_and_says_why(tmp_path, overrides, reason):
    with pytest.raises(ConfigurationError, match=reason):
        prod(tmp_path, **overrides)


def test_production_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        prod(tmp_path, SECRET_KEY=None, DEBUG=True)
    assert "LMS_SECRET_KEY" in str(info.value) and "Debug" in str(info.value)


def test_development_keeps_a_generated_secret_key_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    first = create_app(DevelopmentConfig, {"SECRET_KEY": None, "DATABASE_URL": None})
    second = create_app(DevelopmentConfig, {"SECRET_KEY": None, "DATABASE_URL": None})
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # The default database is a SQLite file in the instance folder.
    assert (
        first.config["SQLALCHEMY_DATABASE_URL"]
        == f"sqlite:///{tmp_path / 'instance' / 'lms.sqlite3'}"
    )


def test_unknown_profile_is_refused(monkeypatch):
    from config import profile_from_env

    monkeypatch.setenv("LMS_ENV", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        profile_from_env()
