"""The manager's area: the own company's team."""

from flask import Blueprint

from lms.audit import views as audit
from lms.login_cards import views as login_cards
from lms.models import Role
from lms.notices import reminders
from lms.people import views as people_views
from lms.permissions import guard_blueprint
from lms.pins import views as pins
from lms.shared_devices import views as shared_devices
from lms.signoff import views as signoff
from lms.training_records import views as training_records

bp = Blueprint("manage", __name__)
guard_blueprint(bp, Role.MANAGER)

# Feature pages shared with other areas; they inherit this area's role guard.
bp.register_blueprint(audit.bp, url_prefix="/audit")
bp.register_blueprint(people_views.bp, url_prefix="/people")
bp.register_blueprint(pins.people_bp, url_prefix="/people")
bp.register_blueprint(login_cards.area_bp, url_prefix="/login-cards")
bp.register_blueprint(shared_devices.area_bp, url_prefix="/devices")
bp.register_blueprint(training_records.bp, url_prefix="")
bp.register_blueprint(signoff.bp, url_prefix="/tasks")
bp.register_blueprint(reminders.settings_bp, url_prefix="/reminders")
bp.register_blueprint(reminders.remind_bp, url_prefix="")
bp.register_blueprint(reminders.to_do_bp, url_prefix="/to-do-this-week")

from lms.manage import bookings, paths, people, proof, records, routes, tasks  # noqa: E402,F401
