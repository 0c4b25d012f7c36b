"""Lernwerk: hybrid learning for small and mid-sized companies."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import get_debug_flag

from config import PROFILE_FILE, Config, chosen_profile

__version__ = "0.1.0"


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to fix."""


def create_app(
    config: type[Config] | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the application: settings, database, languages, security, pages, commands."""
    app = Flask(__name__, instance_path=str(instance_folder()))
    profile, source = (config, "given") if config else chosen_profile(Path(app.instance_path))
    app.config["PROFILE_SOURCE"] = source
    _load_settings(app, profile, overrides or {})

    from lms import cache, cli, errors, i18n, input_checks, permissions, security, templating
    from lms.db import db

    db.init_app(app)
    cache.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    input_checks.init_app(app)
    permissions.init_app(app)
    templating.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    cli.register(app)
    return app


def instance_folder() -> Path:
    """The instance folder (database, secret key, profile): LMS_INSTANCE_PATH, else
    Flask's default beside the package (`instance/` in a checkout)."""
    configured = os.environ.get("LMS_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    return Path(Flask(__name__).instance_path)


def _load_settings(app: Flask, profile: type[Config], overrides: Mapping[str, Any]) -> None:
    app.config.from_object(profile)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY") and profile.ENV_NAME != "production":
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'lms.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URL"] = url
    app.config.setdefault("SERVER_NAME", None)
    if get_debug_flag():  # `--debug` or FLASK_DEBUG: refused below outside development
        app.config["DEBUG"] = True
    problems = profile.validate(dict(app.config))
    if problems:
        hint = ""
        if app.config["PROFILE_SOURCE"] == "default":
            hint = (
                f"\nNo profile was chosen (LMS_ENV is unset and {Path(app.instance_path)}"
                f"/{PROFILE_FILE} does not exist), so the production profile runs. To try"
                " Lernwerk on this machine, run `lms demo`: it writes a development profile."
            )
        raise ConfigurationError(
            "Lernwerk refuses to start with these production settings:\n- "
            + "\n- ".join(problems)
            + hint
        )


def _instance_secret(instance: Path) -> str:
    """A secret key generated once per install and kept in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        # Write a temporary file, then link it into place: of several workers
        # starting at once, one wins and all read the same complete key.
        tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _register_blueprints(app: Flask) -> None:
    from lms import admin, auth, author, learn, main, manage

    auth.init_app(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(learn.bp, url_prefix="/learn")
    # The files of bought packages (issue 21): no login, the launch's token; on the
    # package origin when one is configured (lms/security.py).
    from lms.packages import views as packages

    app.register_blueprint(packages.files_bp)
    app.register_blueprint(manage.bp, url_prefix="/team")
    app.register_blueprint(author.bp, url_prefix="/author")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    from lms.notices import views as notices  # every signed-in user's notices page

    app.register_blueprint(notices.bp, url_prefix="/notices")
    # The shop floor (issue 19): PIN and card sign-in, kiosk mode, reading offline.
    from lms.login_cards import views as login_cards
    from lms.offline import views as offline
    from lms.pins import views as pins
    from lms.shared_devices import views as shared_devices

    app.register_blueprint(pins.bp, url_prefix="/pin")
    app.register_blueprint(login_cards.bp)
    app.register_blueprint(shared_devices.bp, url_prefix="/kiosk")
    app.register_blueprint(offline.bp)
    # Single sign-on through a company's OpenID provider (issue 20).
    from lms.sso import views as sso

    app.register_blueprint(sso.bp, url_prefix="/sso")
    # Connected systems (issue 20): SCIM provisioning, one company per token.
    from lms.scim import views as scim

    app.register_blueprint(scim.bp, url_prefix="/scim/v2")
    # LTI 1.3 (issue 21): a company's learning platform launches its people into modules.
    from lms.lti import views as lti

    app.register_blueprint(lti.bp, url_prefix="/lti")
    # The REST API for the companies' and the provider's systems (issue 20).
    from lms import api

    api.init_app(app)
    # The second factor of the provider's staff (issue 20): sign-in steps, own pages,
    # and admins sent to set it up.
    from lms.two_factor import views as two_factor

    two_factor.init_app(app)
    # The statement endpoint of cmi5 packages (issue 21): no CSRF, the AU's token is
    # the credential (lms/packages/xapi_endpoint.py).
    from lms.packages import xapi_endpoint

    app.register_blueprint(xapi_endpoint.bp, url_prefix="/xapi/cmi5")
