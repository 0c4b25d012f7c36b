"""Configuration profiles: safe defaults, and production that refuses unsafe settings."""

from __future__ import annotations

import pytest

from config import DevelopmentConfig, ProductionConfig
from lms import ConfigurationError, create_app


def prod(tmp_path, **overrides):
    settings = {
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "MAIL_BACKEND": "smtp",
    }
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
        ({"MAIL_BACKEND": None}, "LMS_MAIL_BACKEND is not set"),
        ({"MAIL_BACKEND": "log"}, "LMS_MAIL_BACKEND is log"),
        ({"MAIL_BACKEND": "console"}, "LMS_MAIL_BACKEND is console"),
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


# --- Choosing the profile (issue 16: production that cannot start unsafe) -------------


@pytest.fixture
def bare_env(tmp_path, monkeypatch):
    """No LMS_* settings at all, as on a fresh machine; an empty instance folder."""
    import os

    for name in [n for n in os.environ if n.startswith("LMS_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_an_install_that_chose_nothing_runs_as_production_and_says_how_to_try_it(bare_env):
    with pytest.raises(ConfigurationError) as info:
        create_app()
    message = str(info.value)
    assert "LMS_SECRET_KEY is not set" in message
    assert "No profile was chosen" in message and "lms demo" in message


def test_the_instance_profile_file_chooses_and_lms_env_wins(bare_env, monkeypatch):
    from lms.cli import profile_line, write_development_profile

    assert write_development_profile(bare_env) == bare_env / "profile"
    app = create_app()
    assert app.config["ENV_NAME"] == "development"
    assert profile_line(app) == f"development profile, from {bare_env / 'profile'}"
    assert write_development_profile(bare_env) is None  # never overwritten
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigurationError):
        create_app()


def test_lms_demo_does_not_choose_a_profile_when_lms_env_is_set(bare_env, monkeypatch):
    from lms.cli import write_development_profile

    monkeypatch.setenv("LMS_ENV", "production")
    assert write_development_profile(bare_env) is None
    assert not (bare_env / "profile").exists()


def test_production_cookies_carry_the_host_prefix(tmp_path):
    app = prod(tmp_path)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-lms_session"
    assert app.config["REMEMBER_COOKIE_NAME"] == "__Host-lms_remember"
    client = app.test_client()
    page = client.get("/login", base_url="https://lernwerk.example")
    cookie = page.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-lms_session=") and "Secure" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie


def test_production_accepts_an_explicit_choice_of_no_mail(tmp_path):
    assert prod(tmp_path, MAIL_BACKEND="none").config["MAIL_BACKEND"] == "none"


def test_the_debugger_is_refused_outside_development(tmp_path):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from lms.cli import main

    production = prod(tmp_path)
    result = CliRunner().invoke(
        main, ["run", "--debugger", "--port", "1"], obj=ScriptInfo(create_app=lambda: production)
    )
    assert result.exit_code != 0
    assert "refused in the production profile" in result.output


def test_debug_mode_from_the_environment_is_refused_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="Debug mode is on"):
        prod(tmp_path)
