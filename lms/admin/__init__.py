"""The platform operator's area: companies and their people."""

from flask import Blueprint

from lms.api import reference as api_reference
from lms.audit import views as audit
from lms.login_cards import views as login_cards
from lms.lti import views as lti
from lms.models import Role
from lms.notices import reminders
from lms.people import views as people_views
from lms.permissions import guard_blueprint
from lms.pins import views as pins
from lms.shared_devices import views as shared_devices
from lms.sso import views as sso
from lms.tokens import views as tokens
from lms.training_records import views as training_records
from lms.webhooks import views as webhooks

bp = Blueprint("admin", __name__)
guard_blueprint(bp, Role.ADMIN)

# Feature pages shared with other areas; they inherit this area's role guard.
bp.register_blueprint(audit.bp, url_prefix="/audit")
bp.register_blueprint(people_views.bp, url_prefix="/companies/<int:company_id>/people")
bp.register_blueprint(pins.people_bp, url_prefix="/companies/<int:company_id>/people")
bp.register_blueprint(login_cards.area_bp, url_prefix="/companies/<int:company_id>/login-cards")
bp.register_blueprint(shared_devices.area_bp, url_prefix="/companies/<int:company_id>/devices")
bp.register_blueprint(training_records.bp, url_prefix="/companies/<int:company_id>")
bp.register_blueprint(reminders.settings_bp, url_prefix="/companies/<int:company_id>/reminders")
bp.register_blueprint(tokens.company_bp, url_prefix="/companies/<int:company_id>/tokens")
bp.register_blueprint(tokens.provider_bp, url_prefix="/platform/api-tokens")
# The REST API's reference, built from its OpenAPI document (lms/api/reference.py).
bp.register_blueprint(api_reference.bp, url_prefix="/platform/api")
bp.register_blueprint(webhooks.bp, url_prefix="/companies/<int:company_id>/webhooks")
bp.register_blueprint(sso.settings_bp, url_prefix="/companies/<int:company_id>/sso")
bp.register_blueprint(lti.settings_bp, url_prefix="/companies/<int:company_id>/lti")

from lms.admin import (  # noqa: E402, F401
    catalogue,
    companies,
    company_look,
    people,
    people_import,
    platform,
    privacy,
    records,
    routes,
    staff,
)
