"""Who may see what: the one place that decides.

Deny by default: every endpoint needs a logged-in user unless it is marked
`@public`; each audience's blueprint is guarded as a whole by `guard_blueprint`;
company-owned rows are loaded only through `get_for_company`, which answers
404 for another company's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from lms.input_checks import as_id
from lms.models import Department, Role, User

F = TypeVar("F", bound=Callable[..., Any])

# Endpoints outside any blueprint that anyone may reach.
_PUBLIC_ENDPOINTS = {"static"}

# Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "main.set_language", "static"}

# Endpoints a person who must choose a PIN first (after a login card's or invitation
# letter's first use, `session["must_choose_pin"]`, lms/pins) may still reach.
_PIN_CHOICE_ENDPOINTS = {"pins.choose", "auth.logout", "kiosk.done", "main.set_language", "static"}


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None or endpoint in _PUBLIC_ENDPOINTS:
        return True
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def _require_login() -> Any:
    """App-wide before_request: anonymous users are sent to the login page."""
    if is_public_endpoint(current_app, request.endpoint):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if current_user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    if session.get("must_choose_pin") and request.endpoint not in _PIN_CHOICE_ENDPOINTS:
        return redirect(url_for("pins.choose"))
    return None


def init_app(app: Flask) -> None:
    app.before_request(_require_login)


def guard_blueprint(bp: Blueprint, *roles: Role) -> None:
    """Allow a blueprint's endpoints only to users holding one of `roles` (403 otherwise)."""

    def check_role() -> None:
        if is_public_endpoint(current_app, request.endpoint):
            return
        if not current_user.is_authenticated:
            abort(401)
        if not any(current_user.has_role(role) for role in roles):
            abort(403)

    bp.before_request(check_role)
    bp.allowed_roles = roles  # type: ignore[attr-defined]


# --- Tenancy ----------------------------------------------------------------


M = TypeVar("M")


def get_for_company(session: Session, model: type[M], object_id: Any, company_id: int | None) -> M:
    """Load `model` by id within one company; 404 if it is missing or another company's.

    Malformed ids (not a whole number an id column holds) answer 404 too, never 500.
    """
    key = as_id(object_id)
    if key is None or company_id is None:
        abort(404)
    column: InstrumentedAttribute[Any] = model.company_id  # type: ignore[attr-defined]
    pk: InstrumentedAttribute[Any] = model.id  # type: ignore[attr-defined]
    obj = session.scalar(select(model).where(pk == key, column == company_id))
    if obj is None:
        abort(404)
    return obj


def managed_department_ids(user: User) -> list[int] | None:
    """The departments a manager is limited to, or None for the whole company."""
    ids = [d.id for d in user.managed_departments]
    return ids or None


def people_visible_to_manager(manager: User) -> Select[User]:
    """The query for the people a manager may see: their company, their departments."""
    stmt = select(User).where(User.company_id == manager.company_id)
    limited = managed_department_ids(manager)
    if limited is not None:
        stmt = stmt.where(User.department_id.in_(limited))
    return stmt


def get_person_for_manager(session: Session, manager: User, user_id: Any) -> User:
    """One person the manager may see, or 404."""
    person = get_for_company(session, User, user_id, manager.company_id)
    limited = managed_department_ids(manager)
    if limited is not None and person.department_id not in limited:
        abort(404)
    return person


def departments_of(
    session: Session, company_id: int, only: Iterable[int] | None = None
) -> list[Department]:
    stmt = select(Department).where(Department.company_id == company_id).order_by(Department.name)
    if only is not None:
        stmt = stmt.where(Department.id.in_(list(only)))
    return list(session.scalars(stmt))
