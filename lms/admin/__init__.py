"""The platform operator's area: companies and their people."""

from flask import Blueprint

from lms.audit import views as audit
from lms.login_cards import views as login_cards
from lms.models import Role
from lms.notices import reminders
from lms.people import views as people_views
from lms.permissions import guard_blueprint
from lms.pins import views as pins
from lms.shared_devices import views as shared_devices
from lms.training_records import views as training_records

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
